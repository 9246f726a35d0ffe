#include "encoder/plan_runner.h"

namespace djl_metal::encoder {

void encode_plan(const plan::Plan& plan, Encoder& encoder) {
  for (size_t i = 0; i < plan.dispatches.size(); ++i) {
    const plan::Dispatch& d = plan.dispatches[i];
    if (i > 0) encoder.barrier();
    encoder.set_pipeline(d);
    for (const plan::Binding& b : d.buffers) encoder.set_buffer(b.index, b.operand);
    encoder.set_bytes(SDPA_BUFFER_PARAMS, &d.params, sizeof d.params);
    encoder.dispatch(d.threadgroups, d.threads);
  }
  encoder.finish();
}

}  // namespace djl_metal::encoder
