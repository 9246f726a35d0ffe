// The kernel contract (kernel/contract.h) checked against one validated call: dtype, causal with a mask, head
// dim, ranks and broadcasting, sizes, layout and scale. Every backend applies it after its own device checks.
#pragma once

#include "call/call.h"
#include "call/reason.h"
#include "kernel/contract.h"

namespace djl_metal::backend {

// Returns Reason::kNone and fills *out when the kernels can compute the call; otherwise the first reason they
// cannot. Dtype codes come from the loaded shim.
call::Reason kernel_support(const call::CallFacts& facts, kernel::AttentionGeometry* out);

}  // namespace djl_metal::backend
