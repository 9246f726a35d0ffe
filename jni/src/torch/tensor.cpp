#include "torch/tensor.h"

namespace djl_metal::torch {

Tensor& Tensor::operator=(Tensor&& o) noexcept {
  if (this != &o) {
    if (h_) shim().delete_tensor_object(h_);
    h_ = o.h_;
    o.h_ = nullptr;
  }
  return *this;
}

Tensor::~Tensor() {
  if (h_) shim().delete_tensor_object(h_);
}

Tensor Tensor::share(AtenTensorHandle h) {
  AtenTensorHandle out = nullptr;
  if (shim().new_tensor_handle(h, &out) != 0 || !out) throw TorchError("libtorch could not copy a tensor handle");
  return Tensor(out);
}

AtenTensorHandle Tensor::release() {
  AtenTensorHandle h = h_;
  h_ = nullptr;
  return h;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

int64_t TensorInfo::extent() const {
  int64_t last = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (sizes[i] == 0) return 0;
    last += (sizes[i] - 1) * strides[i];
  }
  return last + 1;
}

bool TensorInfo::is_contiguous() const {
  for (int64_t size : sizes) {
    if (size == 0) return true;
  }
  int64_t expected = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) return false;
    expected *= sizes[i];
  }
  return true;
}

int64_t storage_offset(AtenTensorHandle h) {
  int64_t offset = 0;
  if (shim().get_storage_offset(h, &offset) != 0) throw TorchError("libtorch could not read a storage offset");
  return offset;
}

std::string shape_string(const Dims& sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + std::to_string(sizes[i]);
  return out + "]";
}

std::string TensorInfo::shape_string() const { return torch::shape_string(sizes); }

TensorInfo TensorInfo::read(AtenTensorHandle h) {
  const Shim& s = shim();
  TensorInfo t;
  int64_t dim = 0;
  int64_t* sizes = nullptr;
  int64_t* strides = nullptr;
  if (!h || s.get_dim(h, &dim) != 0 || dim < 0 || s.get_sizes(h, &sizes) != 0 || s.get_strides(h, &strides) != 0 ||
      s.get_dtype(h, &t.dtype) != 0 || s.get_device_type(h, &t.device_type) != 0 ||
      s.get_device_index(h, &t.device_index) != 0) {
    throw TorchError("scaled_dot_product_attention: an argument is not a valid tensor");
  }
  t.sizes.assign(sizes, sizes + dim);
  t.strides.assign(strides, strides + dim);
  if (s.get_data_ptr(h, &t.data) != 0) t.data = nullptr;
  return t;
}

}  // namespace djl_metal::torch
