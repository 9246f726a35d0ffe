/* Darwin <mach/task.h>, the subset used: task_info with TASK_VM_INFO, of which JavaCPP's glue reads
   `internal`. Only revision 0 of the structure is declared (TASK_VM_INFO_REV0_COUNT, 36 words), which the
   kernel accepts and fills, writing no more than the count passed. Hand-written for cross-building; see
   jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_MACH_TASK_H
#define _DJL_DARWIN_MACH_TASK_H

#include <mach/mach_types.h>

#pragma pack(push, 4)
struct task_vm_info {
  mach_vm_size_t virtual_size;
  integer_t region_count;
  integer_t page_size;
  mach_vm_size_t resident_size;
  mach_vm_size_t resident_size_peak;
  mach_vm_size_t device;
  mach_vm_size_t device_peak;
  mach_vm_size_t internal;
  mach_vm_size_t internal_peak;
  mach_vm_size_t external;
  mach_vm_size_t external_peak;
  mach_vm_size_t reusable;
  mach_vm_size_t reusable_peak;
  mach_vm_size_t purgeable_volatile_pmap;
  mach_vm_size_t purgeable_volatile_resident;
  mach_vm_size_t purgeable_volatile_virtual;
  mach_vm_size_t compressed;
  mach_vm_size_t compressed_peak;
  mach_vm_size_t compressed_lifetime;
};
#pragma pack(pop)
typedef struct task_vm_info task_vm_info_data_t;

#define TASK_VM_INFO 22
#define TASK_VM_INFO_COUNT ((mach_msg_type_number_t)(sizeof(task_vm_info_data_t) / sizeof(natural_t)))

__DJL_BEGIN_DECLS
kern_return_t task_info(task_name_t task, task_flavor_t flavor, task_info_t info, mach_msg_type_number_t* count);
__DJL_END_DECLS

#endif
