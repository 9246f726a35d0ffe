#include "torch/op.h"

#include <cstring>

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
    for (size_t i = 0; i < results_.size(); ++i) {
      if (results_[i] == Result::kTensor && !taken_[i]) Tensor drop(to_handle(stack_[i]));
    }
    return;
  }
  // Never run: the arguments are still ours.
  for (size_t i = 0; i < stack_.size(); ++i) {
    if (owned_tensor_[i]) Tensor drop(to_handle(stack_[i]));
  }
  for (const Box& box : boxes_) {
    if (box.holds_tensor) Tensor drop(to_handle(*box.value));
    delete box.value;
  }
}

OpCall& OpCall::tensor(AtenTensorHandle t) {
  stack_.push_back(from_handle(Tensor::share(t).release()));
  owned_tensor_.push_back(true);
  return *this;
}

OpCall& OpCall::optional_tensor(AtenTensorHandle t) {
  if (!t) return none();
  // libtorch frees the box with delete and takes the handle inside it, so the box must come from new.
  Tensor shared = Tensor::share(t);
  boxes_.push_back({new StableIValue(from_handle(shared.get())), true});
  shared.release();
  stack_.push_back(from_handle(reinterpret_cast<AtenTensorHandle>(boxes_.back().value)));
  owned_tensor_.push_back(false);
  return *this;
}

OpCall& OpCall::f64(double v) {
  stack_.push_back(from_double(v));
  owned_tensor_.push_back(false);
  return *this;
}

OpCall& OpCall::optional_f64(std::optional<double> v) {
  if (!v) return none();
  boxes_.push_back({new StableIValue(from_double(*v)), false});
  stack_.push_back(from_handle(reinterpret_cast<AtenTensorHandle>(boxes_.back().value)));
  owned_tensor_.push_back(false);
  return *this;
}

OpCall& OpCall::i64(int64_t v) {
  StableIValue s = 0;
  std::memcpy(&s, &v, sizeof v);
  stack_.push_back(s);
  owned_tensor_.push_back(false);
  return *this;
}

OpCall& OpCall::boolean(bool v) {
  stack_.push_back(v ? 1 : 0);
  owned_tensor_.push_back(false);
  return *this;
}

OpCall& OpCall::none() {
  stack_.push_back(0);
  owned_tensor_.push_back(false);
  return *this;
}

OpCall& OpCall::run(std::initializer_list<Result> results) {
  if (stack_.size() < results.size()) {
    stack_.resize(results.size(), 0);
    owned_tensor_.resize(results.size(), false);
  }
  const Shim& s = shim();
  const ShimError err = s.call_dispatcher ? s.call_dispatcher(op_, overload_, stack_.data())
                                          : s.call_dispatcher_v2(op_, overload_, stack_.data(), s.abi_version());
  // Whatever happened, libtorch has taken the arguments (handles and boxes).
  boxes_.clear();
  owned_tensor_.assign(owned_tensor_.size(), false);
  if (err != 0) {
    throw TorchError(std::string("libtorch failed in ") + op_ + (overload_[0] ? "." : "") + overload_ +
                     " (its message was printed to standard error)");
  }
  ran_ = true;
  results_.assign(results);
  taken_.assign(results_.size(), false);
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

}  // namespace djl_metal::torch
