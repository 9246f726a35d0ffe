#include "call/call.h"

#include <cstring>
#include <sstream>

namespace djl_metal::call {
namespace {

torch::AtenTensorHandle as_handle(torch::StableIValue s) {
  return reinterpret_cast<torch::AtenTensorHandle>(static_cast<uintptr_t>(s));
}

double as_double(torch::StableIValue s) {
  double d;
  std::memcpy(&d, &s, sizeof d);
  return d;
}

// An optional arrives as 0 (None) or as a heap StableIValue* that the kernel owns and must delete.
std::optional<torch::StableIValue> take_optional(torch::StableIValue s) {
  if (s == 0) return std::nullopt;
  auto* box = reinterpret_cast<torch::StableIValue*>(static_cast<uintptr_t>(s));
  torch::StableIValue value = *box;
  delete box;
  return value;
}

}  // namespace

SdpaCall SdpaCall::take_from_stack(torch::StableIValue* stack) {
  SdpaCall c;
  // Ownership first, so that nothing leaks if a later step throws.
  c.query = torch::Tensor(as_handle(stack[0]));
  c.key = torch::Tensor(as_handle(stack[1]));
  c.value = torch::Tensor(as_handle(stack[2]));
  if (auto mask = take_optional(stack[3])) c.attn_mask = torch::Tensor(as_handle(*mask));
  c.dropout_p = as_double(stack[4]);
  c.is_causal = torch::stable_bool(stack[5]);
  if (auto scale = take_optional(stack[6])) c.scale = as_double(*scale);
  c.enable_gqa = torch::stable_bool(stack[7]);
  return c;
}

CallFacts CallFacts::read(const SdpaCall& call) {
  CallFacts f;
  f.q = torch::TensorInfo::read(call.query.get());
  f.k = torch::TensorInfo::read(call.key.get());
  f.v = torch::TensorInfo::read(call.value.get());
  if (call.attn_mask) f.mask = torch::TensorInfo::read(call.attn_mask.get());
  f.dropout_p = call.dropout_p;
  f.is_causal = call.is_causal;
  f.scale = call.scale;
  f.enable_gqa = call.enable_gqa;
  return f;
}

std::string CallFacts::describe() const {
  std::ostringstream out;
  out << "q" << q.shape_string() << " k" << k.shape_string() << " v" << v.shape_string() << ' '
      << torch::dtype_name(q.dtype);
  if (mask) out << ", mask " << torch::dtype_name(mask->dtype) << mask->shape_string();
  if (is_causal) out << ", causal";
  if (scale) out << ", scale=" << *scale;
  if (enable_gqa) out << ", enable_gqa";
  if (dropout_p != 0.0) out << ", dropout_p=" << dropout_p;
  return out.str();
}

}  // namespace djl_metal::call
