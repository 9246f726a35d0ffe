#include "router/fallback.h"

#include <cstring>
#include <deque>
#include <mutex>

#include "metal/device.h"
#include "torch/op.h"

namespace djl_metal::router {
namespace {

using call::CallFacts;
using call::SdpaCall;
using torch::OpCall;
using Result = torch::OpCall::Result;

// A 0-dim tensor of `dtype` holding 0 or -inf, on the mask's device. Scalars cannot cross the C shim, so the
// bits are written into a CPU tensor, which a device other than the CPU (MPS: the query's) gets a copy of.
torch::Tensor scalar_tensor(bool negative_infinity, int32_t dtype, const torch::TensorInfo& like,
                            torch::AtenTensorHandle query) {
  const torch::Shim& s = torch::shim();
  const bool on_cpu = like.device_type == s.device_cpu;
  torch::AtenTensorHandle h = nullptr;
  if (s.empty_strided(0, nullptr, nullptr, dtype, s.device_cpu, on_cpu ? like.device_index : -1, &h) != 0 || !h) {
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
  if (on_cpu) return t;
  OpCall to("aten::to", "other");
  to.tensor(t.get()).tensor(query).boolean(false).boolean(false).none().run({Result::kTensor});
  return to.take_tensor(0);
}

// The 0 and -inf scalars, made once per dtype and device and shared read-only by every call.
struct MaskScalars {
  int32_t dtype, device_type, device_index;
  torch::Tensor zero, neg_inf;
};

const MaskScalars& mask_scalars(int32_t dtype, const torch::TensorInfo& like, torch::AtenTensorHandle query) {
  static std::mutex mutex;
  static std::deque<MaskScalars> cache;  // deque: entries never move once handed out
  std::lock_guard<std::mutex> lock(mutex);
  for (const MaskScalars& m : cache) {
    if (m.dtype == dtype && m.device_type == like.device_type && m.device_index == like.device_index) return m;
  }
  cache.push_back({dtype, like.device_type, like.device_index, scalar_tensor(false, dtype, like, query),
                   scalar_tensor(true, dtype, like, query)});
  return cache.back();
}

// convert_boolean_attn_mask: True (attend) -> 0, False -> -inf, in the query's dtype; float masks pass through.
// where(mask, 0, -inf) gives the same tensor as PyTorch's where(logical_not(mask), -inf, 0) in one operator.
torch::Tensor additive_mask(const SdpaCall& call, const CallFacts& facts) {
  if (!facts.mask || facts.mask->dtype != torch::shim().dtype_bool) return {};
  const MaskScalars& scalars = mask_scalars(facts.q.dtype, *facts.mask, call.query.get());
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

namespace {

// PyTorch's math kernel raises this itself; raised here with its words before any work (converting the mask).
void check_math_causal_mask(const SdpaCall& call) {
  if (call.is_causal && call.attn_mask) {
    throw torch::TorchError(
        "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  }
}

torch::Tensor math(const SdpaCall& call, torch::AtenTensorHandle mask) {
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

torch::Tensor repeat_heads(torch::AtenTensorHandle t, int64_t repeats) {
  OpCall repeat("aten::repeat_interleave", "self_int");
  repeat.tensor(t).i64(repeats).optional_i64(-3).none().run({Result::kTensor});
  return repeat.take_tensor(0);
}

// PyTorch 2.7's SDPA for MPS tensors (attention.cpp, its math branch under USE_MPS): MPS has no fused-kernel
// choice, so the boolean mask is made additive and the MPS math kernel runs when no gradient is needed and
// the inputs are contiguous (or macOS is 15 or later), with GQA heads repeated first; else the generic math.
torch::Tensor pytorch_sdpa_mps(const SdpaCall& call, const CallFacts& facts) {
  torch::Tensor converted = additive_mask(call, facts);
  const torch::AtenTensorHandle mask = converted ? converted.get() : call.attn_mask.get();
  const bool grad = torch::shim().grad_mode_is_enabled() &&
                    (torch::requires_grad(call.query.get()) || torch::requires_grad(call.key.get()) ||
                     torch::requires_grad(call.value.get()));
  const bool contiguous = facts.q.is_contiguous() && facts.k.is_contiguous() && facts.v.is_contiguous();
  if (call.dropout_p != 0.0 || grad || !(contiguous || metal::os_at_least(15, 0))) {
    check_math_causal_mask(call);
    return math(call, mask);
  }
  torch::Tensor key, value;
  // PyTorch divides by the key heads here and dies of SIGFPE when there are none (validation lets that
  // through only with no query heads either, an empty call).
  if (call.enable_gqa && facts.k.size(-3) > 0) {
    const int64_t repeats = facts.q.size(-3) / facts.k.size(-3);
    if (repeats > 1) {
      key = repeat_heads(call.key.get(), repeats);
      value = repeat_heads(call.value.get(), repeats);
    }
  }
  OpCall mps("aten::_scaled_dot_product_attention_math_for_mps", "");
  mps.tensor(call.query.get())
      .tensor(key ? key.get() : call.key.get())
      .tensor(value ? value.get() : call.value.get())
      .optional_tensor(mask)
      .f64(call.dropout_p)
      .boolean(call.is_causal)
      .none()  // dropout_mask
      .optional_f64(call.scale)
      .run({Result::kTensor, Result::kTensor});
  return mps.take_tensor(0);
}

}  // namespace

kernel::OutputLayout pytorch_output_layout(const SdpaCall& call, const CallFacts& facts) {
  const bool flash = facts.q.device_type == torch::shim().device_cpu && facts.q.dim() == 4 &&
                     pytorch_kernel(call, facts) == PyTorchKernel::kFlashAttention;
  return flash ? kernel::OutputLayout::kLikeQuery : kernel::OutputLayout::kContiguous;
}

torch::Tensor pytorch_sdpa(const SdpaCall& call, const CallFacts& facts) {
  if (facts.q.device_type == torch::shim().device_mps) return pytorch_sdpa_mps(call, facts);
  const PyTorchKernel kernel = pytorch_kernel(call, facts);
  if (kernel == PyTorchKernel::kMath) check_math_causal_mask(call);

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
  return math(call, mask);
}

}  // namespace djl_metal::router
