#include "router/fallback.h"

#include <cstring>
#include <deque>
#include <mutex>

#include "torch/op.h"

namespace djl_metal::router {
namespace {

using torch::OpCall;
using Result = torch::OpCall::Result;

// A 0-dim tensor of `dtype` holding 0 or -inf. Scalars cannot cross the C shim, so the bits are written here.
torch::Tensor scalar_tensor(bool negative_infinity, int32_t dtype, const torch::TensorInfo& like) {
  const torch::Shim& s = torch::shim();
  torch::AtenTensorHandle h = nullptr;
  if (s.empty_strided(0, nullptr, nullptr, dtype, like.device_type, like.device_index, &h) != 0 || !h) {
    throw torch::TorchError("libtorch could not allocate a scalar tensor");
  }
  torch::Tensor t(h);
  void* data = nullptr;
  s.get_data_ptr(h, &data);
  if (dtype == s.dtype_float32) {
    const uint32_t bits = negative_infinity ? 0xff800000u : 0u;
    std::memcpy(data, &bits, sizeof bits);
  } else if (dtype == s.dtype_float64) {
    const uint64_t bits = negative_infinity ? 0xfff0000000000000ull : 0ull;
    std::memcpy(data, &bits, sizeof bits);
  } else if (dtype == s.dtype_float16 || dtype == s.dtype_bfloat16) {
    const uint16_t bits = !negative_infinity ? 0 : dtype == s.dtype_float16 ? 0xfc00 : 0xff80;
    std::memcpy(data, &bits, sizeof bits);
  } else {
    throw torch::TorchError("scaled_dot_product_attention: a boolean attn_mask needs a floating-point query, got " +
                            torch::dtype_name(dtype));
  }
  return t;
}

// The 0 and -inf scalars, made once per dtype and device and shared read-only by every call.
struct MaskScalars {
  int32_t dtype, device_type, device_index;
  torch::Tensor zero, neg_inf;
};

const MaskScalars& mask_scalars(int32_t dtype, const torch::TensorInfo& like) {
  static std::mutex mutex;
  static std::deque<MaskScalars> cache;  // deque: entries never move once handed out
  std::lock_guard<std::mutex> lock(mutex);
  for (const MaskScalars& m : cache) {
    if (m.dtype == dtype && m.device_type == like.device_type && m.device_index == like.device_index) return m;
  }
  cache.push_back({dtype, like.device_type, like.device_index, scalar_tensor(false, dtype, like),
                   scalar_tensor(true, dtype, like)});
  return cache.back();
}

// convert_boolean_attn_mask: True (attend) -> 0, False -> -inf, in the query's dtype; float masks pass through.
// where(mask, 0, -inf) gives the same tensor as PyTorch's where(logical_not(mask), -inf, 0) in one operator.
torch::Tensor additive_mask(const SdpaCall& call, const CallFacts& facts) {
  if (!facts.mask || facts.mask->dtype != torch::shim().dtype_bool) return {};
  const MaskScalars& scalars = mask_scalars(facts.q.dtype, *facts.mask);
  OpCall where("aten::where", "self");
  where.tensor(call.attn_mask.get()).tensor(scalars.zero.get()).tensor(scalars.neg_inf.get()).run({Result::kTensor});
  return where.take_tensor(0);
}

}  // namespace

PyTorchKernel pytorch_kernel(const SdpaCall& call, const CallFacts& facts) {
  // The choice sees the original (possibly boolean) mask, as in PyTorch. PyTorch asks its CPU choice
  // directly; through the dispatcher a sparse mask would find no kernel, so the choice, which looks only at
  // the mask's sizes, dtype and requires_grad, gets a dense copy of it.
  torch::Tensor dense;
  if (facts.mask && !facts.mask->data) {
    OpCall to_dense("aten::to_dense", "");
    to_dense.tensor(call.attn_mask.get()).none().none().run({Result::kTensor});
    dense = to_dense.take_tensor(0);
  }
  OpCall choice("aten::_fused_sdp_choice", "");
  choice.tensor(call.query.get())
      .tensor(call.key.get())
      .tensor(call.value.get())
      .optional_tensor(dense ? dense.get() : call.attn_mask.get())
      .f64(call.dropout_p)
      .boolean(call.is_causal)
      .optional_f64(call.scale)
      .boolean(call.enable_gqa)
      .run({Result::kInt});
  // PyTorch's SDPBackend numbering; on CPU _fused_sdp_choice answers only math (0) and flash attention (1).
  const int64_t chosen = choice.int_result(0);
  if (chosen == 0) return PyTorchKernel::kMath;
  if (chosen == 1) return PyTorchKernel::kFlashAttention;
  throw torch::TorchError("scaled_dot_product_attention: libtorch chose SDP backend " + std::to_string(chosen) +
                          ", which this engine does not know for CPU tensors");
}

torch::Tensor pytorch_sdpa(const SdpaCall& call, const CallFacts& facts) {
  const PyTorchKernel kernel = pytorch_kernel(call, facts);
  if (kernel == PyTorchKernel::kMath && call.is_causal && call.attn_mask) {
    // PyTorch's math kernel raises this itself, but its message would only reach standard error.
    throw torch::TorchError(
        "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  }

  torch::Tensor converted = additive_mask(call, facts);
  const torch::AtenTensorHandle mask = converted ? converted.get() : call.attn_mask.get();

  if (kernel == PyTorchKernel::kFlashAttention) {
    OpCall flash("aten::_scaled_dot_product_flash_attention_for_cpu", "");
    flash.tensor(call.query.get())
        .tensor(call.key.get())
        .tensor(call.value.get())
        .f64(call.dropout_p)
        .boolean(call.is_causal)
        .optional_tensor(mask)
        .optional_f64(call.scale)
        .run({Result::kTensor, Result::kTensor});
    return flash.take_tensor(0);
  }
  OpCall math("aten::_scaled_dot_product_attention_math", "");
  math.tensor(call.query.get())
      .tensor(call.key.get())
      .tensor(call.value.get())
      .optional_tensor(mask)
      .f64(call.dropout_p)
      .boolean(call.is_causal)
      .none()  // dropout_mask
      .optional_f64(call.scale)
      .boolean(call.enable_gqa)
      .run({Result::kTensor, Result::kTensor});
  return math.take_tensor(0);
}

}  // namespace djl_metal::router
