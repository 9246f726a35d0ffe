/* Darwin Mach types, the subset JavaCPP's glue uses to read memory statistics. Hand-written for
   cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_MACH_TYPES_H
#define _DJL_DARWIN_MACH_TYPES_H

#include <sys/types.h>

typedef unsigned int natural_t;
typedef int integer_t;
typedef int kern_return_t;
typedef natural_t mach_port_t;
typedef mach_port_t task_t;
typedef mach_port_t task_name_t;
typedef mach_port_t host_t;
typedef natural_t mach_msg_type_number_t;
typedef natural_t task_flavor_t;
typedef integer_t* task_info_t;
typedef integer_t host_flavor_t;
typedef integer_t* host_info_t;
typedef uint64_t mach_vm_size_t;

#define KERN_SUCCESS 0

#endif
