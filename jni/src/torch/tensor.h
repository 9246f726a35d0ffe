// Owning and borrowed access to libtorch tensors through the C shim.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "torch/dims.h"
#include "torch/shim.h"

namespace djl_metal::torch {

// Raised when libtorch reports an error through the shim, or when a tensor cannot be described.
struct TorchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Owns one AtenTensorHandle (a heap at::Tensor) and deletes it; move-only.
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(AtenTensorHandle h) : h_(h) {}
  Tensor(Tensor&& o) noexcept : h_(o.h_) { o.h_ = nullptr; }
  Tensor& operator=(Tensor&& o) noexcept;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor();

  // A new handle to the same tensor (shares storage and autograd state).
  static Tensor share(AtenTensorHandle h);

  AtenTensorHandle get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }
  // Gives up ownership (for handing a result back to libtorch or Java).
  AtenTensorHandle release();

 private:
  AtenTensorHandle h_ = nullptr;
};

// The tensor's offset into its storage, in elements.
int64_t storage_offset(AtenTensorHandle h);

// "[2, 4, 5, 8]"
std::string shape_string(const Dims& sizes);

// What the router needs to know about one tensor, read once.
struct TensorInfo {
  Dims sizes;
  Dims strides;
  int32_t dtype = -1;
  int32_t device_type = -1;
  int32_t device_index = -1;
  void* data = nullptr;  // first element (storage offset applied); null where the storage has no data pointer

  int64_t dim() const { return static_cast<int64_t>(sizes.size()); }
  int64_t size(int64_t d) const { return sizes[d < 0 ? d + dim() : d]; }
  int64_t stride(int64_t d) const { return strides[d < 0 ? d + dim() : d]; }
  int64_t numel() const;
  // Elements from the first to the last one inclusive, in memory order (0 when empty); strides are never negative.
  int64_t extent() const;
  // PyTorch's is_contiguous() for the default memory format: dims of size 1 may have any stride.
  bool is_contiguous() const;
  std::string shape_string() const;

  static TensorInfo read(AtenTensorHandle h);
};

}  // namespace djl_metal::torch
