/* Darwin <time.h>, the subset used. Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_TIME_H
#define _DJL_DARWIN_TIME_H

#include <sys/types.h>

struct timespec {
  time_t tv_sec;
  long tv_nsec;
};

struct tm {
  int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
  long tm_gmtoff;
  char* tm_zone;
};

typedef enum {
  CLOCK_REALTIME = 0,
  CLOCK_MONOTONIC_RAW = 4,
  CLOCK_MONOTONIC = 6,
  CLOCK_UPTIME_RAW = 8,
  CLOCK_PROCESS_CPUTIME_ID = 12,
  CLOCK_THREAD_CPUTIME_ID = 16
} clockid_t;

#define CLOCKS_PER_SEC ((clock_t)1000000)

__DJL_BEGIN_DECLS
clock_t clock(void);
time_t time(time_t* t);
int clock_gettime(clockid_t clock_id, struct timespec* tp);
int nanosleep(const struct timespec* rqtp, struct timespec* rmtp);
__DJL_END_DECLS

#endif
