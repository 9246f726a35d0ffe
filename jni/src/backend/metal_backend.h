// The native backend that runs the kernels on the Apple GPU through Metal, for CPU tensors and MPS tensors.
//
// CPU tensors are read and written in place: each is wrapped in a no-copy buffer over the pages that hold it,
// the plan is encoded into one command buffer of the process's queue, committed and waited for. A command
// buffer that ends in error leaves the call to PyTorch (reason gpu_error); nothing has been returned yet.
//
// MPS tensors are Metal buffers already: the plan is encoded on PyTorch's own MPS command buffer inside its
// dispatch queue (metal::MpsStream), ordered with PyTorch's work before and after, and not waited for. Errors
// the GPU reports later surface where PyTorch synchronises, as for any PyTorch MPS operator.
#pragma once

#include <atomic>
#include <string>

#include "backend/backend.h"
#include "encoder/encoder.h"
#include "encoder/metal_encoder.h"
#include "metal/device.h"
#include "metal/mps_stream.h"
#include "metal/pipelines.h"

namespace djl_metal::backend {

class MetalBackend : public NativeBackend {
 public:
  // Calls on CPU tensors with fewer floating-point operations than this stay on PyTorch (reason small_call):
  // a command buffer's round trip costs more than PyTorch's CPU kernel takes for them. An estimate until a Mac
  // measures it: about 200 us per round trip (PyTorch measured one MPS operator with its GPU turnaround at
  // 245 us, PR 152199) times about 80 GFLOP/s of PyTorch's CPU attention on Apple silicon.
  static constexpr double kDefaultCpuMinFlops = 16e6;

  struct Settings {
    double cpu_min_flops = kDefaultCpuMinFlops;
    metal::SymbolLookup libtorch_symbol = nullptr;  // finds libtorch's MPS stream functions
  };

  MetalBackend(const metal::Device& device, const Settings& settings);

  BackendKind kind() const override { return BackendKind::kMetal; }
  bool reads_mps() const override { return true; }
  call::Verdict support(const call::CallFacts& facts, kernel::AttentionGeometry* geometry) override;
  Outcome run(const call::SdpaCall& call, const call::CallFacts& facts,
              const kernel::AttentionGeometry& geometry) override;
  CompileStats compile_stats() const override;
  // The CPU path's command buffers (the MPS path's belong to PyTorch, which commits them later).
  GpuTime gpu_time() const override;

  // The CPU path below libtorch: runs a plan on host memory in place, one command buffer, waited for.
  call::Verdict run_on_host(const plan::Plan& plan, const encoder::HostOperands& operands);

  // The MPS path below libtorch: encodes a plan on PyTorch's MPS stream (operands are MPS tensors' buffers).
  call::Verdict run_on_mps_stream(const plan::Plan& plan, const encoder::MetalOperands& operands);

  // What the start line says about this backend.
  std::string describe() const;

 private:
  call::Verdict resolve(const plan::Plan& plan, encoder::ResolvedPipelines* pipelines);

  const metal::Device& device_;
  Settings settings_;
  metal::MpsStream mps_;
  metal::Pipelines pipelines_;
  std::atomic<uint64_t> gpu_command_buffers_{0}, gpu_nanos_{0};
};

// The Metal buffer and offset of an MPS tensor's data: its storage's data pointer is the id<MTLBuffer>, and
// data_ptr() is that plus storage_offset * element size.
encoder::MetalOperand mps_operand(const void* data_ptr, int64_t storage_offset, int element_bytes);

}  // namespace djl_metal::backend
