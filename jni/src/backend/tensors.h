// The tensors of a native call: its result, allocated with the sizes and strides PyTorch's own result would
// have, and, for CPU tensors, the host memory the kernels read and write in place.
#pragma once

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

// The operands of a call on CPU tensors as host memory; `partials` is the plan's scratch (empty when unused).
encoder::HostOperands host_operands(const call::CallFacts& facts, const kernel::AttentionGeometry& geometry,
                                    const Output& output, std::vector<float>& partials);

}  // namespace djl_metal::backend
