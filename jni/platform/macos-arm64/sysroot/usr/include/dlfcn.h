/* Darwin <dlfcn.h>. Darwin's flag values and special handles differ from glibc's (RTLD_DEFAULT is (void*)-2,
   not 0). Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_DLFCN_H
#define _DJL_DARWIN_DLFCN_H

#include <sys/types.h>

#define RTLD_LAZY 0x1
#define RTLD_NOW 0x2
#define RTLD_LOCAL 0x4
#define RTLD_GLOBAL 0x8
#define RTLD_NOLOAD 0x10
#define RTLD_NODELETE 0x80
#define RTLD_FIRST 0x100
#define RTLD_NEXT ((void*)-1)
#define RTLD_DEFAULT ((void*)-2)

typedef struct dl_info {
  const char* dli_fname;
  void* dli_fbase;
  const char* dli_sname;
  void* dli_saddr;
} Dl_info;

__DJL_BEGIN_DECLS
void* dlopen(const char* path, int mode);
void* dlsym(void* __restrict handle, const char* __restrict symbol);
int dlclose(void* handle);
char* dlerror(void);
int dladdr(const void* addr, Dl_info* info);
__DJL_END_DECLS

#endif
