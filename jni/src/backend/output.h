// The result tensor of a native call, allocated with the sizes and strides PyTorch's own result would have.
#pragma once

#include "router/call.h"
#include "router/geometry.h"

namespace djl_metal::backend {

struct Output {
  torch::Tensor tensor;
  torch::TensorInfo info;  // its sizes, strides and data pointer
};

// [.., Lq, D] in the query's dtype and device: laid out like the query (PyTorch's CPU flash attention
// allocates empty_like(query)) or contiguous (its math kernel), as geometry.output says. The last dimension
// is contiguous in both.
Output allocate_output(const router::SdpaCall& call, const router::CallFacts& facts,
                       const router::AttentionGeometry& geometry);

}  // namespace djl_metal::backend
