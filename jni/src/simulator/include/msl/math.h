// MSL math functions on scalars, 16-bit floats and vectors (element-wise), in namespace metal, with the
// fast:: and precise:: variants (computed the same way here: the simulator cannot show fast-math error).
#pragma once

#include <algorithm>
#include <cmath>

#include "msl/vector.h"

namespace metal {

namespace detail {
template <typename T>
using float_of = std::conditional_t<is_float16<T>::value, float, T>;
}  // namespace detail

#define MSL_UNARY(NAME, EXPR)                                        \
  inline float NAME(float x) { return EXPR; }                        \
  template <typename Tr>                                             \
  float16_like<Tr> NAME(float16_like<Tr> h) {                        \
    const float x = h;                                               \
    return float16_like<Tr>(EXPR);                                   \
  }                                                                  \
  template <typename T, int N>                                       \
  vec<T, N> NAME(const vec<T, N>& v) {                               \
    vec<T, N> r;                                                     \
    for (int i = 0; i < N; ++i) r[i] = NAME(v[i]);                   \
    return r;                                                        \
  }
MSL_UNARY(exp, std::exp(x))
MSL_UNARY(exp2, std::exp2(x))
MSL_UNARY(log, std::log(x))
MSL_UNARY(log2, std::log2(x))
MSL_UNARY(sqrt, std::sqrt(x))
MSL_UNARY(rsqrt, 1.0f / std::sqrt(x))
MSL_UNARY(fabs, std::fabs(x))
MSL_UNARY(floor, std::floor(x))
MSL_UNARY(ceil, std::ceil(x))
MSL_UNARY(round, std::round(x))
MSL_UNARY(trunc, std::trunc(x))
MSL_UNARY(sin, std::sin(x))
MSL_UNARY(cos, std::cos(x))
MSL_UNARY(tanh, std::tanh(x))
MSL_UNARY(sign, (x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x))
#undef MSL_UNARY

inline float abs(float x) { return std::fabs(x); }
template <typename Tr>
float16_like<Tr> abs(float16_like<Tr> h) { return fabs(h); }
inline int abs(int x) { return x < 0 ? -x : x; }

inline float pow(float x, float y) { return std::pow(x, y); }
inline float fma(float a, float b, float c) { return std::fma(a, b, c); }
template <typename Tr>
float16_like<Tr> fma(float16_like<Tr> a, float16_like<Tr> b, float16_like<Tr> c) {
  return float16_like<Tr>(std::fma(float(a), float(b), float(c)));
}

template <typename T>
bool isinf(T x) { return std::isinf(static_cast<float>(x)); }
template <typename T>
bool isnan(T x) { return std::isnan(static_cast<float>(x)); }
template <typename T>
bool isfinite(T x) { return std::isfinite(static_cast<float>(x)); }

// max/min: NaN handling like fmax/fmin for floating types (MSL's max is fmax on floats).
template <typename T, typename = std::enable_if_t<std::is_arithmetic<T>::value || is_float16<T>::value>>
T max(T a, T b) {
  if constexpr (std::is_floating_point<T>::value || is_float16<T>::value) {
    return T(std::fmax(static_cast<float>(a), static_cast<float>(b)));
  } else {
    return a < b ? b : a;
  }
}
template <typename T, typename = std::enable_if_t<std::is_arithmetic<T>::value || is_float16<T>::value>>
T min(T a, T b) {
  if constexpr (std::is_floating_point<T>::value || is_float16<T>::value) {
    return T(std::fmin(static_cast<float>(a), static_cast<float>(b)));
  } else {
    return b < a ? b : a;
  }
}
template <typename T>
T fmax(T a, T b) { return max(a, b); }
template <typename T>
T fmin(T a, T b) { return min(a, b); }
template <typename T, int N>
vec<T, N> max(const vec<T, N>& a, const vec<T, N>& b) {
  vec<T, N> r;
  for (int i = 0; i < N; ++i) r[i] = max(a[i], b[i]);
  return r;
}
template <typename T, int N>
vec<T, N> min(const vec<T, N>& a, const vec<T, N>& b) {
  vec<T, N> r;
  for (int i = 0; i < N; ++i) r[i] = min(a[i], b[i]);
  return r;
}
template <typename T>
T clamp(T x, T lo, T hi) { return min(max(x, lo), hi); }

// select(a, b, c) = c ? b : a
template <typename T>
T select(T a, T b, bool c) { return c ? b : a; }
template <typename T, int N>
vec<T, N> select(const vec<T, N>& a, const vec<T, N>& b, const vec<bool, N>& c) {
  vec<T, N> r;
  for (int i = 0; i < N; ++i) r[i] = c[i] ? b[i] : a[i];
  return r;
}

namespace fast {
using metal::exp;
using metal::exp2;
using metal::log;
using metal::log2;
using metal::max;
using metal::min;
using metal::rsqrt;
using metal::sqrt;
}  // namespace fast

namespace precise {
using metal::exp;
using metal::exp2;
using metal::log;
using metal::log2;
using metal::max;
using metal::min;
using metal::rsqrt;
using metal::sqrt;
}  // namespace precise

}  // namespace metal
