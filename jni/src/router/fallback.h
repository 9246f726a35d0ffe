// PyTorch's own scaled_dot_product_attention, reproduced step for step so that a call that falls back is
// bitwise what an unhooked libtorch 2.7.1 computes (values, sizes, strides, autograd graph, RNG use): its CPU
// path (fused-kernel choice, flash or math) and its MPS path (MPS math kernel or generic math).
#pragma once

#include "call/call.h"
#include "kernel/contract.h"

namespace djl_metal::router {

// The CPU kernel PyTorch's own SDPA picks for a call on CPU tensors (aten::_fused_sdp_choice).
enum class PyTorchKernel { kMath, kFlashAttention };

PyTorchKernel pytorch_kernel(const call::SdpaCall& call, const call::CallFacts& facts);

// How PyTorch lays out its result for this call: like the query where it runs its CPU flash attention,
// contiguous everywhere else.
kernel::OutputLayout pytorch_output_layout(const call::SdpaCall& call, const call::CallFacts& facts);

torch::Tensor pytorch_sdpa(const call::SdpaCall& call, const call::CallFacts& facts);

}  // namespace djl_metal::router
