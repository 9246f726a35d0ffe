// Process-wide SDPA routing counters: lock-free, exact under concurrency (each counter on its own).
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "call/reason.h"

namespace djl_metal::router {

using backend::BackendKind;
using call::Reason;

struct StatsSnapshot {
  uint64_t native[static_cast<int>(BackendKind::kCount)] = {};   // by backend (kNone unused)
  uint64_t fallback[static_cast<int>(Reason::kCount)] = {};      // by reason (kNone unused)
  uint64_t rejected[static_cast<int>(Reason::kCount)] = {};      // native mode refused, by reason
  uint64_t errors = 0;  // calls that raised: invalid input, or a failure inside libtorch or a backend
};

void count_native(BackendKind backend);
void count_fallback(Reason reason);
void count_rejected(Reason reason);
void count_error();
StatsSnapshot stats_snapshot();

// The calls routed on the calling thread since it started, by outcome (for per-predictor metrics).
struct ThreadCalls {
  uint64_t native = 0, fallback = 0, rejected = 0, errors = 0;
};
ThreadCalls thread_calls();

// True exactly once per reason per process: the first fallback for it, which gets a WARN line.
bool first_fallback(Reason reason);

}  // namespace djl_metal::router
