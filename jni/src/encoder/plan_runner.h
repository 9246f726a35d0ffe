// Runs a plan on an encoder: every dispatch in order, with its pipeline, buffers and argument block, a barrier
// between dispatches (each may read what the previous wrote), then finishes the encoder. The simulator
// backend, the Metal backend and the kernel tests all run plans through this one function.
#pragma once

#include "encoder/encoder.h"

namespace djl_metal::encoder {

void encode_plan(const plan::Plan& plan, Encoder& encoder);

}  // namespace djl_metal::encoder
