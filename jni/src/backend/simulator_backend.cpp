#include "backend/simulator_backend.h"

#include <cstring>
#include <utility>

#include "backend/kernel_support.h"
#include "backend/tensors.h"
#include "encoder/plan_runner.h"
#include "encoder/simulator_encoder.h"

namespace djl_metal::backend {

call::Verdict SimulatorBackend::support(const call::CallFacts& facts, kernel::AttentionGeometry* geometry) {
  if (!all_on_device(facts, torch::shim().device_cpu)) return call::Reason::kDevice;
  const call::Verdict verdict = kernel_support(facts, geometry);
  geometry->report_non_finite = true;
  return verdict;
}

Outcome SimulatorBackend::run(const call::SdpaCall& call, const call::CallFacts& facts,
                              const kernel::AttentionGeometry& geometry) {
  if (hidden_rows_non_finite(facts, geometry)) return {{}, call::Reason::kNonFinite};
  Output out = allocate_output(call, facts, geometry);
  // This backend exists to verify the kernels: NaN in every element first, so an element they miss shows.
  std::memset(out.info.data, 0xff, static_cast<size_t>(out.info.extent() * kernel::element_bytes(geometry.element)));

  const plan::Plan plan = plan::plan_attention(geometry, kernel_output_strides(out.info));
  HostScratch scratch(plan);
  encoder::SimulatorEncoder encoder(host_operands(facts, geometry, out, scratch));
  encoder::encode_plan(plan, encoder);
  if (scratch.non_finite()) return {{}, call::Reason::kNonFinite};
  return {std::move(out.tensor), {}};
}

}  // namespace djl_metal::backend
