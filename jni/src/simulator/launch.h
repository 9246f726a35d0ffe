// Host side of the MSL simulator: launch a kernel compiled from an unchanged .metal file by its host name.
//
// A launch is what a Metal compute encoder would be given: function-constant values (specialisation),
// buffers by index, threadgroup-memory lengths by index, and the grid in threadgroups. Threadgroups run
// on a small pool of OS threads; the threads of one threadgroup run as cooperating fibers sharing real
// threadgroup memory, with real barriers and 32-lane SIMD-group collectives. Misuse that would hang or
// be undefined on a GPU (a barrier or collective not reached by every thread, threadgroup memory over
// 32 KB, an unbound buffer, an undefined function constant) is reported as SimulatorError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace msl {

struct SimulatorError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Size3 {
  uint32_t x = 1, y = 1, z = 1;
  uint64_t count() const { return static_cast<uint64_t>(x) * y * z; }
};

// A specialisation value for [[function_constant(index)]].
struct FunctionConstant {
  enum class Type { kBool, kInt };
  uint32_t index = 0;
  Type type = Type::kInt;
  union {
    bool b;
    int32_t i;
  } value{};

  static FunctionConstant of_bool(uint32_t index, bool v);
  static FunctionConstant of_int(uint32_t index, int32_t v);
};

// [[buffer(index)]]: device memory, or the bytes of a setBytes call.
struct BufferBinding {
  uint32_t index = 0;
  void* data = nullptr;
  size_t length = 0;
};

// [[threadgroup(index)]]: a threadgroup-memory argument of `length` bytes.
struct ThreadgroupBinding {
  uint32_t index = 0;
  size_t length = 0;
};

// What threadgroups did, counted while a launch runs with Launch::counters set (README: "Counters").
struct Counts {
  uint64_t mma = 0;                                  // 8x8x8 simdgroup matrix products
  uint64_t threadgroup_read_bytes = 0, threadgroup_write_bytes = 0;  // matrix and ordinary accesses
  uint64_t bank_conflicts = 0;                       // extra passes under the bank model
  uint64_t matrix_bank_conflicts = 0;                // those of matrix loads and stores
  uint64_t threadgroup_barriers = 0, simdgroup_barriers = 0;
  uint64_t device_read_bytes = 0, device_write_bytes = 0;  // requested, every buffer but setBytes ones too

  void add(const Counts& o);
  void keep_max(const Counts& o);
};

// A launch's counts: in total, the most any one threadgroup did (field by field), and device bytes per buffer
// index, requested and distinct (each byte once however often it was read or written).
struct Counters {
  Counts total, max_threadgroup;
  uint64_t threadgroups = 0;
  size_t threadgroup_memory_bytes = 0;  // the most any threadgroup used
  uint64_t read_bytes[31] = {}, write_bytes[31] = {};
  uint64_t distinct_read_bytes[31] = {}, distinct_write_bytes[31] = {};
};

struct Launch {
  std::string kernel;  // host name
  std::vector<FunctionConstant> constants;
  std::vector<BufferBinding> buffers;
  std::vector<ThreadgroupBinding> threadgroup_memory;
  Size3 threadgroups;              // grid, in threadgroups
  Size3 threads_per_threadgroup;   // at most 1024 in total
  unsigned workers = 0;            // OS threads; 0 = hardware concurrency
  // Set to count what the kernel does. Only kernels built for counting (DJL_METAL_COUNTING, whose ordinary
  // memory accesses are traced) count ordinary accesses; matrix operations and barriers count in any build.
  Counters* counters = nullptr;
};

// Registers a kernel thunk under its host name (done by the code the pre-pass generates).
void register_kernel(const char* host_name, void (*thunk)());
bool has_kernel(const std::string& host_name);

// Runs a launch to completion; throws SimulatorError naming the kernel on any misuse.
void run(const Launch& launch);

// Threadgroup memory a GPU gives one threadgroup.
constexpr size_t kThreadgroupMemoryLimit = 32 * 1024;
constexpr uint32_t kSimdWidth = 32;
constexpr uint32_t kMaxThreadsPerThreadgroup = 1024;

}  // namespace msl
