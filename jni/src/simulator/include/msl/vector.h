// MSL vector types (float4, half2, uint3, ...) as classes: .x .y .z .w (and .r .g .b .a) members,
// swizzles (all two-component ones, and the common three- and four-component ones), element-wise
// arithmetic, converting constructors from scalars and shorter vectors. Not the compiler's built-in vector
// types, whose conversions reinterpret bits instead of converting values.
#pragma once

#include <cstddef>
#include <type_traits>

#include "msl/scalar.h"

namespace metal {

template <typename T, int N>
struct vec;

// A swizzle view inside a vector's storage; reads convert to a vector, writes go to the named elements.
template <typename T, int N, int... I>
struct swizzle {
  T d[N];
  using result = vec<T, static_cast<int>(sizeof...(I))>;
  operator result() const { return result(d[I]...); }  // NOLINT: implicit like MSL
  swizzle& operator=(const result& r) {
    int k = 0;
    ((d[I] = r[k++]), ...);
    return *this;
  }
  T operator[](int i) const { return result(*this)[i]; }
};

// Size and alignment as in MSL: two components align to their size, three are padded to four.
template <typename T, int N>
struct vec_storage;

template <typename T>
struct alignas(2 * sizeof(T)) vec_storage<T, 2> {
  union {
    T d[2];
    struct {
      T x, y;
    };
    struct {
      T r, g;
    };
    swizzle<T, 2, 0,0> xx;
    swizzle<T, 2, 0,1> xy;
    swizzle<T, 2, 1,0> yx;
    swizzle<T, 2, 1,1> yy;
  };
};

template <typename T>
struct alignas(4 * sizeof(T)) vec_storage<T, 3> {
  union {
    T d[3];
    struct {
      T x, y, z;
    };
    struct {
      T r, g, b;
    };
    swizzle<T, 3, 0,0> xx;
    swizzle<T, 3, 0,1> xy;
    swizzle<T, 3, 0,2> xz;
    swizzle<T, 3, 1,0> yx;
    swizzle<T, 3, 1,1> yy;
    swizzle<T, 3, 1,2> yz;
    swizzle<T, 3, 2,0> zx;
    swizzle<T, 3, 2,1> zy;
    swizzle<T, 3, 2,2> zz;
    swizzle<T, 3, 0,0,0> xxx;
    swizzle<T, 3, 0,0,1> xxy;
    swizzle<T, 3, 0,0,2> xxz;
    swizzle<T, 3, 0,1,0> xyx;
    swizzle<T, 3, 0,1,1> xyy;
    swizzle<T, 3, 0,1,2> xyz;
    swizzle<T, 3, 0,2,0> xzx;
    swizzle<T, 3, 0,2,1> xzy;
    swizzle<T, 3, 0,2,2> xzz;
    swizzle<T, 3, 1,0,0> yxx;
    swizzle<T, 3, 1,0,1> yxy;
    swizzle<T, 3, 1,0,2> yxz;
    swizzle<T, 3, 1,1,0> yyx;
    swizzle<T, 3, 1,1,1> yyy;
    swizzle<T, 3, 1,1,2> yyz;
    swizzle<T, 3, 1,2,0> yzx;
    swizzle<T, 3, 1,2,1> yzy;
    swizzle<T, 3, 1,2,2> yzz;
    swizzle<T, 3, 2,0,0> zxx;
    swizzle<T, 3, 2,0,1> zxy;
    swizzle<T, 3, 2,0,2> zxz;
    swizzle<T, 3, 2,1,0> zyx;
    swizzle<T, 3, 2,1,1> zyy;
    swizzle<T, 3, 2,1,2> zyz;
    swizzle<T, 3, 2,2,0> zzx;
    swizzle<T, 3, 2,2,1> zzy;
    swizzle<T, 3, 2,2,2> zzz;
  };
};

template <typename T>
struct alignas(4 * sizeof(T)) vec_storage<T, 4> {
  union {
    T d[4];
    struct {
      T x, y, z, w;
    };
    struct {
      T r, g, b, a;
    };
    swizzle<T, 4, 0,0> xx;
    swizzle<T, 4, 0,1> xy;
    swizzle<T, 4, 0,2> xz;
    swizzle<T, 4, 0,3> xw;
    swizzle<T, 4, 1,0> yx;
    swizzle<T, 4, 1,1> yy;
    swizzle<T, 4, 1,2> yz;
    swizzle<T, 4, 1,3> yw;
    swizzle<T, 4, 2,0> zx;
    swizzle<T, 4, 2,1> zy;
    swizzle<T, 4, 2,2> zz;
    swizzle<T, 4, 2,3> zw;
    swizzle<T, 4, 3,0> wx;
    swizzle<T, 4, 3,1> wy;
    swizzle<T, 4, 3,2> wz;
    swizzle<T, 4, 3,3> ww;
    swizzle<T, 4, 0,1,2> xyz;
    swizzle<T, 4, 1,2,3> yzw;
    swizzle<T, 4, 2,1,0> zyx;
    swizzle<T, 4, 3,2,1> wzy;
    swizzle<T, 4, 0,1,3> xyw;
    swizzle<T, 4, 0,2,3> xzw;
    swizzle<T, 4, 0,0,0> xxx;
    swizzle<T, 4, 3,3,3> www;
    swizzle<T, 4, 0,1,2,3> xyzw;
    swizzle<T, 4, 3,2,1,0> wzyx;
    swizzle<T, 4, 1,0,3,2> yxwz;
    swizzle<T, 4, 2,3,0,1> zwxy;
    swizzle<T, 4, 0,0,1,1> xxyy;
    swizzle<T, 4, 2,2,3,3> zzww;
  };
};

template <typename T>
struct component_count : std::integral_constant<int, 1> {};
template <typename T, int N>
struct component_count<vec<T, N>> : std::integral_constant<int, N> {};
template <typename T, int N, int... I>
struct component_count<swizzle<T, N, I...>> : std::integral_constant<int, static_cast<int>(sizeof...(I))> {};

template <typename T, int N>
struct vec : vec_storage<T, N> {
  using value_type = T;
  static constexpr int size = N;

  vec() {
    for (int i = 0; i < N; ++i) this->d[i] = T();
  }
  vec(const vec&) = default;
  vec& operator=(const vec&) = default;
  // Broadcast of one scalar.
  template <typename S, typename = std::enable_if_t<std::is_arithmetic<S>::value || is_float16<S>::value>>
  vec(S s) {  // NOLINT: implicit like MSL
    for (int i = 0; i < N; ++i) this->d[i] = static_cast<T>(s);
  }
  // Converting construction from another vector of the same length: float4(half4(...)).
  template <typename U, typename = std::enable_if_t<!std::is_same<U, T>::value>>
  explicit vec(const vec<U, N>& o) {
    for (int i = 0; i < N; ++i) this->d[i] = static_cast<T>(static_cast<float>(o.d[i]));
  }
  // Concatenation of scalars and vectors whose components add up to N: float4(v.xy, 0, 1).
  template <typename A, typename B, typename... Rest,
            typename = std::enable_if_t<component_count<A>::value + component_count<B>::value +
                                            (0 + ... + component_count<Rest>::value) == N>>
  vec(const A& a, const B& b, const Rest&... rest) {
    int k = 0;
    put(k, a);
    put(k, b);
    (put(k, rest), ...);
  }

  T& operator[](int i) { return this->d[i]; }
  const T& operator[](int i) const { return this->d[i]; }

 private:
  template <typename S>
  void put(int& k, const S& s) {
    if constexpr (component_count<S>::value == 1) {
      this->d[k++] = static_cast<T>(s);
    } else {
      const vec<typename std::decay_t<decltype(vec_value(s))>::value_type, component_count<S>::value> v = vec_value(s);
      for (int i = 0; i < component_count<S>::value; ++i) this->d[k++] = static_cast<T>(v[i]);
    }
  }
  template <typename U, int M>
  static vec<U, M> vec_value(const vec<U, M>& v) { return v; }
  template <typename U, int M, int... I>
  static vec<U, static_cast<int>(sizeof...(I))> vec_value(const swizzle<U, M, I...>& s) { return s; }
};

#define MSL_VEC_BINARY(OP)                                                                        \
  template <typename T, int N>                                                                    \
  vec<T, N> operator OP(const vec<T, N>& a, const vec<T, N>& b) {                                 \
    vec<T, N> r;                                                                                  \
    for (int i = 0; i < N; ++i) r[i] = a[i] OP b[i];                                              \
    return r;                                                                                     \
  }                                                                                               \
  template <typename T, int N, typename S, typename = std::enable_if_t<!component_count<S>::value || \
                                                                        component_count<S>::value == 1>> \
  vec<T, N> operator OP(const vec<T, N>& a, S b) {                                                \
    return a OP vec<T, N>(b);                                                                     \
  }                                                                                               \
  template <typename T, int N, typename S, typename = std::enable_if_t<component_count<S>::value == 1>> \
  vec<T, N> operator OP(S a, const vec<T, N>& b) {                                                \
    return vec<T, N>(a) OP b;                                                                     \
  }                                                                                               \
  template <typename T, int N, typename U>                                                        \
  vec<T, N>& operator OP##=(vec<T, N>& a, const U& b) {                                           \
    return a = a OP b;                                                                            \
  }
MSL_VEC_BINARY(+)
MSL_VEC_BINARY(-)
MSL_VEC_BINARY(*)
MSL_VEC_BINARY(/)
#undef MSL_VEC_BINARY

template <typename T, int N>
vec<T, N> operator-(const vec<T, N>& a) {
  vec<T, N> r;
  for (int i = 0; i < N; ++i) r[i] = -a[i];
  return r;
}

#define MSL_VEC_COMPARE(OP)                                                  \
  template <typename T, int N>                                               \
  vec<bool, N> operator OP(const vec<T, N>& a, const vec<T, N>& b) {         \
    vec<bool, N> r;                                                          \
    for (int i = 0; i < N; ++i) r[i] = a[i] OP b[i];                         \
    return r;                                                                \
  }
MSL_VEC_COMPARE(==)
MSL_VEC_COMPARE(!=)
MSL_VEC_COMPARE(<)
MSL_VEC_COMPARE(<=)
MSL_VEC_COMPARE(>)
MSL_VEC_COMPARE(>=)
#undef MSL_VEC_COMPARE

template <int N>
bool all(const vec<bool, N>& v) {
  for (int i = 0; i < N; ++i) {
    if (!v[i]) return false;
  }
  return true;
}

template <int N>
bool any(const vec<bool, N>& v) {
  for (int i = 0; i < N; ++i) {
    if (v[i]) return true;
  }
  return false;
}

template <typename T, int N>
T dot(const vec<T, N>& a, const vec<T, N>& b) {
  T s = a[0] * b[0];
  for (int i = 1; i < N; ++i) s = s + a[i] * b[i];
  return s;
}

#define MSL_VEC_TYPES(T, NAME) \
  using NAME##2 = vec<T, 2>;   \
  using NAME##3 = vec<T, 3>;   \
  using NAME##4 = vec<T, 4>;
MSL_VEC_TYPES(float, float)
MSL_VEC_TYPES(half, half)
MSL_VEC_TYPES(bfloat, bfloat)
MSL_VEC_TYPES(int, int)
MSL_VEC_TYPES(uint, uint)
MSL_VEC_TYPES(short, short)
MSL_VEC_TYPES(ushort, ushort)
MSL_VEC_TYPES(char, char)
MSL_VEC_TYPES(uchar, uchar)
MSL_VEC_TYPES(long, long)
MSL_VEC_TYPES(ulong, ulong)
MSL_VEC_TYPES(bool, bool)
#undef MSL_VEC_TYPES

}  // namespace metal
