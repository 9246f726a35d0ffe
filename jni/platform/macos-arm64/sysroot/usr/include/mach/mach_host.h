/* Darwin <mach/mach_host.h>, the subset used: the host's virtual-memory counters, of which JavaCPP's glue
   reads free_count (the first). Hand-written for cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_MACH_HOST_H
#define _DJL_DARWIN_MACH_HOST_H

#include <mach/mach_types.h>

struct vm_statistics {
  natural_t free_count, active_count, inactive_count, wire_count, zero_fill_count, reactivations, pageins,
      pageouts, faults, cow_faults, lookups, hits, purgeable_count, purges, speculative_count;
};
typedef struct vm_statistics vm_statistics_data_t;

#define HOST_VM_INFO 2
#define HOST_VM_INFO_COUNT ((mach_msg_type_number_t)(sizeof(vm_statistics_data_t) / sizeof(integer_t)))

__DJL_BEGIN_DECLS
host_t mach_host_self(void);
kern_return_t host_statistics(host_t host, host_flavor_t flavor, host_info_t info, mach_msg_type_number_t* count);
__DJL_END_DECLS

#endif
