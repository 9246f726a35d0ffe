/* Darwin <mach/mach_init.h>, the subset used. Hand-written for cross-building; see
   jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_MACH_INIT_H
#define _DJL_DARWIN_MACH_INIT_H

#include <mach/mach_types.h>

__DJL_BEGIN_DECLS
extern mach_port_t mach_task_self_;
__DJL_END_DECLS
#define mach_task_self() mach_task_self_
#define current_task() mach_task_self()

#endif
