/* Darwin <TargetConditionals.h>: this library targets macOS only. Hand-written for cross-building; see
   jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_TARGET_CONDITIONALS_H
#define _DJL_DARWIN_TARGET_CONDITIONALS_H

#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_UNIX 0
#define TARGET_CPU_ARM64 1
#define TARGET_RT_64_BIT 1
#define TARGET_RT_LITTLE_ENDIAN 1

#endif
