// What the compatibility headers need from the executor while a kernel thread runs: its position, its
// launch's bindings, shared threadgroup memory, and the rendezvous behind barriers and collectives.
// Only valid on a simulated GPU thread (inside msl::run).
#pragma once

#include <cstddef>
#include <cstdint>

#include "simulator/launch.h"

namespace msl::rt {

struct Position {
  uint32_t x, y, z;
};

Position thread_position_in_threadgroup();
Position threadgroup_position_in_grid();
Position threads_per_threadgroup();
Position threadgroups_per_grid();
Position thread_position_in_grid();
uint32_t thread_index_in_threadgroup();
uint32_t thread_index_in_simdgroup();
uint32_t simdgroup_index_in_threadgroup();
uint32_t simdgroups_per_threadgroup();
uint32_t threads_per_simdgroup();

void* buffer(uint32_t index);
void* optional_buffer(uint32_t index);  // null when unbound
void* threadgroup_argument(uint32_t index);

// The value of a function constant, or null if the launch leaves it undefined.
const FunctionConstant* function_constant(uint32_t index);

// Storage of a function-scope threadgroup variable, the same for every thread of the threadgroup.
void* threadgroup_variable(const void* key, size_t bytes, size_t alignment);

// Raises a SimulatorError naming the kernel and the source line (unwinds the simulated thread).
[[noreturn]] void fail(const char* what, const char* file, int line);

void threadgroup_barrier(const char* file, int line);

// One SIMD-group collective. Every lane deposits `size` bytes of `value` and an integer argument; the
// last lane to arrive runs `compute` over all lanes' inputs, then each lane gets its output. Lane l's
// input and output bytes are at offset l * kMaxCollectiveBytes.
using CollectiveFn = void (*)(const unsigned char* inputs, unsigned char* outputs, const int32_t* args,
                              uint32_t lanes, size_t size);
void simd_collective(const char* op, const char* file, int line, const void* value, void* result, size_t size,
                     int32_t arg, CollectiveFn compute);

constexpr size_t kMaxCollectiveBytes = 64;

// Counting (Launch::counters). The matrix operations report themselves once per simdgroup, from lane 0; the
// kernels' ordinary loads and stores reach count_access through the compiler's trace callbacks
// (counting_hooks.cpp), except inside a matrix operation, which pauses them.
bool counting();
void count_mma();
void count_matrix(const void* base, size_t element_bytes, size_t elements_per_row, bool transpose, bool store);
void count_access(const void* address, size_t bytes, bool store);

// Pauses the running fiber's access tracing while it lives (only when counting: the pause belongs to the
// fiber, since fibers of one OS thread interleave).
class CountingPause {
 public:
  CountingPause();
  ~CountingPause();
  CountingPause(const CountingPause&) = delete;
  CountingPause& operator=(const CountingPause&) = delete;

 private:
  int* paused_ = nullptr;
};

}  // namespace msl::rt
