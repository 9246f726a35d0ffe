#include "torch/op.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "torch/error_capture.h"

namespace djl_metal::torch {
namespace {

StableIValue from_double(double v) {
  StableIValue s = 0;
  std::memcpy(&s, &v, sizeof v);
  return s;
}

StableIValue from_handle(AtenTensorHandle h) { return static_cast<StableIValue>(reinterpret_cast<uintptr_t>(h)); }

AtenTensorHandle to_handle(StableIValue s) { return reinterpret_cast<AtenTensorHandle>(static_cast<uintptr_t>(s)); }

}  // namespace

OpCall::~OpCall() {
  if (ran_) {
    for (size_t i = 0; i < result_count_; ++i) {
      if (results_[i] == Result::kTensor && !taken_[i]) Tensor drop(to_handle(stack_[i]));
    }
    return;
  }
  // Never run: the arguments are still ours.
  for (size_t i = 0; i < arguments_; ++i) {
    if (owned_tensor_[i]) Tensor drop(to_handle(stack_[i]));
  }
  for (size_t i = 0; i < box_count_; ++i) {
    if (boxes_[i].holds_tensor) Tensor drop(to_handle(*boxes_[i].value));
    delete boxes_[i].value;
  }
}

void OpCall::push(StableIValue value, bool owned) {
  if (arguments_ == kMaxArguments) throw std::logic_error(std::string("too many arguments for ") + op_);
  stack_[arguments_] = value;
  owned_tensor_[arguments_] = owned;
  ++arguments_;
}

OpCall& OpCall::tensor(AtenTensorHandle t) {
  Tensor shared = Tensor::share(t);
  push(from_handle(shared.get()), true);
  shared.release();
  return *this;
}

OpCall& OpCall::optional_tensor(AtenTensorHandle t) {
  if (!t) return none();
  // libtorch frees the box with delete and takes the handle inside it, so the box must come from new.
  Tensor shared = Tensor::share(t);
  auto* box = new StableIValue(from_handle(shared.get()));
  boxes_[box_count_++] = {box, true};
  shared.release();
  push(from_handle(reinterpret_cast<AtenTensorHandle>(box)), false);
  return *this;
}

OpCall& OpCall::f64(double v) {
  push(from_double(v), false);
  return *this;
}

void OpCall::push_box(StableIValue value) {
  auto* box = new StableIValue(value);
  boxes_[box_count_++] = {box, false};
  push(from_handle(reinterpret_cast<AtenTensorHandle>(box)), false);
}

OpCall& OpCall::optional_i64(std::optional<int64_t> v) {
  if (!v) return none();
  StableIValue bits = 0;
  std::memcpy(&bits, &*v, sizeof bits);
  push_box(bits);
  return *this;
}

OpCall& OpCall::optional_f64(std::optional<double> v) {
  if (!v) return none();
  push_box(from_double(*v));
  return *this;
}

OpCall& OpCall::i64(int64_t v) {
  StableIValue s = 0;
  std::memcpy(&s, &v, sizeof v);
  push(s, false);
  return *this;
}

OpCall& OpCall::boolean(bool v) {
  push(v ? 1 : 0, false);
  return *this;
}

OpCall& OpCall::none() {
  push(0, false);
  return *this;
}

OpCall& OpCall::run(std::initializer_list<Result> results) {
  if (results.size() > kMaxResults) throw std::logic_error(std::string("too many results for ") + op_);
  const Shim& s = shim();
  ErrorCapture capture;
  const ShimError err = s.call_dispatcher ? s.call_dispatcher(op_, overload_, stack_)
                                          : s.call_dispatcher_v2(op_, overload_, stack_, s.abi_version());
  // Whatever happened, libtorch has taken the arguments (handles and boxes).
  box_count_ = 0;
  for (size_t i = 0; i < arguments_; ++i) owned_tensor_[i] = false;
  if (err != 0) {
    const std::string message = capture.message();
    throw TorchError(std::string("libtorch failed in ") + op_ + (overload_[0] ? "." : "") + overload_ + ": " +
                     (message.empty() ? "no message" : message));
  }
  ran_ = true;
  result_count_ = 0;
  for (Result r : results) {
    results_[result_count_] = r;
    taken_[result_count_] = false;
    ++result_count_;
  }
  return *this;
}

Tensor OpCall::take_tensor(size_t i) {
  taken_[i] = true;
  return Tensor(to_handle(stack_[i]));
}

int64_t OpCall::int_result(size_t i) const {
  int64_t v = 0;
  std::memcpy(&v, &stack_[i], sizeof v);
  return v;
}

bool OpCall::bool_result(size_t i) const { return stable_bool(stack_[i]); }

// A fresh alias of a tensor that requires grad records a backward node (grad mode is on), so it is not a leaf;
// an alias of anything else is.
bool requires_grad(AtenTensorHandle t) {
  OpCall alias("aten::alias", "");
  alias.tensor(t).run({OpCall::Result::kTensor});
  Tensor view = alias.take_tensor(0);
  OpCall leaf("aten::is_leaf", "");
  leaf.tensor(view.get()).run({OpCall::Result::kBool});
  return !leaf.bool_result(0);
}

}  // namespace djl_metal::torch
