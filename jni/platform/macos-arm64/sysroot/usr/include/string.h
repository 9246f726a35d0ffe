/* Darwin <string.h>, the subset used. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_STRING_H
#define _DJL_DARWIN_STRING_H

#include <sys/types.h>

__DJL_BEGIN_DECLS
void* memchr(const void* s, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
void* memcpy(void* __restrict dst, const void* __restrict src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* b, int c, size_t len);
char* strchr(const char* s, int c);
char* strrchr(const char* s, int c);
char* strstr(const char* big, const char* little);
char* strpbrk(const char* s, const char* charset);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
char* strcpy(char* __restrict dst, const char* __restrict src);
char* strncpy(char* __restrict dst, const char* __restrict src, size_t n);
char* strcat(char* __restrict dst, const char* __restrict src);
size_t strlen(const char* s);
int strcoll(const char* a, const char* b);
size_t strcspn(const char* s, const char* charset);
size_t strspn(const char* s, const char* charset);
char* strncat(char* __restrict dst, const char* __restrict src, size_t n);
char* strtok(char* __restrict str, const char* __restrict sep);
size_t strxfrm(char* __restrict dst, const char* __restrict src, size_t n);
size_t strnlen(const char* s, size_t maxlen);
char* strdup(const char* s);
char* strerror(int errnum);
__DJL_END_DECLS

#endif
