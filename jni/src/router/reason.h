// Why a call did not run on a native kernel. The Java enum ai.djl.metal.sdpa.FallbackReason mirrors this list
// by name and order (a test checks both sides agree).
#pragma once

namespace djl_metal::router {

enum class Reason : int {
  kNone = 0,       // ran natively
  kNoBackend,      // no native backend is active in this process
  kDisabled,       // ai.djl.metal.sdpa=off
  kGradient,       // grad mode is on and an input requires grad: PyTorch keeps autograd
  kDropout,        // dropout_p > 0
  kDevice,         // a tensor is not on the active backend's device
  kDtype,          // inputs are not float32, float16 or bfloat16
  kHeadDim,        // head dim outside 1..256, or value head dim differs from query head dim
  kCausalMask,     // is_causal together with an explicit mask (PyTorch's answer depends on its backend)
  kLayout,         // last dimension of q, k or v is not contiguous, or a tensor without a data pointer
  kShape,          // rank above 4, q/k ranks differ, batch or head broadcasting the kernels do not do, mask rank < 2
  kSize,           // an empty dimension, or a size beyond the kernels' 32-bit index limits
  kScale,          // the scale is NaN or infinite
  kCount
};

// Stable identifier ("no_backend") and a sentence for logs and errors.
const char* reason_id(Reason r);
const char* reason_text(Reason r);

}  // namespace djl_metal::router
