#include "backend/simulator_backend.h"

#include <cstring>
#include <utility>
#include <vector>

#include "backend/output.h"
#include "encoder/simulator_encoder.h"
#include "plan/attention_plan.h"

namespace djl_metal::backend {

int32_t SimulatorBackend::device_type() const { return torch::shim().device_cpu; }

torch::Tensor SimulatorBackend::run(const router::SdpaCall& call, const router::CallFacts& facts,
                                    const router::AttentionGeometry& geometry) {
  Output out = allocate_output(call, facts, geometry);
  const torch::TensorInfo& info = out.info;
  // This backend exists to verify the kernels: NaN in every element first, so an element they miss shows.
  std::memset(info.data, 0xff, static_cast<size_t>(info.numel() * torch::dtype_size(facts.q.dtype)));

  const std::vector<int64_t> sizes(info.sizes.begin(), info.sizes.end());
  const std::vector<int64_t> strides(info.strides.begin(), info.strides.end());
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
  return std::move(out.tensor);
}

}  // namespace djl_metal::backend
