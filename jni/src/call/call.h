// One scaled_dot_product_attention call: its arguments (owned) and the facts read from them.
#pragma once

#include <optional>
#include <string>

#include "torch/tensor.h"

namespace djl_metal::call {

// The arguments of aten::scaled_dot_product_attention, in schema order. Owns its tensor handles.
struct SdpaCall {
  torch::Tensor query, key, value;
  torch::Tensor attn_mask;  // empty = None
  double dropout_p = 0.0;
  bool is_causal = false;
  std::optional<double> scale;
  bool enable_gqa = false;

  // Takes the 8 arguments of a boxed-kernel stack, including ownership of every handle and optional box.
  static SdpaCall take_from_stack(torch::StableIValue* stack);
};

// Sizes, strides, dtypes and devices of a call, read once through the shim.
struct CallFacts {
  torch::TensorInfo q, k, v;
  std::optional<torch::TensorInfo> mask;
  double dropout_p = 0.0;
  bool is_causal = false;
  std::optional<double> scale;
  bool enable_gqa = false;

  static CallFacts read(const SdpaCall& call);
  // "q[2, 4, 5, 8] k[2, 4, 7, 8] v[2, 4, 7, 8] float32, mask bool[5, 7], causal, scale=0.25"
  std::string describe() const;
};

}  // namespace djl_metal::call
