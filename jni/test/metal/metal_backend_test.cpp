// The Metal backend behind the router, executed on the fake Metal with the libtorch DJ ships (argv[1]): calls
// through libtorch's dispatcher (as a model's forward makes them) run natively within the dtype's tolerance of
// PyTorch; every injected fault leaves the call to PyTorch with a bitwise-identical result and the right reason;
// small calls stay on PyTorch; native mode reports a GPU error instead of falling back; 10,000 calls leave no
// fake objects and no heap behind.
#include <malloc.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>

#include "backend/metal_backend.h"
#include "backend/registry.h"
#include "check.h"
#include "fake_metal/fake_metal.h"
#include "router/override.h"
#include "router/router.h"
#include "torch/libtorch.h"

using djl_metal::backend::MetalBackend;
using djl_metal::call::Reason;
using libtorch::bitwise_equal;
using libtorch::dispatcher_sdpa;
using libtorch::random_tensor;
using libtorch::Tensor;
using libtorch::TensorInfo;
namespace router = djl_metal::router;

namespace {

// One SDPA call and PyTorch's own answer to it, computed before the override was installed.
struct Case {
  const char* name;
  Tensor q, k, v, mask;
  bool causal = false, gqa = false;
  double tolerance = 0;
  Tensor expected;

  Tensor run() const { return dispatcher_sdpa(q, k, v, mask ? &mask : nullptr, std::nullopt, causal, gqa); }
};

std::vector<std::unique_ptr<Case>> cases;

Case& add(const char* name, Tensor q, Tensor k, Tensor v, double tolerance) {
  cases.push_back(std::make_unique<Case>());
  Case& c = *cases.back();
  c.name = name;
  c.q = std::move(q), c.k = std::move(k), c.v = std::move(v);
  c.tolerance = tolerance;
  return c;
}

void make_cases() {
  const auto& s = djl_metal::torch::shim();
  Case& masked = add("prefill, boolean mask", random_tensor({2, 4, 37, 64}), random_tensor({2, 4, 45, 64}),
                     random_tensor({2, 4, 45, 64}), 2e-5);
  masked.mask = random_tensor({2, 1, 37, 45}, true);
  add("prefill, causal", random_tensor({1, 8, 64, 64}), random_tensor({1, 8, 64, 64}), random_tensor({1, 8, 64, 64}), 2e-5)
      .causal = true;
  add("grouped heads, 3-D, float16", random_tensor({8, 20, 32}, false, s.dtype_float16),
      random_tensor({2, 20, 32}, false, s.dtype_float16), random_tensor({2, 20, 32}, false, s.dtype_float16), 4e-3)
      .gqa = true;
  add("split decode", random_tensor({1, 4, 1, 64}), random_tensor({1, 4, 700, 64}), random_tensor({1, 4, 700, 64}), 2e-5);
  add("prefill, bfloat16, D=128", random_tensor({1, 2, 33, 128}, false, s.dtype_bfloat16),
      random_tensor({1, 2, 33, 128}, false, s.dtype_bfloat16), random_tensor({1, 2, 33, 128}, false, s.dtype_bfloat16), 3e-2);
  for (auto& c : cases) c->expected = c->run();
}

// Largest difference between two tensors of the same sizes (any strides, any floating dtype).
double max_difference(const Tensor& a, const Tensor& b) {
  const auto& s = djl_metal::torch::shim();
  const Tensor fa = libtorch::to_dtype(a, s.dtype_float32), fb = libtorch::to_dtype(b, s.dtype_float32);
  const TensorInfo x = TensorInfo::read(fa.get()), y = TensorInfo::read(fb.get());
  if (x.sizes != y.sizes) return INFINITY;
  double worst = 0;
  const int64_t n = x.numel();
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t rest = flat, ox = 0, oy = 0;
    for (int64_t d = x.dim() - 1; d >= 0; --d) {
      const int64_t i = rest % x.sizes[d];
      rest /= x.sizes[d];
      ox += i * x.strides[d];
      oy += i * y.strides[d];
    }
    const double diff = std::fabs(static_cast<const float*>(x.data)[ox] - static_cast<const float*>(y.data)[oy]);
    worst = std::max(worst, std::isnan(diff) ? INFINITY : diff);
  }
  return worst;
}

void* libtorch_symbol(const char* name) { return djl_metal::torch::find_symbol(name); }

// A backend of its own for each scenario: a failed build stays failed for the life of its backend.
std::unique_ptr<MetalBackend> new_backend(double cpu_min_flops = 0) {
  MetalBackend::Settings settings;
  settings.cpu_min_flops = cpu_min_flops;
  settings.libtorch_symbol = &libtorch_symbol;
  std::string why;
  return std::make_unique<MetalBackend>(*djl_metal::metal::Device::get(&why), settings);
}

uint64_t fallbacks(Reason r) { return router::stats_snapshot().fallback[static_cast<int>(r)]; }
uint64_t native_calls() {
  return router::stats_snapshot().native[static_cast<int>(djl_metal::backend::BackendKind::kMetal)];
}

void expect_no_violations(const char* where) {
  for (const std::string& v : fake_metal::take_violations()) check::fail(where, 0, "fake Metal: " + v);
}

}  // namespace

TEST(the_registry_picks_metal_where_a_device_exists) {
  djl_metal::backend::Settings auto_settings;
  const djl_metal::backend::Selection selected = djl_metal::backend::select_backend(auto_settings);
  CHECK(selected.backend && selected.backend->kind() == djl_metal::backend::BackendKind::kMetal);
  CHECK_CONTAINS(selected.why, "a Metal device exists: Fake Metal device (MSL simulator), GPU family Apple9");
  CHECK_CONTAINS(selected.why, "MPS tensors on PyTorch's MPS stream");
  CHECK(selected.backend->reads_mps());
}

TEST(native_results_are_within_tolerance_of_pytorch) {
  auto backend = new_backend();
  router::configure(router::Mode::kNative, backend.get());
  for (const auto& c : cases) {
    const uint64_t before = native_calls();
    const Tensor out = c->run();
    CHECK_EQ(native_calls() - before, 1u);
    const double error = max_difference(out, c->expected);
    if (!(error <= c->tolerance)) check::fail(c->name, 0, "max difference to PyTorch " + std::to_string(error));
    // Laid out as PyTorch's own result.
    CHECK(TensorInfo::read(out.get()).strides == TensorInfo::read(c->expected.get()).strides);
  }
  expect_no_violations(__FILE__);
  const djl_metal::backend::CompileStats stats = backend->compile_stats();
  CHECK_EQ(stats.libraries, 2u);
  CHECK(stats.pipelines >= 5u);
}

TEST(every_fault_falls_back_bitwise_with_its_reason) {
  const struct {
    fake_metal::Fault fault;
    long code;
    Reason reason;
    const char* name;
  } faults[] = {
      {fake_metal::Fault::kCompile, 0, Reason::kKernelUnavailable, "compile error"},
      {fake_metal::Fault::kFunction, 0, Reason::kKernelUnavailable, "function error"},
      {fake_metal::Fault::kPipeline, 0, Reason::kKernelUnavailable, "pipeline error"},
      {fake_metal::Fault::kMaxThreads, 0, Reason::kKernelUnavailable, "max threads below the plan's"},
      {fake_metal::Fault::kThreadgroupMemory, 0, Reason::kKernelUnavailable, "threadgroup memory above the device's"},
      {fake_metal::Fault::kSimdWidth, 0, Reason::kKernelUnavailable, "SIMD width 64"},
      {fake_metal::Fault::kNoBuffer, 0, Reason::kGpuError, "no-copy buffer refused"},
      {fake_metal::Fault::kNoCommandBuffer, 0, Reason::kGpuError, "no command buffer"},
      {fake_metal::Fault::kNoEncoder, 0, Reason::kGpuError, "no encoder"},
  };
  // Every MTLCommandBufferError code: internal, timeout, page fault, access revoked, not permitted, out of memory,
  // invalid resource, memoryless, device removed, stack overflow.
  std::vector<long> codes = {1, 2, 3, 4, 7, 8, 9, 10, 11, 12};
  fake_metal::wait_idle();  // the GPU may still hold the last command buffer of the test before
  const long live = fake_metal::live_objects();
  auto scenario = [&](fake_metal::Fault fault, long code, Reason reason, const std::string& name) {
    for (const auto& c : cases) {
      auto backend = new_backend();
      router::configure(router::Mode::kAuto, backend.get());
      fake_metal::inject(fault, -1, code);
      const uint64_t before = fallbacks(reason);
      const Tensor out = c->run();
      fake_metal::clear_faults();
      if (fallbacks(reason) - before != 1) check::fail(c->name, 0, name + ": not counted as " + djl_metal::call::reason_id(reason));
      if (!bitwise_equal(out, c->expected)) check::fail(c->name, 0, name + ": result differs from PyTorch's");
      expect_no_violations(c->name);
    }
  };
  for (const auto& f : faults) scenario(f.fault, f.code, f.reason, f.name);
  for (long code : codes) {
    scenario(fake_metal::Fault::kCommandBufferError, code, Reason::kGpuError, "command buffer error " + std::to_string(code));
  }
  fake_metal::wait_idle();
  CHECK_EQ(fake_metal::live_objects(), live);
  if (fake_metal::live_objects() != live) std::fprintf(stderr, "alive: %s\n", fake_metal::live_object_classes().c_str());
}

TEST(small_cpu_calls_stay_on_pytorch) {
  auto backend = new_backend(MetalBackend::kDefaultCpuMinFlops);
  router::configure(router::Mode::kAuto, backend.get());
  for (const auto& c : cases) {
    const uint64_t small = fallbacks(Reason::kSmallCall), native = native_calls();
    const Tensor out = c->run();
    // 4 * B * H * Lq * Lk * D is at most 8.4 MFLOP here (the causal case), under the 16 MFLOP default.
    CHECK_EQ(fallbacks(Reason::kSmallCall) - small, 1u);
    CHECK_EQ(native_calls(), native);
    CHECK(bitwise_equal(out, c->expected));
  }
  const Tensor q = random_tensor({1, 8, 256, 64}), k = random_tensor({1, 8, 256, 64}), v = random_tensor({1, 8, 256, 64});
  const uint64_t native = native_calls();
  dispatcher_sdpa(q, k, v, nullptr, std::nullopt, false);  // 134 MFLOP
  CHECK_EQ(native_calls() - native, 1u);
  expect_no_violations(__FILE__);
}

TEST(native_mode_reports_gpu_errors_instead_of_falling_back) {
  auto backend = new_backend();
  router::configure(router::Mode::kNative, backend.get());
  fake_metal::inject(fake_metal::Fault::kCommandBufferError, 1, 3);
  bool threw = false;
  try {
    cases[0]->run();
  } catch (const djl_metal::torch::TorchError&) {
    threw = true;  // the dispatcher reports the router's SdpaError as a failed call
  }
  CHECK(threw);
  CHECK_EQ(router::stats_snapshot().rejected[static_cast<int>(Reason::kGpuError)], 1u);
  fake_metal::clear_faults();
  expect_no_violations(__FILE__);
}

TEST(ten_thousand_calls_leave_nothing_behind) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr int kCalls = 1000;  // slower under AddressSanitizer, which checks leaks at exit on its own
#else
  constexpr int kCalls = 10000;
#endif
  auto backend = new_backend();
  router::configure(router::Mode::kNative, backend.get());
  const Tensor q = random_tensor({1, 2, 8, 16}), k = random_tensor({1, 2, 24, 16}), v = random_tensor({1, 2, 24, 16});
  for (int i = 0; i < 100; ++i) dispatcher_sdpa(q, k, v, nullptr, std::nullopt, false);
  fake_metal::wait_idle();
  const long live = fake_metal::live_objects();
  const size_t heap = mallinfo2().uordblks;
  const uint64_t native = native_calls();
  for (int i = 0; i < kCalls; ++i) dispatcher_sdpa(q, k, v, nullptr, std::nullopt, false);
  fake_metal::wait_idle();
  CHECK_EQ(native_calls() - native, static_cast<uint64_t>(kCalls));
  CHECK_EQ(fake_metal::live_objects(), live);
  CHECK(mallinfo2().uordblks <= heap + 256 * 1024);
  long rss_pages = 0, ignored = 0;
  std::ifstream("/proc/self/statm") >> ignored >> rss_pages;
  std::fprintf(stderr, "%d calls: live fake objects %ld, heap %+lld bytes, RSS %ld KB\n", kCalls, live,
               static_cast<long long>(mallinfo2().uordblks) - static_cast<long long>(heap), rss_pages * 4);
  expect_no_violations(__FILE__);
}

int main(int argc, char** argv) {
  if (!libtorch::load(argc, argv, "metal_backend_test")) return 1;
  make_cases();
  // The process's device lives as long as the process; the override also takes the MPS keys, as on a Mac.
  std::string why;
  if (!djl_metal::metal::Device::get(&why)) {
    std::fprintf(stderr, "no fake Metal device: %s\n", why.c_str());
    return 1;
  }
  const std::string installed = router::install_override(true);
  if (!installed.empty()) {
    std::fprintf(stderr, "%s\n", installed.c_str());
    return 1;
  }
  const int rc = check::run_all();
  router::configure(router::Mode::kOff, nullptr);
  cases.clear();
  return rc;
}
