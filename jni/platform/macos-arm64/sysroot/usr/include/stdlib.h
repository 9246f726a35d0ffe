/* Darwin <stdlib.h>, the subset used. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_STDLIB_H
#define _DJL_DARWIN_STDLIB_H

#include <sys/types.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define MB_CUR_MAX (___mb_cur_max())

typedef struct { int quot, rem; } div_t;
typedef struct { long quot, rem; } ldiv_t;
typedef struct { long long quot, rem; } lldiv_t;

__DJL_BEGIN_DECLS
int ___mb_cur_max(void);
void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* ptr, size_t size);
void free(void* ptr);
void* aligned_alloc(size_t alignment, size_t size);
int posix_memalign(void** memptr, size_t alignment, size_t size);
void abort(void) __attribute__((__noreturn__));
void exit(int status) __attribute__((__noreturn__));
void _Exit(int status) __attribute__((__noreturn__));
int atexit(void (*func)(void));
char* getenv(const char* name);
int abs(int) __attribute__((__const__));
long labs(long) __attribute__((__const__));
long long llabs(long long) __attribute__((__const__));
div_t div(int, int) __attribute__((__const__));
ldiv_t ldiv(long, long) __attribute__((__const__));
lldiv_t lldiv(long long, long long);
double strtod(const char* __restrict str, char** __restrict end);
float strtof(const char* __restrict str, char** __restrict end);
long double strtold(const char* __restrict str, char** __restrict end);
long strtol(const char* __restrict str, char** __restrict end, int base);
long long strtoll(const char* __restrict str, char** __restrict end, int base);
unsigned long strtoul(const char* __restrict str, char** __restrict end, int base);
unsigned long long strtoull(const char* __restrict str, char** __restrict end, int base);
__DJL_END_DECLS

#endif
