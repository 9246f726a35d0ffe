#include "call/reason.h"

namespace djl_metal::call {

const char* reason_id(Reason r) {
  switch (r) {
    case Reason::kNone: return "none";
    case Reason::kNoBackend: return "no_backend";
    case Reason::kDisabled: return "disabled";
    case Reason::kGradient: return "gradient";
    case Reason::kDropout: return "dropout";
    case Reason::kDevice: return "device";
    case Reason::kDtype: return "dtype";
    case Reason::kHeadDim: return "head_dim";
    case Reason::kCausalMask: return "causal_mask";
    case Reason::kLayout: return "layout";
    case Reason::kShape: return "shape";
    case Reason::kSize: return "size";
    case Reason::kScale: return "scale";
    case Reason::kSmallCall: return "small_call";
    case Reason::kKernelUnavailable: return "kernel_unavailable";
    case Reason::kGpuError: return "gpu_error";
    case Reason::kMpsUnavailable: return "mps_unavailable";
    case Reason::kNonFinite: return "non_finite";
    case Reason::kSuspended: return "suspended";
    case Reason::kDiverged: return "diverged";
    case Reason::kCount: break;
  }
  return "unknown";
}

const char* reason_text(Reason r) {
  switch (r) {
    case Reason::kNone: return "runs on a native kernel";
    case Reason::kNoBackend: return "no native backend is active in this process";
    case Reason::kDisabled: return "the SDPA override is off (ai.djl.metal.sdpa=off)";
    case Reason::kGradient: return "an input requires grad and grad mode is on, so PyTorch keeps autograd";
    case Reason::kDropout: return "dropout_p > 0 runs on PyTorch";
    case Reason::kDevice: return "a tensor is not on a device the native backend reads";
    case Reason::kDtype: return "the native kernels take float32, float16 and bfloat16 only";
    case Reason::kHeadDim: return "head dim must be 1..256 and equal for query, key and value";
    case Reason::kCausalMask: return "is_causal together with an explicit attn_mask runs on PyTorch";
    case Reason::kLayout: return "the last dimension of query, key or value is not contiguous, or a tensor has no data pointer";
    case Reason::kShape:
      return "query/key/value ranks, batch or head broadcasting, or a mask rank below 2, not one the kernels handle";
    case Reason::kSize: return "an empty dimension or a size beyond the kernels' index limits";
    case Reason::kScale: return "the scale is NaN or infinite, or not positive with is_causal (PyTorch's CPU kernel then returns NaN rows)";
    case Reason::kSmallCall:
      return "a call on CPU tensors too small to repay a GPU round trip (ai.djl.metal.cpu_min_flops)";
    case Reason::kKernelUnavailable: return "the Metal kernel for this call failed to build or exceeds the device's limits";
    case Reason::kGpuError: return "Metal failed to run the call (a command buffer error, or an object Metal would not create)";
    case Reason::kMpsUnavailable: return "this libtorch lacks the functions that order work on its MPS stream";
    case Reason::kNonFinite:
      return "an input holds a NaN or an infinity (or an additive mask a NaN or +infinity), so PyTorch computes the call";
    case Reason::kSuspended:
      return "native execution is suspended after repeated backend failures (ai.djl.metal.breaker_failures)";
    case Reason::kDiverged:
      return "shadow mode found this call shape's native result outside tolerance of PyTorch's (ai.djl.metal.shadow_disable)";
    case Reason::kCount: break;
  }
  return "unknown reason";
}

}  // namespace djl_metal::call
