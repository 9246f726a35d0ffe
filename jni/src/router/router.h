// The one place that decides, for every SDPA call, native kernel or PyTorch, and counts and logs it.
// Calls arrive from the libtorch override (TorchScript and eager code alike) and from the Java API.
#pragma once

#include <stdexcept>

#include "backend/backend.h"
#include "call/call.h"

namespace djl_metal::router {

// ai.djl.metal.sdpa: auto = native when supported else PyTorch; native = unsupported calls fail; off = PyTorch.
enum class Mode : int { kAuto = 0, kNative = 1, kOff = 2 };

// Where a call entered. Below autograd (a backend key, e.g. TorchScript under InferenceMode) no gradient can be
// recorded; above it (an autograd key, and the Java API) the router must check whether one is needed.
enum class Entry { kBelowAutograd, kAboveAutograd };

// Bad input (PyTorch's message), or a call that cannot run natively in native mode.
struct SdpaError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A call that cannot run natively in native mode (counted as rejected, not as an error).
struct SdpaRefused : SdpaError {
  using SdpaError::SdpaError;
};

// Set once at engine start, before the override is installed. `backend` may be null and must outlive the process.
void configure(Mode mode, backend::NativeBackend* backend);
Mode mode();
backend::NativeBackend* active_backend();

torch::Tensor route(const call::SdpaCall& call, Entry entry);

// A call not made on behalf of engine "Metal" (router/scope.h): PyTorch's result, bitwise, uncounted; bad input
// gets the same errors as in route().
torch::Tensor pass_through(const call::SdpaCall& call);

}  // namespace djl_metal::router
