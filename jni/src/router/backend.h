// A native SDPA backend as the router sees it: where its kernels read memory, and how to run one call.
#pragma once

#include <cstdint>

#include "router/call.h"
#include "router/geometry.h"

namespace djl_metal::router {

enum class BackendKind : int { kNone = 0, kSimulator = 1, kMetal = 2, kCount };

const char* backend_name(BackendKind kind);

class NativeBackend {
 public:
  virtual ~NativeBackend() = default;
  virtual BackendKind kind() const = 0;
  // Device type (shim code) whose tensors this backend reads in place.
  virtual int32_t device_type() const = 0;
  // Runs one supported call; the result has the query's dtype and device.
  virtual torch::Tensor run(const SdpaCall& call, const CallFacts& facts, const AttentionGeometry& geometry) = 0;
};

}  // namespace djl_metal::router
