// The result tensor of a native call, allocated with the sizes and strides PyTorch's own result would have.
#pragma once

#include "call/call.h"
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

}  // namespace djl_metal::backend
