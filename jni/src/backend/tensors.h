// The tensors of a native call: its result, allocated with the sizes and strides PyTorch's own result would
// have, and, for CPU tensors, the host memory the kernels read and write in place.
#pragma once

#include <cstdint>
#include <vector>

#include "call/call.h"
#include "encoder/encoder.h"
#include "kernel/contract.h"
#include "plan/attention_plan.h"

namespace djl_metal::backend {

struct Output {
  torch::Tensor tensor;
  torch::TensorInfo info;  // its sizes, strides and data pointer
};

// [.., Lq, D] in the query's dtype and device: laid out like the query (PyTorch's CPU flash attention
// allocates empty_like(query)) or contiguous (its math kernel), as geometry.output says. The last dimension
// is contiguous in both.
Output allocate_output(const call::SdpaCall& call, const call::CallFacts& facts,
                       const kernel::AttentionGeometry& geometry);

// The output's strides as the kernels index them.
plan::OutputStrides kernel_output_strides(const torch::TensorInfo& output);

// Whether a key or value row that no query row may see (top-left causal masking hides the keys at or past
// len_q) holds a NaN or an infinity, in host memory. The kernels never read those rows, but PyTorch's CPU kernels
// multiply their zero weights by them (0 x inf = NaN), so such a call must run on PyTorch to give its result.
bool hidden_rows_non_finite(const call::CallFacts& facts, const kernel::AttentionGeometry& geometry);

// A plan's scratch in host memory: the split decode's partials and the threadgroups' non-finite flags (each
// empty when the plan has none).
struct HostScratch {
  explicit HostScratch(const plan::Plan& plan);
  std::vector<float> partials;
  std::vector<uint32_t> flags;
  // Whether a threadgroup flagged a NaN or an infinity among the values it read.
  bool non_finite() const;
};

// The operands of a call on CPU tensors as host memory, with the plan's scratch.
encoder::HostOperands host_operands(const call::CallFacts& facts, const kernel::AttentionGeometry& geometry,
                                    const Output& output, HostScratch& scratch);

}  // namespace djl_metal::backend
