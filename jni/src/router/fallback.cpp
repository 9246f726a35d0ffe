#include "router/fallback.h"

#include <cstring>
#include <deque>
#include <mutex>

#include "torch/op.h"

namespace djl_metal::router {
namespace {

using torch::OpCall;
using Result = torch::OpCall::Result;

// PyTorch's SDPBackend numbering; on CPU _fused_sdp_choice answers only these two.
constexpr int64_t kMath = 0;
constexpr int64_t kFlashAttention = 1;

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

torch::Tensor pytorch_sdpa(const SdpaCall& call, const CallFacts& facts) {
  // The backend choice sees the original (possibly boolean) mask, as in PyTorch.
  OpCall choice("aten::_fused_sdp_choice", "");
  choice.tensor(call.query.get())
      .tensor(call.key.get())
      .tensor(call.value.get())
      .optional_tensor(call.attn_mask.get())
      .f64(call.dropout_p)
      .boolean(call.is_causal)
      .optional_f64(call.scale)
      .boolean(call.enable_gqa)
      .run({Result::kInt});
  const int64_t backend = choice.int_result(0);
  if (backend == kMath && call.is_causal && call.attn_mask) {
    // PyTorch's math kernel raises this itself, but its message would only reach standard error.
    throw torch::TorchError(
        "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  }

  torch::Tensor converted = additive_mask(call, facts);
  const torch::AtenTensorHandle mask = converted ? converted.get() : call.attn_mask.get();

  if (backend == kFlashAttention) {
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
  if (backend == kMath) {
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
  throw torch::TorchError("scaled_dot_product_attention: libtorch chose SDP backend " + std::to_string(backend) +
                          ", which this engine does not know for CPU tensors");
}

}  // namespace djl_metal::router
