// Calls any aten operator through libtorch's boxed dispatcher, from the top of the dispatch stack
// (so autograd, autocast and our own override apply exactly as they would to a PyTorch caller).
#pragma once

#include <initializer_list>
#include <optional>

#include "torch/tensor.h"

namespace djl_metal::torch {

class OpCall {
 public:
  OpCall(const char* op, const char* overload) : op_(op), overload_(overload) {}
  ~OpCall();
  OpCall(const OpCall&) = delete;
  OpCall& operator=(const OpCall&) = delete;

  // Arguments, in schema order. Tensors are passed as new handles: the dispatcher consumes them.
  OpCall& tensor(AtenTensorHandle t);
  OpCall& optional_tensor(AtenTensorHandle t);  // null = None
  OpCall& f64(double v);
  OpCall& optional_f64(std::optional<double> v);
  OpCall& i64(int64_t v);
  OpCall& optional_i64(std::optional<int64_t> v);
  OpCall& boolean(bool v);
  OpCall& none();

  enum class Result { kTensor, kInt, kBool };

  // Runs the operator; results replace the arguments on the stack. Throws TorchError on failure.
  OpCall& run(std::initializer_list<Result> results);

  // Takes result i (a tensor the caller now owns).
  Tensor take_tensor(size_t i);
  int64_t int_result(size_t i) const;
  bool bool_result(size_t i) const;

 private:
  struct Box {
    StableIValue* value;
    bool holds_tensor;
  };

  const char* op_;
  const char* overload_;
  // Fixed capacity: these calls sit on every routed SDPA call, so they allocate nothing themselves.
  static constexpr size_t kMaxArguments = 12;
  static constexpr size_t kMaxResults = 4;
  void push(StableIValue value, bool owned);
  // An optional's value in a heap box that libtorch frees with delete.
  void push_box(StableIValue value);

  StableIValue stack_[kMaxArguments] = {};
  bool owned_tensor_[kMaxArguments] = {};  // argument i is a handle we still own (before run)
  size_t arguments_ = 0;
  Box boxes_[kMaxArguments] = {};          // optionals we allocated, owned until run
  size_t box_count_ = 0;
  Result results_[kMaxResults] = {};
  bool taken_[kMaxResults] = {};
  size_t result_count_ = 0;
  bool ran_ = false;
};

// Whether a tensor requires grad. Only meaningful with grad mode on (the shim has no getter: see op.cpp).
bool requires_grad(AtenTensorHandle t);

}  // namespace djl_metal::torch
