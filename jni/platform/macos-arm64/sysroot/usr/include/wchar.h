/* Darwin <wchar.h>, the subset used. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_WCHAR_H
#define _DJL_DARWIN_WCHAR_H

#include <stdio.h>
#include <time.h>

typedef int wint_t;
/* Named as Apple's <sys/_types.h> names it: C++ mangles mbstate_t by this name (fpos<__mbstate_t> in libc++'s
   exported symbols, such as basic_streambuf<char>::seekpos). */
typedef union {
  char __mbstate8[128];
  long long _mbstateL;
} __mbstate_t;
typedef __mbstate_t __darwin_mbstate_t;
typedef __darwin_mbstate_t mbstate_t;
#define WEOF ((wint_t)-1)

__DJL_BEGIN_DECLS
wchar_t* wcschr(const wchar_t* s, wchar_t c);
wchar_t* wcspbrk(const wchar_t* s, const wchar_t* set);
wchar_t* wcsrchr(const wchar_t* s, wchar_t c);
wchar_t* wcsstr(const wchar_t* __restrict big, const wchar_t* __restrict little);
wchar_t* wmemchr(const wchar_t* s, wchar_t c, size_t n);
size_t wcslen(const wchar_t* s);
int wmemcmp(const wchar_t* a, const wchar_t* b, size_t n);
wchar_t* wmemcpy(wchar_t* __restrict dst, const wchar_t* __restrict src, size_t n);
wchar_t* wmemmove(wchar_t* dst, const wchar_t* src, size_t n);
wchar_t* wmemset(wchar_t* dst, wchar_t c, size_t n);
__DJL_END_DECLS

#endif
