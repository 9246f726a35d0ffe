#include "router/breaker.h"

#include <atomic>
#include <chrono>
#include <mutex>

#include "log/log.h"

namespace djl_metal::router {
namespace {

// Calls read `g_until` alone on the fast path; every change of state happens under the mutex.
std::mutex g_mutex;
BreakerSettings g_settings;
std::atomic<int64_t> g_until{0};  // suspended until this time; 0 when closed
std::atomic<int> g_consecutive{0};
std::atomic<uint64_t> g_trips{0};
bool g_logged_suspended = false;  // under g_mutex: the state the log last announced

// Under g_mutex.
void close_locked() {
  g_until.store(0);
  g_consecutive.store(0);
  g_logged_suspended = false;
}

}  // namespace

int64_t monotonic_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void configure_breaker(const BreakerSettings& settings) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_settings = settings;
  close_locked();
}

void reset_breaker() {
  std::lock_guard<std::mutex> lock(g_mutex);
  close_locked();
}

bool breaker_allows(int64_t now) {
  const int64_t until = g_until.load(std::memory_order_relaxed);
  return until == 0 || now >= until;
}

bool breaker_allows() { return g_until.load(std::memory_order_relaxed) == 0 || breaker_allows(monotonic_nanos()); }

void breaker_success() {
  if (g_consecutive.load(std::memory_order_relaxed) == 0 && g_until.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  g_consecutive.store(0);
  g_until.store(0);
  if (g_logged_suspended) {
    g_logged_suspended = false;
    log::write(log::Level::kInfo, "SDPA native execution resumed: a call ran natively after the suspension");
  }
}

void breaker_failure(int64_t now, const std::string& what) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const int consecutive = g_consecutive.fetch_add(1) + 1;
  if (g_settings.failures <= 0 || consecutive < g_settings.failures) return;
  g_until.store(now + g_settings.suspend_nanos);
  g_trips.fetch_add(1);
  if (!g_logged_suspended) {
    g_logged_suspended = true;
    log::write(log::Level::kWarn, "SDPA native execution suspended for " +
                                      std::to_string(g_settings.suspend_nanos / 1'000'000) + " ms after " +
                                      std::to_string(consecutive) + " failed calls in a row (last: " + what +
                                      "); calls run on PyTorch [suspended] until a retry succeeds");
  }
}

BreakerState breaker_state(int64_t now) {
  BreakerState s;
  s.suspended = !breaker_allows(now);
  s.trips = g_trips.load();
  s.consecutive = g_consecutive.load();
  return s;
}

}  // namespace djl_metal::router
