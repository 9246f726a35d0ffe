/* Darwin arm64 (LP64) basic types, the subset this project's native code and libc++'s headers use. Hand-written
   for cross-building on Linux without Apple's SDK; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_SYS_TYPES_H
#define _DJL_DARWIN_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define __DJL_BEGIN_DECLS extern "C" {
#define __DJL_END_DECLS }
#else
#define __DJL_BEGIN_DECLS
#define __DJL_END_DECLS
#endif

typedef long ssize_t;
typedef long long off_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned short mode_t;
typedef long time_t;
typedef unsigned long clock_t;
typedef unsigned int useconds_t;
typedef int suseconds_t;

#endif
