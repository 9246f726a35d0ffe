// The circuit breaker over native execution. After `failures` calls in a row that the backend failed to run
// (gpu_error), native execution is suspended for `suspend_nanos`: calls fall back with `suspended`. Then calls
// try again: one that runs natively closes the breaker, one that fails suspends it again at once. Each change of
// state is logged once.
#pragma once

#include <cstdint>
#include <string>

namespace djl_metal::router {

struct BreakerSettings {
  int failures = 5;                          // 0: never suspend
  int64_t suspend_nanos = 30'000'000'000;   // 30 s
};

struct BreakerState {
  bool suspended = false;
  uint64_t trips = 0;        // times native execution was suspended
  int consecutive = 0;       // failed native calls in a row
};

// Sets the settings and closes the breaker.
void configure_breaker(const BreakerSettings& settings);
// Closes the breaker, settings unchanged (a newly configured backend starts afresh).
void reset_breaker();

// Whether native execution may be tried at `now` (nanoseconds of a monotonic clock).
bool breaker_allows(int64_t now);
// The same now; the clock is read only while suspended (every routed call asks).
bool breaker_allows();
void breaker_success();
// `what` (the failure) goes into the log line when this failure suspends native execution.
void breaker_failure(int64_t now, const std::string& what);

BreakerState breaker_state(int64_t now);

// The monotonic clock the router passes in.
int64_t monotonic_nanos();

}  // namespace djl_metal::router
