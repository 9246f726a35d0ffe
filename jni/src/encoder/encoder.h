// Turns a plan's dispatches into a backend's calls: the one place that encodes. The simulator encoder
// runs them here; the Metal encoder will make the same bindings on a compute command encoder.
#pragma once

#include "plan/attention_plan.h"

namespace djl_metal::encoder {

class Encoder {
 public:
  virtual ~Encoder() = default;
  // Encodes one dispatch; dispatches of a plan are encoded in order.
  virtual void encode(const plan::Dispatch& dispatch) = 0;
};

}  // namespace djl_metal::encoder
