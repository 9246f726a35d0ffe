#include "encoder/metal_encoder.h"

#include <stdexcept>

namespace djl_metal::encoder {
namespace {

using metal::objc::NSUInteger;
using metal::objc::S;
using metal::objc::send;

// Metal's argument table and setBytes limits.
constexpr uint32_t kMaxBufferIndex = 30;
constexpr size_t kMaxBytesLength = 4096;
constexpr uint64_t kMaxThreads = 1024;
constexpr NSUInteger kBarrierScopeBuffers = 1;  // MTLBarrierScopeBuffers

}  // namespace

MetalEncoder::MetalEncoder(metal::objc::Id command_buffer, const MetalOperands& operands, ResolvedPipelines pipelines)
    : operands_(operands), pipelines_(std::move(pipelines)) {
  if (command_buffer) encoder_ = send<S::kComputeCommandEncoder>(command_buffer);
  if (!encoder_) throw std::runtime_error("Metal gave no compute command encoder");
}

MetalEncoder::~MetalEncoder() {
  if (!ended_) send<S::kEndEncoding>(encoder_);
}

void MetalEncoder::set_pipeline(const plan::Dispatch& d) {
  const std::string key = d.pipeline_key();
  for (const auto& [k, pipeline] : pipelines_) {
    if (k == key) {
      send<S::kSetComputePipelineState>(encoder_, pipeline);
      return;
    }
  }
  throw std::logic_error("no pipeline was resolved for " + key);
}

void MetalEncoder::set_buffer(uint32_t index, plan::Operand operand) {
  const MetalOperand& o = operands_[operand];
  if (index > kMaxBufferIndex) throw std::logic_error("buffer index " + std::to_string(index) + " is beyond Metal's 31");
  if (!o.buffer) throw std::logic_error("the plan binds an operand this call does not have");
  send<S::kSetBuffer>(encoder_, o.buffer, o.offset, index);
}

void MetalEncoder::set_bytes(uint32_t index, const void* bytes, size_t length) {
  if (index > kMaxBufferIndex || length == 0 || length > kMaxBytesLength) {
    throw std::logic_error("setBytes of " + std::to_string(length) + " bytes at index " + std::to_string(index));
  }
  send<S::kSetBytes>(encoder_, bytes, length, index);
}

void MetalEncoder::dispatch(const plan::Size3& groups, const plan::Size3& threads) {
  const uint64_t per_group = static_cast<uint64_t>(threads.x) * threads.y * threads.z;
  if (per_group == 0 || per_group > kMaxThreads || groups.x == 0 || groups.y == 0 || groups.z == 0) {
    throw std::logic_error("dispatch of " + std::to_string(per_group) + " threads per threadgroup");
  }
  send<S::kDispatchThreadgroups>(encoder_, metal::objc::MTLSize{groups.x, groups.y, groups.z},
                                 metal::objc::MTLSize{threads.x, threads.y, threads.z});
}

// The encoder dispatches serially and the buffers are hazard-tracked, which already orders dependent
// dispatches; the barrier states the dependency where Metal documents it, at no cost when it is implied.
void MetalEncoder::barrier() { send<S::kMemoryBarrierWithScope>(encoder_, kBarrierScopeBuffers); }

void MetalEncoder::finish() {
  send<S::kEndEncoding>(encoder_);
  ended_ = true;
}

}  // namespace djl_metal::encoder
