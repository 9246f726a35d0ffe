// The native backend that runs the Metal kernels on the MSL simulator, on CPU tensors in place. Chosen only
// when asked for (ai.djl.metal.backend=simulator): it verifies the kernels, it is not fast.
#pragma once

#include "backend/backend.h"

namespace djl_metal::backend {

class SimulatorBackend : public NativeBackend {
 public:
  BackendKind kind() const override { return BackendKind::kSimulator; }
  bool reads_mps() const override { return false; }
  call::Verdict support(const call::CallFacts& facts, kernel::AttentionGeometry* geometry) override;
  Outcome run(const call::SdpaCall& call, const call::CallFacts& facts,
              const kernel::AttentionGeometry& geometry) override;
  CompileStats compile_stats() const override { return {}; }
};

}  // namespace djl_metal::backend
