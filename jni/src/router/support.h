// The support predicate: can the active native backend run this (validated) call, and if not, why.
#pragma once

#include "router/backend.h"
#include "router/call.h"
#include "router/geometry.h"
#include "router/reason.h"

namespace djl_metal::router {

// Largest head dim the kernels take.
constexpr int64_t kMaxHeadDim = 256;

// Returns Reason::kNone (and fills *geometry) when `backend` can run the call.
// `backend` may be null (no native backend in this process). Dtype codes come from the loaded shim.
Reason support(const CallFacts& facts, const NativeBackend* backend, AttentionGeometry* geometry);

}  // namespace djl_metal::router
