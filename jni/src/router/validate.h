// Argument checks made before anything runs, so that bad input gets PyTorch's own message (or a clearer
// one where PyTorch's would come from deep inside a sub-operator) instead of a generic failure.
#pragma once

#include <string>

#include "call/call.h"

namespace djl_metal::router {

// Empty when the call is one PyTorch 2.7.1 accepts; otherwise the error message.
// Never rejects a call that PyTorch accepts.
std::string validate(const call::CallFacts& facts);

}  // namespace djl_metal::router
