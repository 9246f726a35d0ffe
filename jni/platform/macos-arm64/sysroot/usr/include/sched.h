/* Darwin <sched.h>. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_SCHED_H
#define _DJL_DARWIN_SCHED_H

#include <sys/types.h>

struct sched_param {
  int sched_priority;
  char __opaque[4];
};

__DJL_BEGIN_DECLS
int sched_yield(void);
__DJL_END_DECLS

#endif
