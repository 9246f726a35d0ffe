/* Darwin <math.h>, the subset used (libc++'s <cmath> supplies the classification functions from compiler
   built-ins). Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_MATH_H
#define _DJL_DARWIN_MATH_H

typedef float float_t;
typedef double double_t;

#define FP_NAN 1
#define FP_INFINITE 2
#define FP_ZERO 3
#define FP_NORMAL 4
#define FP_SUBNORMAL 5
#define HUGE_VAL __builtin_huge_val()
#define HUGE_VALF __builtin_huge_valf()
#define INFINITY __builtin_inff()
#define NAN __builtin_nanf("0x7fc00000")

#ifdef __cplusplus
extern "C" {
#endif
#define __DJL_MATH1(name) double name(double); float name##f(float); long double name##l(long double);
#define __DJL_MATH2(name) \
  double name(double, double); float name##f(float, float); long double name##l(long double, long double);
__DJL_MATH1(acos) __DJL_MATH1(asin) __DJL_MATH1(atan) __DJL_MATH1(cos) __DJL_MATH1(sin) __DJL_MATH1(tan)
__DJL_MATH1(acosh) __DJL_MATH1(asinh) __DJL_MATH1(atanh) __DJL_MATH1(cosh) __DJL_MATH1(sinh) __DJL_MATH1(tanh)
__DJL_MATH1(exp) __DJL_MATH1(exp2) __DJL_MATH1(expm1) __DJL_MATH1(log) __DJL_MATH1(log10) __DJL_MATH1(log2)
__DJL_MATH1(log1p) __DJL_MATH1(sqrt) __DJL_MATH1(cbrt) __DJL_MATH1(fabs) __DJL_MATH1(ceil) __DJL_MATH1(floor)
__DJL_MATH1(trunc) __DJL_MATH1(round) __DJL_MATH1(rint) __DJL_MATH1(nearbyint) __DJL_MATH1(erf)
__DJL_MATH1(erfc) __DJL_MATH1(tgamma) __DJL_MATH1(lgamma) __DJL_MATH1(logb)
__DJL_MATH2(atan2) __DJL_MATH2(pow) __DJL_MATH2(fmod) __DJL_MATH2(fmin) __DJL_MATH2(fmax) __DJL_MATH2(hypot)
__DJL_MATH2(copysign) __DJL_MATH2(remainder) __DJL_MATH2(fdim) __DJL_MATH2(nextafter)
#undef __DJL_MATH1
#undef __DJL_MATH2
double fma(double, double, double);
float fmaf(float, float, float);
long double fmal(long double, long double, long double);
double frexp(double, int*);
float frexpf(float, int*);
double ldexp(double, int);
float ldexpf(float, int);
double modf(double, double*);
float modff(float, float*);
long lround(double);
long lroundf(float);
long long llround(double);
long long llroundf(float);
long lrint(double);
long lrintf(float);
int ilogb(double);
int ilogbf(float);
double scalbn(double, int);
float scalbnf(float, int);
double nan(const char*);
float nanf(const char*);
#ifdef __cplusplus
}
#endif

#endif
