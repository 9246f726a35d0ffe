// The one interface through which plans reach a device: the calls a Metal compute command encoder takes
// (pipeline, buffer bindings, argument bytes, dispatch, ordering between dispatches, end). The simulator
// encoder runs each dispatch here on the CPU; the Metal encoder records them into a Metal command encoder.
// encode_plan (plan_runner.h) drives both the same way.
#pragma once

#include <cstddef>
#include <cstdint>

#include "plan/attention_plan.h"

namespace djl_metal::encoder {

class Encoder {
 public:
  virtual ~Encoder() = default;
  // The kernel of this dispatch, specialised by its function constants.
  virtual void set_pipeline(const plan::Dispatch& dispatch) = 0;
  // Binds the memory of an operand to [[buffer(index)]].
  virtual void set_buffer(uint32_t index, plan::Operand operand) = 0;
  // Binds a copy of a small argument block (under 4 KB) to [[buffer(index)]].
  virtual void set_bytes(uint32_t index, const void* bytes, size_t length) = 0;
  // Launches a grid of threadgroups with what is bound now.
  virtual void dispatch(const plan::Size3& threadgroups, const plan::Size3& threads) = 0;
  // Dispatches encoded after this point see every write of those encoded before it.
  virtual void barrier() = 0;
  // No more dispatches.
  virtual void finish() = 0;
};

// Host memory of one operand: its first element and the bytes from there to the end of its last element.
struct HostMemory {
  void* data = nullptr;
  size_t bytes = 0;
};

// Operands in host memory (CPU tensors, test vectors); an operand the call does not have stays null.
using HostOperands = plan::Operands<HostMemory>;

}  // namespace djl_metal::encoder
