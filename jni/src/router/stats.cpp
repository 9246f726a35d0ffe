#include "router/stats.h"

#include <atomic>

namespace djl_metal::router {
namespace {

constexpr int kBackends = static_cast<int>(BackendKind::kCount);
constexpr int kReasons = static_cast<int>(Reason::kCount);

std::atomic<uint64_t> g_native[kBackends];
std::atomic<uint64_t> g_fallback[kReasons];
std::atomic<uint64_t> g_rejected[kReasons];
std::atomic<uint64_t> g_errors;
std::atomic<bool> g_warned[kReasons];

thread_local ThreadCalls t_calls;

}  // namespace

void count_native(BackendKind backend) {
  g_native[static_cast<int>(backend)].fetch_add(1, std::memory_order_relaxed);
  ++t_calls.native;
}

void count_fallback(Reason reason) {
  g_fallback[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  ++t_calls.fallback;
}

void count_rejected(Reason reason) {
  g_rejected[static_cast<int>(reason)].fetch_add(1, std::memory_order_relaxed);
  ++t_calls.rejected;
}

void count_error() {
  g_errors.fetch_add(1, std::memory_order_relaxed);
  ++t_calls.errors;
}

ThreadCalls thread_calls() { return t_calls; }

StatsSnapshot stats_snapshot() {
  StatsSnapshot s;
  for (int i = 0; i < kBackends; ++i) s.native[i] = g_native[i].load(std::memory_order_relaxed);
  for (int i = 0; i < kReasons; ++i) {
    s.fallback[i] = g_fallback[i].load(std::memory_order_relaxed);
    s.rejected[i] = g_rejected[i].load(std::memory_order_relaxed);
  }
  s.errors = g_errors.load(std::memory_order_relaxed);
  return s;
}

bool first_fallback(Reason reason) { return !g_warned[static_cast<int>(reason)].exchange(true); }

}  // namespace djl_metal::router
