/* Darwin <mach-o/dyld.h>, the subset used. Hand-written for cross-building; see
   jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_MACH_O_DYLD_H
#define _DJL_DARWIN_MACH_O_DYLD_H

#include <sys/types.h>

__DJL_BEGIN_DECLS
uint32_t _dyld_image_count(void);
const char* _dyld_get_image_name(uint32_t image_index);
__DJL_END_DECLS

#endif
