// The cost of routing one SDPA call, without the JVM: the same calls through libtorch's dispatcher, first
// unhooked (PyTorch's own composite), then with the override installed (the router falling back to PyTorch,
// as with no native backend), in one process with one thread and grad mode off, as in DJL's inference.
//
// Usage: route_benchmark <libtorch_cpu path> [calls]  (with OMP_NUM_THREADS=1 for steady numbers)
#include <dlfcn.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "router/override.h"
#include "router/router.h"
#include "torch/op.h"

using djl_metal::torch::OpCall;
using djl_metal::torch::Tensor;
using Result = OpCall::Result;

namespace {

Tensor filled(std::vector<int64_t> sizes, bool boolean) {
  const auto& s = djl_metal::torch::shim();
  std::vector<int64_t> strides(sizes.size());
  int64_t n = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = n;
    n *= sizes[i];
  }
  djl_metal::torch::AtenTensorHandle h = nullptr;
  if (s.empty_strided(static_cast<int64_t>(sizes.size()), sizes.data(), strides.data(),
                      boolean ? s.dtype_bool : s.dtype_float32, s.device_cpu, 0, &h) != 0) {
    std::fprintf(stderr, "cannot allocate\n");
    std::exit(1);
  }
  void* data = nullptr;
  s.get_data_ptr(h, &data);
  for (int64_t i = 0; i < n; ++i) {
    if (boolean) {
      static_cast<bool*>(data)[i] = i % 5 != 0;
    } else {
      static_cast<float*>(data)[i] = static_cast<float>(i % 17) * 0.1f;
    }
  }
  return Tensor(h);
}

struct Workload {
  const char* name;
  Tensor q, k, v, mask;
};

void sdpa(const Workload& w) {
  OpCall call("aten::scaled_dot_product_attention", "");
  call.tensor(w.q.get())
      .tensor(w.k.get())
      .tensor(w.v.get())
      .optional_tensor(w.mask ? w.mask.get() : nullptr)
      .f64(0.0)
      .boolean(false)
      .optional_f64(std::nullopt)
      .boolean(false)
      .run({Result::kTensor});
  call.take_tensor(0);
}

double microseconds_per_call(const Workload& w, int calls) {
  for (int i = 0; i < calls / 10; ++i) sdpa(w);
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) sdpa(w);
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / calls;
}

}  // namespace

int main(int argc, char** argv) {
  void* lib = argc >= 2 ? dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) : nullptr;
  if (!lib) {
    std::fprintf(stderr, "usage: route_benchmark <libtorch_cpu path> [calls] (%s)\n", argc >= 2 ? dlerror() : "");
    return 2;
  }
  const int calls = argc >= 3 ? std::atoi(argv[2]) : 20000;
  const std::string error = djl_metal::torch::load_shim();
  auto set_grad_mode = reinterpret_cast<void (*)(bool)>(dlsym(lib, "aoti_torch_grad_mode_set_enabled"));
  if (!error.empty() || !set_grad_mode) {
    std::fprintf(stderr, "libtorch shim: %s\n", error.empty() ? "no aoti_torch_grad_mode_set_enabled" : error.c_str());
    return 1;
  }
  set_grad_mode(false);

  std::vector<Workload> workloads;
  workloads.push_back({"(a) B=1 H=8 L=128 D=64", filled({1, 8, 128, 64}, false), filled({1, 8, 128, 64}, false),
                       filled({1, 8, 128, 64}, false), Tensor()});
  workloads.push_back({"bert_padded's call, bool mask", filled({2, 4, 16, 16}, false), filled({2, 4, 16, 16}, false),
                       filled({2, 4, 16, 16}, false), filled({2, 1, 16, 16}, true)});
  workloads.push_back({"tiny B=1 H=1 L=4 D=8", filled({1, 1, 4, 8}, false), filled({1, 1, 4, 8}, false),
                       filled({1, 1, 4, 8}, false), Tensor()});

  std::vector<double> plain;
  for (const Workload& w : workloads) plain.push_back(microseconds_per_call(w, calls));
  djl_metal::router::configure(djl_metal::router::Mode::kAuto, nullptr);
  const std::string installed = djl_metal::router::install_override(false);
  if (!installed.empty()) {
    std::fprintf(stderr, "%s\n", installed.c_str());
    return 1;
  }
  std::printf("Routing cost per SDPA call, %d calls each, unhooked then routed (fallback to PyTorch)\n", calls);
  for (size_t i = 0; i < workloads.size(); ++i) {
    const double routed = microseconds_per_call(workloads[i], calls);
    std::printf("%-32s PyTorch %9.2f us  routed %9.2f us  (%+.2f us)  ratio %.4f\n", workloads[i].name, plain[i],
                routed, routed - plain[i], routed / plain[i]);
  }
  return 0;
}
