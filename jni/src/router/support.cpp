#include "router/support.h"

namespace djl_metal::router {
namespace {

bool on_device(const torch::TensorInfo& t, int32_t device_type) { return t.device_type == device_type; }

}  // namespace

Reason support(const CallFacts& f, const NativeBackend* backend, AttentionGeometry* geometry) {
  if (!backend) return Reason::kNoBackend;
  if (f.grad_required) return Reason::kGradient;
  if (f.dropout_p != 0.0) return Reason::kDropout;
  const int32_t device = backend->device_type();
  if (!on_device(f.q, device) || !on_device(f.k, device) || !on_device(f.v, device) ||
      (f.mask && !on_device(*f.mask, device))) {
    return Reason::kDevice;
  }
  const torch::Shim& s = torch::shim();
  const int32_t dt = f.q.dtype;
  if (dt != s.dtype_float32 && dt != s.dtype_float16 && dt != s.dtype_bfloat16) return Reason::kDtype;
  if (f.is_causal && f.mask) return Reason::kCausalMask;
  return describe_geometry(f, geometry);
}

}  // namespace djl_metal::router
