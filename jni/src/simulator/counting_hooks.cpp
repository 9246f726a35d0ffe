// The callbacks clang's SanitizerCoverage inserts before every load and store of code compiled with
// -fsanitize-coverage=trace-loads,trace-stores: in a counting build (DJL_METAL_COUNTING) only the kernels are,
// and each of their accesses goes to the simulator's counters (which ignore the simulated threads' own
// stacks, keeping threadgroup memory and bound buffers).
#include <cstdint>

#include "simulator/runtime.h"

#define MSL_TRACE(bits, type)                                                                              \
  extern "C" void __sanitizer_cov_load##bits(type* address) { msl::rt::count_access(address, sizeof(type), false); } \
  extern "C" void __sanitizer_cov_store##bits(type* address) { msl::rt::count_access(address, sizeof(type), true); }

MSL_TRACE(1, uint8_t)
MSL_TRACE(2, uint16_t)
MSL_TRACE(4, uint32_t)
MSL_TRACE(8, uint64_t)
MSL_TRACE(16, __int128)
