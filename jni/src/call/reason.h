// Why a call did not run on a native kernel. The Java enum ai.djl.metal.sdpa.FallbackReason mirrors this list
// by name and order (the engine checks at start that both sides agree).
#pragma once

#include <string>
#include <utility>

namespace djl_metal::call {

enum class Reason : int {
  kNone = 0,           // ran natively
  kNoBackend,          // no native backend is active in this process
  kDisabled,           // ai.djl.metal.sdpa=off
  kGradient,           // grad mode is on and an input requires grad: PyTorch keeps autograd
  kDropout,            // dropout_p > 0
  kDevice,             // a tensor is not on a device the active backend reads
  kDtype,              // inputs are not float32, float16 or bfloat16
  kHeadDim,            // head dim outside 1..256, or value head dim differs from query head dim
  kCausalMask,         // is_causal together with an explicit mask (PyTorch's answer depends on its backend)
  kLayout,             // last dimension of q, k or v is not contiguous, or a tensor without a data pointer
  kShape,              // rank above 4, q/k ranks differ, batch or head broadcasting the kernels do not do, mask rank < 2
  kSize,               // an empty dimension, or a size beyond the kernels' 32-bit index limits
  kScale,              // the scale is NaN or infinite, or not positive with is_causal
  kSmallCall,          // CPU tensors, and too little work to repay a GPU round trip
  kKernelUnavailable,  // the kernel's library or pipeline failed to build, or exceeds the device's limits
  kGpuError,           // Metal failed to run the call (command buffer error, or an object it would not create)
  kMpsUnavailable,     // MPS tensors, but this libtorch lacks the functions that order work on its MPS stream
  kNonFinite,          // the kernels read a NaN or an infinity: PyTorch computes the call, non-finite results included
  kSuspended,          // native execution suspended by the circuit breaker after repeated backend failures
  kDiverged,           // shadow mode saw this call shape's native result differ from PyTorch's, and turned it off
  kCount
};

// Stable identifier ("no_backend") and a sentence for logs and errors.
const char* reason_id(Reason r);
const char* reason_text(Reason r);

// A backend's answer: run natively (kNone), or the reason not to, with what exactly failed where that helps
// whoever reads the log (Apple's error text, a missing symbol).
struct Verdict {
  Reason reason = Reason::kNone;
  std::string detail;

  Verdict() = default;
  Verdict(Reason r) : reason(r) {}  // NOLINT: a bare reason is a verdict without detail
  Verdict(Reason r, std::string d) : reason(r), detail(std::move(d)) {}
  bool native() const { return reason == Reason::kNone; }
};

}  // namespace djl_metal::call
