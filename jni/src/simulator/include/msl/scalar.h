// MSL's 16-bit floating types as they behave on Apple GPUs: 16 bits of storage, conversions rounded to
// nearest even, and every arithmetic result rounded back to the type (so float16 overflow shows as inf).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

namespace metal {

using uint = unsigned int;
using ushort = unsigned short;
using uchar = unsigned char;
using ulong = unsigned long;

namespace detail {

inline uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

inline float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

inline uint16_t float_to_half(float f) {
  const uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((abs >> 13) & 0x3ffu));  // NaN
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): value = m * 2^-24, rounded to nearest even by adding in float.
    const float magnitude = bits_float(abs);
    const float rounded = magnitude + 0.5f;  // 2^-24 spacing becomes the unit in the last place of 0.5f
    return static_cast<uint16_t>(sign | (float_bits(rounded) - float_bits(0.5f)));
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
  const uint32_t mantissa_odd = (abs >> 13) & 1u;
  const uint32_t rounded = abs + 0xfffu + mantissa_odd;
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

inline float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return bits_float(float_bits(magnitude) | sign);
  }
  if (exponent == 31) return bits_float(sign | 0x7f800000u | (mantissa << 13));
  return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

inline uint16_t float_to_bfloat(float f) {
  const uint32_t x = float_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

inline float bfloat_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

}  // namespace detail

// A 16-bit float type; Traits supplies the conversions.
template <typename Traits>
class float16_like {
 public:
  float16_like() = default;
  float16_like(float f) : bits_(Traits::encode(f)) {}  // NOLINT: implicit like MSL
  float16_like(double f) : float16_like(static_cast<float>(f)) {}
  float16_like(int i) : float16_like(static_cast<float>(i)) {}
  float16_like(unsigned i) : float16_like(static_cast<float>(i)) {}
  float16_like(long i) : float16_like(static_cast<float>(i)) {}
  float16_like(unsigned long i) : float16_like(static_cast<float>(i)) {}
  float16_like(short i) : float16_like(static_cast<float>(i)) {}
  float16_like(unsigned short i) : float16_like(static_cast<float>(i)) {}
  operator float() const { return Traits::decode(bits_); }  // NOLINT: implicit like MSL

  static float16_like from_bits(uint16_t b) {
    float16_like h;
    h.bits_ = b;
    return h;
  }
  uint16_t bits() const { return bits_; }

  float16_like operator-() const { return from_bits(static_cast<uint16_t>(bits_ ^ 0x8000u)); }
  float16_like operator+() const { return *this; }
  template <typename U>
  float16_like& operator+=(U o) { return *this = float16_like(float(*this) + float(o)); }
  template <typename U>
  float16_like& operator-=(U o) { return *this = float16_like(float(*this) - float(o)); }
  template <typename U>
  float16_like& operator*=(U o) { return *this = float16_like(float(*this) * float(o)); }
  template <typename U>
  float16_like& operator/=(U o) { return *this = float16_like(float(*this) / float(o)); }

 private:
  uint16_t bits_;  // uninitialised by default, like MSL (keeps the type trivial for vector unions)
};

struct half_traits {
  static uint16_t encode(float f) { return detail::float_to_half(f); }
  static float decode(uint16_t b) { return detail::half_to_float(b); }
};
struct bfloat_traits {
  static uint16_t encode(float f) { return detail::float_to_bfloat(f); }
  static float decode(uint16_t b) { return detail::bfloat_to_float(b); }
};

using half = float16_like<half_traits>;
using bfloat = float16_like<bfloat_traits>;

template <typename T>
struct is_float16 : std::false_type {};
template <typename Tr>
struct is_float16<float16_like<Tr>> : std::true_type {};

// Arithmetic: same type stays in the type (rounded); with float or double it widens to float; with an
// integer it stays in the type, as in MSL.
#define MSL_F16_BINARY(OP)                                                                              \
  template <typename Tr>                                                                                \
  float16_like<Tr> operator OP(float16_like<Tr> a, float16_like<Tr> b) {                                \
    return float16_like<Tr>(float(a) OP float(b));                                                      \
  }                                                                                                     \
  template <typename Tr>                                                                                \
  float operator OP(float16_like<Tr> a, float b) { return float(a) OP b; }                              \
  template <typename Tr>                                                                                \
  float operator OP(float a, float16_like<Tr> b) { return a OP float(b); }                              \
  template <typename Tr>                                                                                \
  float operator OP(float16_like<Tr> a, double b) { return float(a) OP static_cast<float>(b); }         \
  template <typename Tr>                                                                                \
  float operator OP(double a, float16_like<Tr> b) { return static_cast<float>(a) OP float(b); }         \
  template <typename Tr, typename I, typename = std::enable_if_t<std::is_integral<I>::value>>           \
  float16_like<Tr> operator OP(float16_like<Tr> a, I b) {                                               \
    return float16_like<Tr>(float(a) OP static_cast<float>(b));                                         \
  }                                                                                                     \
  template <typename Tr, typename I, typename = std::enable_if_t<std::is_integral<I>::value>>           \
  float16_like<Tr> operator OP(I a, float16_like<Tr> b) {                                               \
    return float16_like<Tr>(static_cast<float>(a) OP float(b));                                         \
  }
MSL_F16_BINARY(+)
MSL_F16_BINARY(-)
MSL_F16_BINARY(*)
MSL_F16_BINARY(/)
#undef MSL_F16_BINARY

#define MSL_F16_COMPARE(OP)                                                                               \
  template <typename Tr>                                                                                  \
  bool operator OP(float16_like<Tr> a, float16_like<Tr> b) { return float(a) OP float(b); }              \
  template <typename Tr, typename U, typename = std::enable_if_t<std::is_arithmetic<U>::value>>           \
  bool operator OP(float16_like<Tr> a, U b) { return float(a) OP static_cast<float>(b); }                 \
  template <typename Tr, typename U, typename = std::enable_if_t<std::is_arithmetic<U>::value>>           \
  bool operator OP(U a, float16_like<Tr> b) { return static_cast<float>(a) OP float(b); }
MSL_F16_COMPARE(==)
MSL_F16_COMPARE(!=)
MSL_F16_COMPARE(<)
MSL_F16_COMPARE(<=)
MSL_F16_COMPARE(>)
MSL_F16_COMPARE(>=)
#undef MSL_F16_COMPARE

// as_type<T>(x): reinterpret the bits of a same-sized value.
template <typename To, typename From>
To as_type(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "as_type needs types of equal size");
  To to;
  std::memcpy(static_cast<void*>(&to), static_cast<const void*>(&from), sizeof to);
  return to;
}

template <typename T>
struct numeric_limits : std::numeric_limits<T> {};

template <typename Tr>
struct numeric_limits<float16_like<Tr>> {
  using T = float16_like<Tr>;
  static constexpr bool is_half = std::is_same<Tr, half_traits>::value;
  static T infinity() { return T::from_bits(is_half ? 0x7c00 : 0x7f80); }
  static T max() { return T::from_bits(is_half ? 0x7bff : 0x7f7f); }
  static T lowest() { return T::from_bits(is_half ? 0xfbff : 0xff7f); }
  static T min() { return T::from_bits(is_half ? 0x0400 : 0x0080); }
  static T quiet_NaN() { return T::from_bits(is_half ? 0x7e00 : 0x7fc0); }
  static T epsilon() { return T::from_bits(is_half ? 0x1400 : 0x3c00); }
};

}  // namespace metal
