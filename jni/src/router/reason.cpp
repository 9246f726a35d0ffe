#include "router/reason.h"

namespace djl_metal::router {

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
    case Reason::kDevice: return "a tensor is not on the native backend's device";
    case Reason::kDtype: return "the native kernels take float32, float16 and bfloat16 only";
    case Reason::kHeadDim: return "head dim must be 1..256 and equal for query, key and value";
    case Reason::kCausalMask: return "is_causal together with an explicit attn_mask runs on PyTorch";
    case Reason::kLayout: return "the last dimension of query, key or value is not contiguous, or a tensor has no data pointer";
    case Reason::kShape:
      return "query/key/value ranks, batch or head broadcasting, or a mask rank below 2, not one the kernels handle";
    case Reason::kSize: return "an empty dimension or a size beyond the kernels' index limits";
    case Reason::kScale: return "the scale is NaN or infinite";
    case Reason::kCount: break;
  }
  return "unknown reason";
}

}  // namespace djl_metal::router
