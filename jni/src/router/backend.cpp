#include "router/backend.h"

namespace djl_metal::router {

const char* backend_name(BackendKind kind) {
  switch (kind) {
    case BackendKind::kNone: return "none";
    case BackendKind::kSimulator: return "simulator";
    case BackendKind::kMetal: return "metal";
    case BackendKind::kCount: break;
  }
  return "unknown";
}

}  // namespace djl_metal::router
