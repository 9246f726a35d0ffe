#include "backend/simulator_backend.h"

#include <vector>

#include "encoder/simulator_encoder.h"
#include "plan/attention_plan.h"

namespace djl_metal::backend {

int32_t SimulatorBackend::device_type() const { return torch::shim().device_cpu; }

torch::Tensor SimulatorBackend::run(const router::SdpaCall&, const router::CallFacts& facts,
                                    const router::AttentionGeometry& geometry) {
  const torch::Shim& s = torch::shim();
  const std::vector<int64_t> sizes(facts.q.sizes.begin(), facts.q.sizes.end());
  const std::vector<int64_t> strides = plan::output_strides(sizes);
  torch::AtenTensorHandle h = nullptr;
  if (s.empty_strided(static_cast<int64_t>(sizes.size()), sizes.data(), strides.data(), facts.q.dtype,
                      facts.q.device_type, facts.q.device_index, &h) != 0 || !h) {
    throw torch::TorchError("libtorch could not allocate the attention output");
  }
  torch::Tensor out(h);
  const torch::TensorInfo info = torch::TensorInfo::read(out.get());

  const plan::Plan plan = plan::plan_attention(geometry, plan::kernel_output_strides(sizes, strides));
  std::vector<float> partials(plan.partials_bytes / sizeof(float));
  encoder::HostOperands operands;
  operands.query = facts.q.data;
  operands.key = facts.k.data;
  operands.value = facts.v.data;
  operands.mask = facts.mask ? facts.mask->data : nullptr;
  operands.output = info.data;
  operands.partials = partials.empty() ? nullptr : partials.data();
  encoder::SimulatorEncoder encoder(operands);
  for (const plan::Dispatch& d : plan.dispatches) encoder.encode(d);
  return out;
}

}  // namespace djl_metal::backend
