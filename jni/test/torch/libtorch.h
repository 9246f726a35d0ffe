// Helpers for native tests that drive the router against the libtorch DJL ships (passed as argv[1]).
#pragma once

#include <dlfcn.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "router/stats.h"
#include "torch/op.h"

namespace libtorch {

using djl_metal::torch::OpCall;
using djl_metal::torch::Tensor;
using djl_metal::torch::TensorInfo;
using Result = OpCall::Result;

// Loads libtorch from argv[1] and its C shim; false (with a message) when that fails.
inline bool load(int argc, char** argv, const char* program) {
  if (argc < 2 || !dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL)) {
    std::fprintf(stderr, "usage: %s <libtorch_cpu path> (%s)\n", program, dlerror());
    return false;
  }
  const std::string error = djl_metal::torch::load_shim();
  if (!error.empty()) std::fprintf(stderr, "%s\n", error.c_str());
  return error.empty();
}

inline std::mt19937& rng() {
  static std::mt19937 r(2026);
  return r;
}

inline Tensor to_dtype(const Tensor& t, int32_t dtype) {
  OpCall to("aten::to", "dtype");
  to.tensor(t.get()).i64(dtype).boolean(false).boolean(false).none().run({Result::kTensor});
  return to.take_tensor(0);
}

// Standard normal values (float32, or rounded to `dtype`), or booleans true three times in four.
inline Tensor random_tensor(const std::vector<int64_t>& sizes, bool boolean = false, int32_t dtype = -1) {
  const auto& s = djl_metal::torch::shim();
  std::vector<int64_t> strides(sizes.size());
  int64_t n = 1;
  for (int i = static_cast<int>(sizes.size()) - 1; i >= 0; --i) {
    strides[i] = n;
    n *= sizes[i];
  }
  djl_metal::torch::AtenTensorHandle h = nullptr;
  s.empty_strided(static_cast<int64_t>(sizes.size()), sizes.data(), strides.data(),
                  boolean ? s.dtype_bool : s.dtype_float32, s.device_cpu, 0, &h);
  void* data = nullptr;
  s.get_data_ptr(h, &data);
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < n; ++i) {
    if (boolean) {
      static_cast<bool*>(data)[i] = rng()() % 4 != 0;
    } else {
      static_cast<float*>(data)[i] = normal(rng());
    }
  }
  Tensor t(h);
  return dtype < 0 || dtype == s.dtype_float32 ? std::move(t) : to_dtype(t, dtype);
}

// aten::scaled_dot_product_attention through the dispatcher, as a model's forward calls it.
inline Tensor dispatcher_sdpa(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask,
                              std::optional<double> scale, bool causal, bool enable_gqa = false) {
  OpCall call("aten::scaled_dot_product_attention", "");
  call.tensor(q.get())
      .tensor(k.get())
      .tensor(v.get())
      .optional_tensor(mask ? mask->get() : nullptr)
      .f64(0.0)
      .boolean(causal)
      .optional_f64(scale)
      .boolean(enable_gqa)
      .run({Result::kTensor});
  return call.take_tensor(0);
}

// Same sizes, strides, dtype (float32, float16 or bfloat16) and bytes.
inline bool bitwise_equal(const Tensor& a, const Tensor& b) {
  const TensorInfo x = TensorInfo::read(a.get());
  const TensorInfo y = TensorInfo::read(b.get());
  const int element = djl_metal::torch::dtype_size(x.dtype);
  if (element == 0 || x.sizes != y.sizes || x.strides != y.strides || x.dtype != y.dtype) return false;
  return std::memcmp(x.data, y.data, static_cast<size_t>(x.extent() * element)) == 0;
}

inline int64_t handle_of(const Tensor& t) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(t.get())); }

inline uint64_t routed_calls() {
  const auto s = djl_metal::router::stats_snapshot();
  uint64_t n = 0;
  for (uint64_t c : s.fallback) n += c;
  for (uint64_t c : s.native) n += c;
  return n;
}

}  // namespace libtorch
