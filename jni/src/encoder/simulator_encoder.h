// Encoder that runs dispatches on the MSL simulator, with operands in host memory.
#pragma once

#include "encoder/encoder.h"

namespace djl_metal::encoder {

struct HostOperands {
  const void* query = nullptr;
  const void* key = nullptr;
  const void* value = nullptr;
  const void* mask = nullptr;  // null when the call has none
  void* output = nullptr;
  void* partials = nullptr;  // plan.partials_bytes of scratch, null when 0
};

class SimulatorEncoder : public Encoder {
 public:
  explicit SimulatorEncoder(const HostOperands& operands) : operands_(operands) {}
  void encode(const plan::Dispatch& dispatch) override;

 private:
  HostOperands operands_;
};

}  // namespace djl_metal::encoder
