// A native SDPA backend as the router sees it: which calls its device can run, and how it runs one.
#pragma once

#include <cstdint>

#include "call/call.h"
#include "call/reason.h"
#include "kernel/contract.h"
#include "metal/compile_stats.h"

namespace djl_metal::backend {

enum class BackendKind : int { kNone = 0, kSimulator = 1, kMetal = 2, kCount };

const char* backend_name(BackendKind kind);

using metal::CompileStats;

// GPU time of the command buffers a backend committed and waited for, from their GPU timestamps.
struct GpuTime {
  uint64_t command_buffers = 0, nanos = 0;
};

// A call run by a backend: its output, or (verdict other than kNone) why it must run on PyTorch instead. In
// the second case nothing the caller can see was written.
struct Outcome {
  torch::Tensor output;
  call::Verdict verdict;
};

class NativeBackend {
 public:
  virtual ~NativeBackend() = default;
  virtual BackendKind kind() const = 0;
  // Whether the backend reads MPS tensors too; the override then takes libtorch's MPS dispatch keys as well.
  virtual bool reads_mps() const = 0;
  // Whether this backend can run a validated call, and the kernels' view of it when it can. The device decides:
  // a backend refuses what its device cannot do. Runs on every routed call.
  virtual call::Verdict support(const call::CallFacts& facts, kernel::AttentionGeometry* geometry) = 0;
  // Runs a supported call (geometry from support, output layout set by the router).
  virtual Outcome run(const call::SdpaCall& call, const call::CallFacts& facts,
                      const kernel::AttentionGeometry& geometry) = 0;
  virtual CompileStats compile_stats() const = 0;
  virtual GpuTime gpu_time() const { return {}; }
};

// Whether every tensor of the call (mask included) is on this device type.
bool all_on_device(const call::CallFacts& facts, int32_t device_type);

}  // namespace djl_metal::backend
