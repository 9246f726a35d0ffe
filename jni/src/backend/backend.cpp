#include "backend/backend.h"

namespace djl_metal::backend {

const char* backend_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::kNone: return "none";
    case BackendKind::kSimulator: return "simulator";
    case BackendKind::kMetal: return "metal";
    case BackendKind::kCount: break;
  }
  return "unknown";
}

bool all_on_device(const call::CallFacts& f, int32_t device_type) {
  return f.q.device_type == device_type && f.k.device_type == device_type && f.v.device_type == device_type &&
         (!f.mask || f.mask->device_type == device_type);
}

}  // namespace djl_metal::backend
