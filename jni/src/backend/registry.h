// The one place that chooses the process's native backend (ai.djl.metal.backend) and says why.
#pragma once

#include <string>

#include "backend/backend.h"

namespace djl_metal::backend {

enum class Request : int { kAuto = 0, kMetal = 1, kSimulator = 2 };

struct Settings {
  Request request = Request::kAuto;
  double cpu_min_flops = -1;  // MetalBackend::Settings::cpu_min_flops; negative: its default
};

struct Selection {
  NativeBackend* backend = nullptr;  // null: none, every call runs on PyTorch
  std::string why;
};

// auto: Metal when this process has a Metal device, else none (the simulator is never chosen silently);
// metal or simulator: that backend, or std::runtime_error saying why it cannot run here. Backends live as long
// as the process. Needs libtorch's shim loaded (the Metal backend looks up libtorch's MPS functions).
Selection select_backend(const Settings& settings);

}  // namespace djl_metal::backend
