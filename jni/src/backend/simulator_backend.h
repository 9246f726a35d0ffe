// The native backend that runs the Metal kernels on the MSL simulator (CPU tensors, in place).
// Chosen only when asked for (ai.djl.metal.backend=simulator): it verifies the kernels, it is not fast.
#pragma once

#include "router/backend.h"

namespace djl_metal::backend {

class SimulatorBackend : public router::NativeBackend {
 public:
  router::BackendKind kind() const override { return router::BackendKind::kSimulator; }
  int32_t device_type() const override;
  torch::Tensor run(const router::SdpaCall& call, const router::CallFacts& facts,
                    const router::AttentionGeometry& geometry) override;
};

}  // namespace djl_metal::backend
