// The Metal backend behind the router, executed on the fake Metal with the libtorch DJ ships (argv[1]): calls
// through libtorch's dispatcher (as a model's forward makes them) run natively within the dtype's tolerance of
// PyTorch; every injected fault leaves the call to PyTorch with a bitwise-identical result and the right reason;
// small calls stay on PyTorch; native mode reports a GPU error instead of falling back; 10,000 calls leave no
// fake objects and no heap behind.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "backend/metal_backend.h"
#include "backend/registry.h"
#include "check.h"
#include "fake_metal/fake_metal.h"
#include "router/breaker.h"
#include "router/fallback.h"
#include "router/override.h"
#include "router/router.h"
#include "router/scope.h"
#include "router/shadow.h"
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

// A Metal backend of its own, active in the router for the scope (a failed build stays failed for the life
// of its backend, so each scenario gets a new one).
class ActiveBackend {
 public:
  explicit ActiveBackend(router::Mode mode, double cpu_min_flops = 0) {
    MetalBackend::Settings settings;
    settings.cpu_min_flops = cpu_min_flops;
    settings.libtorch_symbol = &libtorch_symbol;
    std::string why;
    backend_ = std::make_unique<MetalBackend>(*djl_metal::metal::Device::get(&libtorch_symbol, &why), settings);
    router::configure(mode, backend_.get());
  }
  ~ActiveBackend() { router::configure(router::Mode::kOff, nullptr); }
  MetalBackend* operator->() const { return backend_.get(); }

 private:
  std::unique_ptr<MetalBackend> backend_;
};

uint64_t fallbacks(Reason r) { return router::stats_snapshot().fallback[static_cast<int>(r)]; }
uint64_t errors() { return router::stats_snapshot().errors; }
uint64_t native_calls() {
  return router::stats_snapshot().native[static_cast<int>(djl_metal::backend::BackendKind::kMetal)];
}

// Resident set size in KB.
long rss_kb() {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
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
  ActiveBackend backend(router::Mode::kNative);
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
      ActiveBackend backend(router::Mode::kAuto);
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

// Command buffers that keep failing suspend native execution (breaker, router/breaker.h): calls then fall back
// with `suspended` without reaching Metal, and once the suspension is over a call that runs natively resumes it.
TEST(repeated_gpu_errors_suspend_native_execution_until_a_retry_succeeds) {
  ActiveBackend backend(router::Mode::kAuto);
  router::configure_breaker({3, 50'000'000});  // 3 in a row, 50 ms
  const Case& c = *cases[0];
  const uint64_t gpu_errors = fallbacks(Reason::kGpuError), suspended = fallbacks(Reason::kSuspended);
  const uint64_t trips = router::breaker_state(router::monotonic_nanos()).trips;
  fake_metal::inject(fake_metal::Fault::kCommandBufferError, -1, 1);
  for (int i = 0; i < 5; ++i) CHECK(bitwise_equal(c.run(), c.expected));
  CHECK_EQ(fallbacks(Reason::kGpuError) - gpu_errors, 3u);
  CHECK_EQ(fallbacks(Reason::kSuspended) - suspended, 2u);
  CHECK(router::breaker_state(router::monotonic_nanos()).suspended);
  CHECK_EQ(router::breaker_state(router::monotonic_nanos()).trips, trips + 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(bitwise_equal(c.run(), c.expected));  // the retry fails: suspended again at once
  CHECK_EQ(fallbacks(Reason::kGpuError) - gpu_errors, 4u);
  CHECK(router::breaker_state(router::monotonic_nanos()).suspended);
  fake_metal::clear_faults();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  const uint64_t native = native_calls();
  c.run();  // the GPU works again: native, and the breaker closes
  CHECK_EQ(native_calls() - native, 1u);
  CHECK(!router::breaker_state(router::monotonic_nanos()).suspended);
  router::configure_breaker({});
  expect_no_violations(__FILE__);
}

// Shadow mode: every native call checked against PyTorch. A GPU that silently computes a wrong number is caught:
// the call returns PyTorch's result, and with disable_diverged its shape then runs on PyTorch ([diverged]).
TEST(shadow_mode_catches_a_wrong_result_and_turns_its_shape_off) {
  ActiveBackend backend(router::Mode::kAuto);
  router::configure_shadow({1.0, true});
  const Case& c = *cases[0];
  const router::ShadowStats before = router::shadow_stats();
  const int64_t start = router::monotonic_nanos();
  const Tensor right = c.run();
  const int64_t took = router::monotonic_nanos() - start;
  router::ShadowStats now = router::shadow_stats();
  CHECK_EQ(now.calls - before.calls, 1u);
  // The check's time is counted, and is part of the call's.
  CHECK(now.nanos > before.nanos);
  CHECK(now.nanos - before.nanos <= static_cast<uint64_t>(took));
  CHECK_EQ(now.divergences, before.divergences);
  CHECK(now.max_error[0] <= 1e-5);
  CHECK(bitwise_equal(right, c.run()));  // native again: the results of the kernels are deterministic

  fake_metal::inject(fake_metal::Fault::kWrongResult, 1);
  const uint64_t native = native_calls();
  const Tensor caught = c.run();
  fake_metal::clear_faults();
  now = router::shadow_stats();
  CHECK_EQ(native_calls() - native, 1u);
  CHECK_EQ(now.divergences - before.divergences, 1u);
  CHECK(now.max_error[0] > 1e-5);
  CHECK(bitwise_equal(caught, c.expected));  // PyTorch's result, not the wrong one
  const uint64_t diverged = fallbacks(Reason::kDiverged);
  CHECK(bitwise_equal(c.run(), c.expected));
  CHECK_EQ(fallbacks(Reason::kDiverged) - diverged, 1u);
  CHECK_EQ(native_calls() - native, 1u);
  router::configure_shadow({});
  expect_no_violations(__FILE__);
}

TEST(small_cpu_calls_stay_on_pytorch) {
  ActiveBackend backend(router::Mode::kAuto, MetalBackend::kDefaultCpuMinFlops);
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
  ActiveBackend backend(router::Mode::kNative);
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

namespace {

// [b, h, l, d] viewed from [b, l, h, d] memory, as attention code makes with transpose(1, 2).
Tensor transposed(int64_t b, int64_t h, int64_t l, int64_t d) {
  const Tensor t = random_tensor({b, l, h, d});
  libtorch::OpCall transpose("aten::transpose", "int");
  transpose.tensor(t.get()).i64(1).i64(2).run({libtorch::Result::kTensor});
  return transpose.take_tensor(0);
}

// Tells the shim that the CPU is the MPS device for the scope.
struct CpuAsMps {
  CpuAsMps() : real(djl_metal::torch::shim()) {
    djl_metal::torch::Shim as_mps = real;
    as_mps.device_mps = real.device_cpu;
    djl_metal::torch::install_shim_for_testing(as_mps);
  }
  ~CpuAsMps() { djl_metal::torch::install_shim_for_testing(real); }
  const djl_metal::torch::Shim real;
};

// PyTorch's SDPA for MPS tensors as the router reproduces it, on the given tensors.
Tensor mps_fallback(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask, bool gqa) {
  djl_metal::call::SdpaCall call;
  call.query = Tensor::share(q.get());
  call.key = Tensor::share(k.get());
  call.value = Tensor::share(v.get());
  if (mask) call.attn_mask = Tensor::share(mask->get());
  call.enable_gqa = gqa;
  return router::pytorch_sdpa(call, djl_metal::call::CallFacts::read(call));
}

}  // namespace

// MPS tensors cannot exist in Linux libtorch. With the shim told that the CPU is the MPS device, the MPS
// fallback runs on CPU tensors: its branch choice (PyTorch's MPS math kernel, which the CPU does not have,
// or the generic math kernel), GQA head repeats, mask conversion and the zero-heads guard execute here.
TEST(mps_fallbacks_take_pytorch_27s_branches) {
  const Case& masked = *cases[0];
  const Case& gqa = *cases[2];
  const Tensor tq = transposed(2, 4, 37, 64), tk = transposed(2, 4, 45, 64), tv = transposed(2, 4, 45, 64);
  const Tensor expected = dispatcher_sdpa(tq, tk, tv, nullptr, std::nullopt, false);  // PyTorch's CPU path
  const Tensor empty = random_tensor({1, 0, 4, 8});
  CpuAsMps cpu_as_mps;
  // Contiguous and no gradient on macOS 15 (the fake's): the MPS math kernel, GQA heads repeated first.
  CHECK_THROWS(mps_fallback(masked.q, masked.k, masked.v, &masked.mask, false),
               "libtorch failed in aten::_scaled_dot_product_attention_math_for_mps");
  CHECK_THROWS(mps_fallback(gqa.q, gqa.k, gqa.v, nullptr, true), "_scaled_dot_product_attention_math_for_mps");
  // Transposed views: the MPS kernel on macOS 15 too, the generic math kernel before it.
  CHECK_THROWS(mps_fallback(tq, tk, tv, nullptr, false), "_scaled_dot_product_attention_math_for_mps");
  fake_metal::inject(fake_metal::Fault::kMacOs14);
  const Tensor math = mps_fallback(tq, tk, tv, nullptr, false);
  fake_metal::clear_faults();
  CHECK(max_difference(math, expected) <= 2e-5);
  // No key heads with enable_gqa and no query heads either: PyTorch 2.7 divides by zero here.
  CHECK_THROWS(mps_fallback(empty, empty, empty, nullptr, true), "_scaled_dot_product_attention_math_for_mps");
}

// Linux libtorch exports torch::mps's functions as stubs that throw. With CPU tensors posing as MPS ones, the MPS
// half of MetalBackend::run prepares its operands (buffers at storage offsets, decode scratch from libtorch),
// the stream refuses, and the call falls back to PyTorch's MPS path with gpu_error, where Linux libtorch fails in
// its MPS kernel: an error, with that kernel's name, not a fallback.
TEST(mps_calls_on_a_libtorch_without_mps_fall_back_with_gpu_error) {
  const Tensor q = random_tensor({1, 2, 1, 64}), k = random_tensor({1, 2, 700, 64}), v = random_tensor({1, 2, 700, 64});
  ActiveBackend backend(router::Mode::kAuto);
  CpuAsMps cpu_as_mps;
  const uint64_t before = fallbacks(Reason::kGpuError), failed = errors();
  CHECK_THROWS(dispatcher_sdpa(q, k, v, nullptr, std::nullopt, false), "_scaled_dot_product_attention_math_for_mps");
  CHECK_EQ(fallbacks(Reason::kGpuError) - before, 0u);
  CHECK_EQ(errors() - failed, 1u);
  expect_no_violations(__FILE__);
}

TEST(ten_thousand_calls_leave_nothing_behind) {
#if defined(__SANITIZE_ADDRESS__)
  // Slower under AddressSanitizer, which checks leaks at exit on its own; its quarantine of freed memory
  // makes the heap and RSS figures meaningless there.
  constexpr int kCalls = 1000;
  constexpr bool kMemoryFigures = false;
#else
  constexpr int kCalls = 10000;
  constexpr bool kMemoryFigures = true;
#endif
  ActiveBackend backend(router::Mode::kNative);
  const Tensor q = random_tensor({1, 2, 8, 16}), k = random_tensor({1, 2, 24, 16}), v = random_tensor({1, 2, 24, 16});
  for (int i = 0; i < 100; ++i) dispatcher_sdpa(q, k, v, nullptr, std::nullopt, false);
  fake_metal::wait_idle();
  const long live = fake_metal::live_objects();
  const size_t heap = mallinfo2().uordblks;
  const long rss = rss_kb();
  const uint64_t native = native_calls();
  for (int i = 0; i < kCalls; ++i) dispatcher_sdpa(q, k, v, nullptr, std::nullopt, false);
  fake_metal::wait_idle();
  CHECK_EQ(native_calls() - native, static_cast<uint64_t>(kCalls));
  CHECK_EQ(fake_metal::live_objects(), live);
  if (kMemoryFigures) {
    CHECK(mallinfo2().uordblks <= heap + 256 * 1024);
    CHECK(rss_kb() <= rss + 4096);
  }
  std::fprintf(stderr, "%d calls: live fake objects %ld -> %ld, heap %+lld bytes, RSS %ld -> %ld KB\n", kCalls, live,
               fake_metal::live_objects(), static_cast<long long>(mallinfo2().uordblks) - static_cast<long long>(heap),
               rss, rss_kb());
  expect_no_violations(__FILE__);
}

int main(int argc, char** argv) {
  if (!libtorch::load(argc, argv, "metal_backend_test")) return 1;
  make_cases();
  // The process's device lives as long as the process; the override also takes the MPS keys, as on a Mac.
  std::string why;
  if (!djl_metal::metal::Device::get(&libtorch_symbol, &why)) {
    std::fprintf(stderr, "no fake Metal device: %s\n", why.c_str());
    return 1;
  }
  const std::string installed = router::install_override(true);
  if (!installed.empty()) {
    std::fprintf(stderr, "%s\n", installed.c_str());
    return 1;
  }
  // Every call here is made for engine "Metal", as the forwards of its models are.
  router::enter_metal_scope();
  const int rc = check::run_all();
  cases.clear();
  return rc;
}
