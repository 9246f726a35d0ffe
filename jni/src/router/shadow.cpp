#include "router/shadow.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include "log/log.h"
#include "router/breaker.h"
#include "router/fallback.h"
#include "torch/op.h"

namespace djl_metal::router {
namespace {

using torch::OpCall;
using Result = OpCall::Result;

constexpr double kTolerance[3] = {1e-5, 3e-3, 2e-2};

std::atomic<double> g_fraction{0.0};
std::atomic<bool> g_disable{false};
std::atomic<uint64_t> g_calls{0}, g_divergences{0}, g_nanos{0};
std::atomic<double> g_max_error[3];
std::atomic<bool> g_any_disabled{false};
std::mutex g_mutex;
std::set<std::string> g_warned, g_disabled;  // call shapes (CallFacts::describe), under g_mutex

void raise_max(std::atomic<double>& slot, double value) {
  double current = slot.load();
  while (value > current && !slot.compare_exchange_weak(current, value)) {
  }
}

// A contiguous float64 copy of a CPU tensor, so that two results compare element by element in one pass.
torch::Tensor as_contiguous_float64(torch::AtenTensorHandle t) {
  constexpr int64_t kContiguousFormat = 0;  // c10::MemoryFormat::Contiguous
  OpCall copy("aten::_to_copy", "");
  copy.tensor(t)
      .optional_i64(torch::shim().dtype_float64)
      .none()            // layout
      .none()            // device
      .none()            // pin_memory
      .boolean(false)    // non_blocking
      .optional_i64(kContiguousFormat)
      .run({Result::kTensor});
  return copy.take_tensor(0);
}

// The largest |a - b| / (1 + |b|) over n float64 values; infinity where exactly one of a pair is non-finite, or
// where both are and differ in kind (NaN against infinity).
double relative_error(const double* a, const double* b, int64_t n) {
  double worst = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    if (!std::isfinite(x) || !std::isfinite(y)) {
      const bool same = (std::isnan(x) && std::isnan(y)) || x == y;
      if (!same) return INFINITY;
      continue;
    }
    // Divides only where the error may grow.
    const double difference = std::fabs(x - y), scale = 1.0 + std::fabs(y);
    if (difference > worst * scale) worst = difference / scale;
  }
  return worst;
}

thread_local uint64_t t_random = 0;

// xorshift64*, seeded per thread from its address and a counter.
double next_uniform() {
  static std::atomic<uint64_t> seeds{0x9e3779b97f4a7c15ull};
  if (t_random == 0) t_random = seeds.fetch_add(0x9e3779b97f4a7c15ull) | 1;
  t_random ^= t_random >> 12;
  t_random ^= t_random << 25;
  t_random ^= t_random >> 27;
  return static_cast<double>((t_random * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

}  // namespace

void configure_shadow(const ShadowSettings& settings) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_fraction.store(settings.fraction);
  g_disable.store(settings.disable_diverged);
  g_disabled.clear();
  g_warned.clear();
  g_any_disabled.store(false);
}

bool shadow_sample() {
  const double fraction = g_fraction.load(std::memory_order_relaxed);
  return fraction > 0.0 && (fraction >= 1.0 || next_uniform() < fraction);
}

torch::Tensor shadow_check(const call::SdpaCall& call, const call::CallFacts& facts, kernel::Element element,
                           const torch::Tensor& native) {
  const int64_t start = monotonic_nanos();
  torch::Tensor reference = pytorch_sdpa(call, facts);
  const torch::Tensor a = as_contiguous_float64(native.get());
  const torch::Tensor b = as_contiguous_float64(reference.get());
  const torch::TensorInfo ai = torch::TensorInfo::read(a.get());
  const torch::TensorInfo bi = torch::TensorInfo::read(b.get());
  const double error = ai.sizes == bi.sizes ? relative_error(static_cast<const double*>(ai.data),
                                                             static_cast<const double*>(bi.data), ai.numel())
                                            : INFINITY;
  const int e = static_cast<int>(element);
  g_calls.fetch_add(1, std::memory_order_relaxed);
  g_nanos.fetch_add(static_cast<uint64_t>(monotonic_nanos() - start), std::memory_order_relaxed);
  raise_max(g_max_error[e], error);
  if (error <= kTolerance[e]) return {};

  g_divergences.fetch_add(1, std::memory_order_relaxed);
  const std::string shape = facts.describe();
  std::lock_guard<std::mutex> lock(g_mutex);
  const bool disable = g_disable.load();
  if (disable) {
    g_disabled.insert(shape);
    g_any_disabled.store(true);
  }
  if (g_warned.insert(shape).second) {
    log::write(log::Level::kWarn, "SDPA shadow check: the native result differs from PyTorch's by " +
                                      std::to_string(error) + " (relative; tolerance " +
                                      std::to_string(kTolerance[e]) + ") for " + shape +
                                      (disable ? "; this call shape now runs on PyTorch [diverged]" : ""));
  }
  return reference;
}

bool shadow_disabled(const call::CallFacts& facts) {
  if (!g_any_disabled.load(std::memory_order_relaxed)) return false;
  const std::string shape = facts.describe();
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_disabled.count(shape) != 0;
}

ShadowStats shadow_stats() {
  ShadowStats s;
  s.calls = g_calls.load();
  s.divergences = g_divergences.load();
  s.nanos = g_nanos.load();
  for (int i = 0; i < 3; ++i) s.max_error[i] = g_max_error[i].load();
  return s;
}

}  // namespace djl_metal::router
