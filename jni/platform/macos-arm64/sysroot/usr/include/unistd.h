/* Darwin <unistd.h>, the subset used. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_UNISTD_H
#define _DJL_DARWIN_UNISTD_H

#include <sys/types.h>

#define _SC_PAGESIZE 29
#define _SC_NPROCESSORS_CONF 57
#define _SC_NPROCESSORS_ONLN 58

__DJL_BEGIN_DECLS
long sysconf(int name);
int getpagesize(void);
pid_t getpid(void);
int usleep(useconds_t microseconds);
ssize_t read(int fd, void* buf, size_t n);
ssize_t write(int fd, const void* buf, size_t n);
int close(int fd);
__DJL_END_DECLS

#endif
