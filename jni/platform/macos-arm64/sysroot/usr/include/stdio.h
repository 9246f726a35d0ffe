/* Darwin <stdio.h>, the subset used. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_STDIO_H
#define _DJL_DARWIN_STDIO_H

#include <stdarg.h>
#include <sys/types.h>

typedef struct __sFILE FILE;
typedef long long fpos_t;
#define EOF (-1)
#define BUFSIZ 1024

__DJL_BEGIN_DECLS
extern FILE* __stdinp;
extern FILE* __stdoutp;
extern FILE* __stderrp;
int fprintf(FILE* __restrict stream, const char* __restrict format, ...);
int printf(const char* __restrict format, ...);
int sprintf(char* __restrict str, const char* __restrict format, ...);
int snprintf(char* __restrict str, size_t size, const char* __restrict format, ...);
int vsnprintf(char* __restrict str, size_t size, const char* __restrict format, va_list ap);
int vfprintf(FILE* __restrict stream, const char* __restrict format, va_list ap);
int fputs(const char* __restrict s, FILE* __restrict stream);
int fputc(int c, FILE* stream);
int fflush(FILE* stream);
int remove(const char* path);
int sscanf(const char* __restrict s, const char* __restrict format, ...);
__DJL_END_DECLS
#define stdin __stdinp
#define stdout __stdoutp
#define stderr __stderrp

#endif
