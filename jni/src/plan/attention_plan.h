// The launch plan: everything about running one attention call on the GPU kernels, decided from its
// geometry alone — which kernel variant, function-constant values, which operand goes to which buffer
// index, the argument block, grid and threadgroup sizes, and the split-K second pass. The simulator and
// Metal encoders execute plans; neither decides anything about a launch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/contract.h"

namespace djl_metal::plan {

// What a buffer binding refers to; each encoder maps operands to its own memory.
enum class Operand { kQuery, kKey, kValue, kMask, kOutput, kPartials, kFlags };

constexpr Operand kOperands[] = {Operand::kQuery,  Operand::kKey,      Operand::kValue, Operand::kMask,
                                 Operand::kOutput, Operand::kPartials, Operand::kFlags};

// One T per operand: the memory or buffer an encoder binds for it.
template <typename T>
struct Operands {
  T query{}, key{}, value{}, mask{}, output{}, partials{}, flags{};

  T& operator[](Operand o) {
    switch (o) {
      case Operand::kQuery: return query;
      case Operand::kKey: return key;
      case Operand::kValue: return value;
      case Operand::kMask: return mask;
      case Operand::kOutput: return output;
      case Operand::kPartials: return partials;
      case Operand::kFlags: break;
    }
    return flags;
  }
  const T& operator[](Operand o) const { return const_cast<Operands&>(*this)[o]; }
};

struct Size3 {
  uint32_t x = 1, y = 1, z = 1;
};

struct Constant {
  uint32_t index;
  bool is_bool;  // else int
  int32_t value;
};

struct Binding {
  uint32_t index;
  Operand operand;
};

struct Dispatch {
  std::string library;  // the shaders/ file (without .metal) that defines the kernel: its own Metal library
  std::string kernel;   // host name in that file
  std::vector<Constant> constants;
  std::vector<Binding> buffers;
  SdpaParams params{};  // bytes for SDPA_BUFFER_PARAMS
  Size3 threadgroups;
  Size3 threads;
  uint32_t threadgroup_bytes = 0;  // statically declared by the kernel, for limits and reports

  // Kernel plus function-constant values: what a compiled pipeline is cached by.
  std::string pipeline_key() const;
};

struct Plan {
  std::vector<Dispatch> dispatches;  // in order; each may read what the previous ones wrote
  uint64_t partials_bytes = 0;       // scratch for Operand::kPartials, 0 if unused
  // With geometry.report_non_finite: one uint32 per threadgroup of the first dispatch (Operand::kFlags), which
  // the kernels set when the threadgroup read a NaN or an infinity.
  uint64_t flags_bytes = 0;
};

// Output element strides (batch, head, row) as the kernels index them.
struct OutputStrides {
  int64_t batch, head, row;
};

// The kernels' view of an output tensor of the query's rank (2 to 4) with these sizes and strides.
OutputStrides kernel_output_strides(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides);

// Query rows up to which the decode kernel is used.
constexpr int64_t kDecodeMaxRows = SDPA_DECODE_MAX_ROWS;

// What a plan may know of the device besides the call.
struct DeviceShape {
  // GPU cores, which decode splits long key ranges to fill (several waves of threadgroups). Metal does not
  // report it; 10 is the smallest current Apple silicon GPU (M2, M3 and M4; M1 has 8).
  int gpu_cores = 10;
};

Plan plan_attention(const kernel::AttentionGeometry& g, const OutputStrides& out, const DeviceShape& device = {});

}  // namespace djl_metal::plan
