// SIMD-group functions over 32 lanes. Each is a rendezvous of every lane of the simdgroup at the same
// call site; one lane computes every lane's result. Reductions combine lanes in lane order (Apple's
// hardware order is unspecified, so results may differ from a GPU's in the last bits).
#pragma once

#include <type_traits>

#include "msl/kernel.h"
#include "msl/math.h"

namespace metal {
namespace simd_detail {

constexpr size_t kStride = msl::rt::kMaxCollectiveBytes;

template <typename T>
const T& input(const unsigned char* inputs, uint32_t lane) {
  return *reinterpret_cast<const T*>(inputs + lane * kStride);
}

template <typename T>
T& output(unsigned char* outputs, uint32_t lane) {
  return *reinterpret_cast<T*>(outputs + lane * kStride);
}

template <typename T, typename Op>
void reduce(const unsigned char* in, unsigned char* out, const int32_t*, uint32_t lanes, size_t) {
  T acc = input<T>(in, 0);
  for (uint32_t l = 1; l < lanes; ++l) acc = Op()(acc, input<T>(in, l));
  for (uint32_t l = 0; l < lanes; ++l) output<T>(out, l) = acc;
}

template <typename T, bool kInclusive>
void prefix_sum(const unsigned char* in, unsigned char* out, const int32_t*, uint32_t lanes, size_t) {
  T acc = T(0);
  for (uint32_t l = 0; l < lanes; ++l) {
    if (kInclusive) acc = acc + input<T>(in, l);
    output<T>(out, l) = acc;
    if (!kInclusive) acc = acc + input<T>(in, l);
  }
}

// Lane l reads lane source(l, arg_l); sources outside the simdgroup leave the lane's own value.
template <typename T, int kMode>
void permute(const unsigned char* in, unsigned char* out, const int32_t* args, uint32_t lanes, size_t) {
  for (uint32_t l = 0; l < lanes; ++l) {
    const int64_t a = args[l];
    const int64_t src = kMode == 0 ? a : kMode == 1 ? (static_cast<int64_t>(l) ^ a) : kMode == 2 ? l + a : l - a;
    output<T>(out, l) = (src >= 0 && src < lanes) ? input<T>(in, static_cast<uint32_t>(src)) : input<T>(in, l);
  }
}

struct Sum {
  template <typename T>
  T operator()(const T& a, const T& b) const { return a + b; }
};
struct Product {
  template <typename T>
  T operator()(const T& a, const T& b) const { return a * b; }
};
struct Max {
  template <typename T>
  T operator()(const T& a, const T& b) const { return metal::max(a, b); }
};
struct Min {
  template <typename T>
  T operator()(const T& a, const T& b) const { return metal::min(a, b); }
};
struct And {
  template <typename T>
  T operator()(const T& a, const T& b) const { return a & b; }
};
struct Or {
  template <typename T>
  T operator()(const T& a, const T& b) const { return a | b; }
};
struct Xor {
  template <typename T>
  T operator()(const T& a, const T& b) const { return a ^ b; }
};
struct AllOf {
  bool operator()(bool a, bool b) const { return a && b; }
};
struct AnyOf {
  bool operator()(bool a, bool b) const { return a || b; }
};

template <typename T>
T collective(const char* op, const char* file, int line, const T& value, int32_t arg, msl::rt::CollectiveFn fn) {
  static_assert(std::is_trivially_copyable<T>::value && sizeof(T) <= kStride, "unsupported SIMD value type");
  T result;
  msl::rt::simd_collective(op, file, line, &value, &result, sizeof(T), arg, fn);
  return result;
}

}  // namespace simd_detail

#define MSL_SIMD_REDUCE(NAME, OP)                                                                  \
  template <typename T>                                                                            \
  T NAME(T x, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {                  \
    return simd_detail::collective(#NAME, file, line, x, 0, &simd_detail::reduce<T, simd_detail::OP>); \
  }
MSL_SIMD_REDUCE(simd_sum, Sum)
MSL_SIMD_REDUCE(simd_product, Product)
MSL_SIMD_REDUCE(simd_max, Max)
MSL_SIMD_REDUCE(simd_min, Min)
MSL_SIMD_REDUCE(simd_and, And)
MSL_SIMD_REDUCE(simd_or, Or)
MSL_SIMD_REDUCE(simd_xor, Xor)
#undef MSL_SIMD_REDUCE

inline bool simd_all(bool x, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simd_detail::collective("simd_all", file, line, x, 0, &simd_detail::reduce<bool, simd_detail::AllOf>);
}

inline bool simd_any(bool x, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simd_detail::collective("simd_any", file, line, x, 0, &simd_detail::reduce<bool, simd_detail::AnyOf>);
}

template <typename T>
T simd_prefix_inclusive_sum(T x, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simd_detail::collective("simd_prefix_inclusive_sum", file, line, x, 0, &simd_detail::prefix_sum<T, true>);
}

template <typename T>
T simd_prefix_exclusive_sum(T x, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simd_detail::collective("simd_prefix_exclusive_sum", file, line, x, 0, &simd_detail::prefix_sum<T, false>);
}

#define MSL_SIMD_PERMUTE(NAME, MODE)                                                                   \
  template <typename T, typename I>                                                                    \
  T NAME(T x, I arg, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {               \
    return simd_detail::collective(#NAME, file, line, x, static_cast<int32_t>(arg),                     \
                                   &simd_detail::permute<T, MODE>);                                    \
  }
MSL_SIMD_PERMUTE(simd_shuffle, 0)
MSL_SIMD_PERMUTE(simd_broadcast, 0)
MSL_SIMD_PERMUTE(simd_shuffle_xor, 1)
MSL_SIMD_PERMUTE(simd_shuffle_down, 2)
MSL_SIMD_PERMUTE(simd_shuffle_up, 3)
#undef MSL_SIMD_PERMUTE

template <typename T>
T simd_broadcast_first(T x, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  return simd_detail::collective("simd_broadcast_first", file, line, x, 0, &simd_detail::permute<T, 0>);
}

inline void simdgroup_barrier(mem_flags, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  simd_detail::collective("simdgroup_barrier", file, line, char(0), 0, &simd_detail::permute<char, 1>);
}

}  // namespace metal
