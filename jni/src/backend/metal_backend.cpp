#include "backend/metal_backend.h"

#include <exception>
#include <utility>
#include <vector>

#include "backend/kernel_support.h"
#include "backend/tensors.h"
#include "encoder/plan_runner.h"
#include "metal/host_buffer.h"
#include "torch/op.h"

namespace djl_metal::backend {
namespace {

using call::Reason;
using call::Verdict;
using metal::objc::S;
using metal::objc::send;

constexpr metal::objc::NSUInteger kStatusCompleted = 4;  // MTLCommandBufferStatusCompleted
constexpr metal::objc::NSUInteger kStatusError = 5;      // MTLCommandBufferStatusError

// A float32 scratch tensor for the split decode's partials, on the MPS device of `like`.
torch::Tensor mps_scratch(uint64_t bytes, const torch::TensorInfo& like) {
  const torch::Shim& s = torch::shim();
  const int64_t size = static_cast<int64_t>(bytes / sizeof(float));
  const int64_t stride = 1;
  torch::AtenTensorHandle h = nullptr;
  if (s.empty_strided(1, &size, &stride, s.dtype_float32, like.device_type, like.device_index, &h) != 0 || !h) {
    throw torch::TorchError("libtorch could not allocate the decode partials");
  }
  return torch::Tensor(h);
}

}  // namespace

encoder::MetalOperand mps_operand(const void* data_ptr, int64_t storage_offset, int element_bytes) {
  const uint64_t offset = static_cast<uint64_t>(storage_offset) * static_cast<uint64_t>(element_bytes);
  return {reinterpret_cast<metal::objc::Id>(const_cast<char*>(static_cast<const char*>(data_ptr)) - offset), offset};
}

MetalBackend::MetalBackend(const metal::Device& device, const Settings& settings)
    : device_(device),
      settings_(settings),
      mps_(settings.libtorch_symbol),
      pipelines_(device) {}

Verdict MetalBackend::support(const call::CallFacts& facts, kernel::AttentionGeometry* geometry) {
  const torch::Shim& s = torch::shim();
  const bool on_cpu = all_on_device(facts, s.device_cpu);
  if (!on_cpu) {
    if (!all_on_device(facts, s.device_mps)) return Reason::kDevice;
    if (!mps_.missing().empty()) return {Reason::kMpsUnavailable, "libtorch lacks " + mps_.missing()};
  }
  const Reason r = kernel_support(facts, geometry);
  if (r != Reason::kNone) return r;
  // Host memory is read back after the run anyway; on PyTorch's MPS stream nothing waits for the kernels.
  geometry->report_non_finite = on_cpu;
  if (on_cpu && kernel::flops(*geometry) < settings_.cpu_min_flops) return Reason::kSmallCall;
  return {};
}

Outcome MetalBackend::run(const call::SdpaCall& call, const call::CallFacts& facts,
                          const kernel::AttentionGeometry& geometry) {
  const bool on_mps = facts.q.device_type == torch::shim().device_mps;
  if (!on_mps && hidden_rows_non_finite(facts, geometry)) return {{}, Reason::kNonFinite};
  metal::objc::Pool pool;
  Output out = allocate_output(call, facts, geometry);
  const plan::Plan plan = plan::plan_attention(geometry, kernel_output_strides(out.info));
  const int element = kernel::element_bytes(geometry.element);
  const int mask_element = kernel::mask_element_bytes(geometry.mask, geometry.element);
  Verdict verdict;
  if (on_mps) {
    torch::Tensor partials;
    encoder::MetalOperands operands;
    operands.query = mps_operand(facts.q.data, torch::storage_offset(call.query.get()), element);
    operands.key = mps_operand(facts.k.data, torch::storage_offset(call.key.get()), element);
    operands.value = mps_operand(facts.v.data, torch::storage_offset(call.value.get()), element);
    if (facts.mask) {
      operands.mask = mps_operand(facts.mask->data, torch::storage_offset(call.attn_mask.get()), mask_element);
    }
    operands.output = mps_operand(out.info.data, torch::storage_offset(out.tensor.get()), element);
    if (plan.partials_bytes) {
      partials = mps_scratch(plan.partials_bytes, facts.q);
      operands.partials = mps_operand(torch::TensorInfo::read(partials.get()).data, 0, sizeof(float));
    }
    // libtorch's allocator may hand these tensors' memory to later work once they are dropped; that work is
    // encoded after ours on the same stream, so it runs after our kernels have read and written them.
    verdict = run_on_mps_stream(plan, operands);
  } else {
    HostScratch scratch(plan);
    verdict = run_on_host(plan, host_operands(facts, geometry, out, scratch));
    if (verdict.native() && scratch.non_finite()) verdict = Reason::kNonFinite;
  }
  if (!verdict.native()) return {{}, std::move(verdict)};
  return {std::move(out.tensor), {}};
}

Verdict MetalBackend::resolve(const plan::Plan& plan, encoder::ResolvedPipelines* pipelines) {
  for (const plan::Dispatch& d : plan.dispatches) {
    std::string error;
    metal::objc::Id pipeline = pipelines_.get(d, &error);
    if (!pipeline) return {Reason::kKernelUnavailable, error};
    pipelines->emplace_back(d.pipeline_key(), pipeline);
  }
  return {};
}

Verdict MetalBackend::run_on_host(const plan::Plan& plan, const encoder::HostOperands& host) {
  metal::objc::Pool pool;
  encoder::ResolvedPipelines pipelines;
  Verdict verdict = resolve(plan, &pipelines);
  if (!verdict.native()) return verdict;

  std::vector<metal::HostBuffer> wrapped;  // released after the command buffer completes
  encoder::MetalOperands operands;
  for (plan::Operand o : plan::kOperands) {
    const encoder::HostMemory& m = host[o];
    if (!m.data) continue;
    wrapped.push_back(metal::wrap_host_memory(device_, m.data, m.bytes));
    if (!wrapped.back().buffer) {
      return {Reason::kGpuError, "Metal would not wrap " + std::to_string(m.bytes) + " bytes of host memory"};
    }
    operands[o] = {wrapped.back().buffer.get(), wrapped.back().offset};
  }

  metal::objc::Id command_buffer = send<S::kCommandBuffer>(device_.queue());
  if (!command_buffer) return {Reason::kGpuError, "Metal gave no command buffer"};
  std::string encode_error;
  try {
    encoder::MetalEncoder encoder(command_buffer, operands, std::move(pipelines));
    encoder::encode_plan(plan, encoder);
  } catch (const std::exception& e) {
    encode_error = e.what();
  }
  // Committed even after a failed encoding, so Metal releases the buffers it retains in order.
  send<S::kCommit>(command_buffer);
  send<S::kWaitUntilCompleted>(command_buffer);
  if (!encode_error.empty()) return {Reason::kGpuError, "encoding failed: " + encode_error};
  const metal::objc::NSUInteger status = send<S::kStatus>(command_buffer);
  if (status != kStatusCompleted) {
    const std::string ended = status == kStatusError ? "error" : "status " + std::to_string(status);
    return {Reason::kGpuError, "command buffer " + ended + " (" +
                                   metal::objc::error_text(send<S::kError>(command_buffer)) + ")"};
  }
  const double start = send<S::kGPUStartTime>(command_buffer), end = send<S::kGPUEndTime>(command_buffer);
  if (start > 0 && end >= start) {
    gpu_nanos_ += static_cast<uint64_t>((end - start) * 1e9);
    ++gpu_command_buffers_;
  }
  return {};
}

Verdict MetalBackend::run_on_mps_stream(const plan::Plan& plan, const encoder::MetalOperands& operands) {
  metal::objc::Pool pool;
  encoder::ResolvedPipelines pipelines;
  Verdict verdict = resolve(plan, &pipelines);
  if (!verdict.native()) return verdict;
  if (!mps_.missing().empty()) return {Reason::kMpsUnavailable, "libtorch lacks " + mps_.missing()};
  const std::string error = mps_.encode([&](metal::objc::Id command_buffer) -> std::string {
    encoder::MetalEncoder encoder(command_buffer, operands, std::move(pipelines));
    encoder::encode_plan(plan, encoder);
    return "";
  });
  if (!error.empty()) return {Reason::kGpuError, "encoding on the MPS stream failed: " + error};
  return {};
}

CompileStats MetalBackend::compile_stats() const { return pipelines_.stats(); }

GpuTime MetalBackend::gpu_time() const { return {gpu_command_buffers_.load(), gpu_nanos_.load()}; }

std::string MetalBackend::describe() const {
  std::string d = device_.description() + "; CPU tensors in place, ";
  d += settings_.cpu_min_flops > 0 ? "calls under " + std::to_string(static_cast<long long>(settings_.cpu_min_flops)) +
                                         " FLOPs stay on PyTorch; "
                                   : "however small; ";
  d += mps_.missing().empty() ? "MPS tensors on PyTorch's MPS stream" : "MPS tensors stay on PyTorch (libtorch lacks " + mps_.missing() + ")";
  return d;
}

}  // namespace djl_metal::backend
