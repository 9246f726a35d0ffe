/* Darwin <xlocale.h>: the locale-taking functions libc++'s <locale> templates name. Hand-written for
   cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_XLOCALE_H
#define _DJL_DARWIN_XLOCALE_H

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>

__DJL_BEGIN_DECLS
int isdigit_l(int c, locale_t loc);
int isxdigit_l(int c, locale_t loc);
long long strtoll_l(const char* __restrict str, char** __restrict end, int base, locale_t loc);
unsigned long long strtoull_l(const char* __restrict str, char** __restrict end, int base, locale_t loc);
float strtof_l(const char* __restrict str, char** __restrict end, locale_t loc);
double strtod_l(const char* __restrict str, char** __restrict end, locale_t loc);
long double strtold_l(const char* __restrict str, char** __restrict end, locale_t loc);
int snprintf_l(char* __restrict str, size_t size, locale_t loc, const char* __restrict format, ...);
int asprintf_l(char** __restrict ret, locale_t loc, const char* __restrict format, ...);
int sscanf_l(const char* __restrict str, locale_t loc, const char* __restrict format, ...);
__DJL_END_DECLS

#endif
