// PyTorch's own scaled_dot_product_attention, reproduced step for step so that a call that falls back is
// bitwise what an unhooked libtorch 2.7.1 computes (values, sizes, strides, autograd graph, RNG use).
#pragma once

#include "router/call.h"

namespace djl_metal::router {

// The CPU kernel PyTorch's own SDPA picks for a call (aten::_fused_sdp_choice).
enum class PyTorchKernel { kMath, kFlashAttention };

PyTorchKernel pytorch_kernel(const SdpaCall& call, const CallFacts& facts);

torch::Tensor pytorch_sdpa(const SdpaCall& call, const CallFacts& facts);

}  // namespace djl_metal::router
