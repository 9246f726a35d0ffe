/* Darwin <sys/sysctl.h>, the subset used (JavaCPP's glue reads hw.* values by name). Hand-written for
   cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_SYS_SYSCTL_H
#define _DJL_DARWIN_SYS_SYSCTL_H

#include <sys/types.h>

__DJL_BEGIN_DECLS
int sysctlbyname(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen);
__DJL_END_DECLS

#endif
