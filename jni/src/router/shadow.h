// Shadow mode: a fraction of the calls that ran natively on CPU tensors run again on PyTorch's own path, and the
// two results are compared against the dtype's tolerance (the README's: 1e-5 for float32, 3e-3 for float16,
// 2e-2 for bfloat16, relative to 1 + |PyTorch's value|). The stats keep the largest error per dtype and the
// divergent calls; the first divergence of each call shape logs one WARN line; with `disable_diverged`, that shape
// no longer runs natively (it falls back with `diverged`). A divergent call returns PyTorch's result. MPS calls are
// not shadowed (reading their results would wait for the GPU).
#pragma once

#include <cstdint>

#include "call/call.h"
#include "kernel/contract.h"

namespace djl_metal::router {

struct ShadowSettings {
  double fraction = 0.0;  // 0 to 1
  bool disable_diverged = false;
};

struct ShadowStats {
  uint64_t calls = 0, divergences = 0;
  uint64_t nanos = 0;  // time spent in shadow checks: PyTorch's call, the comparison (what shadow mode costs)
  double max_error[3] = {};  // by kernel::Element: float32, float16, bfloat16; |native - PyTorch| / (1 + |PyTorch|)
};

// Sets the settings; shapes turned off by earlier divergences run natively again.
void configure_shadow(const ShadowSettings& settings);

// Whether this native call is shadowed (a per-thread random draw against the fraction).
bool shadow_sample();

// Runs the call on PyTorch and compares with the native output, recording and logging; returns PyTorch's result
// when they diverge (the caller returns it instead of the native one), else an empty tensor.
torch::Tensor shadow_check(const call::SdpaCall& call, const call::CallFacts& facts, kernel::Element element,
                           const torch::Tensor& native);

// Whether native execution is off for this call's shape after a divergence.
bool shadow_disabled(const call::CallFacts& facts);

ShadowStats shadow_stats();

}  // namespace djl_metal::router
