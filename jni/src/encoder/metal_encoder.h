// Encoder that records a plan's dispatches into one Metal compute command encoder, every operand a Metal buffer
// and an offset into it. The pipelines come resolved (metal::Pipelines), so that a kernel that cannot run is
// known before anything is encoded. Every argument is checked before it is sent: nothing here can make Metal
// raise an Objective-C exception.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "encoder/encoder.h"
#include "metal/objc.h"

namespace djl_metal::encoder {

struct MetalOperand {
  metal::objc::Id buffer = nullptr;
  uint64_t offset = 0;
};

using MetalOperands = plan::Operands<MetalOperand>;

// A plan's pipelines, by pipeline key.
using ResolvedPipelines = std::vector<std::pair<std::string, metal::objc::Id>>;

class MetalEncoder : public Encoder {
 public:
  // Opens a compute command encoder (serial dispatch) on the command buffer; throws if Metal gives none.
  MetalEncoder(metal::objc::Id command_buffer, const MetalOperands& operands, ResolvedPipelines pipelines);
  // Ends the encoder if finish() was not reached, so the command buffer stays valid.
  ~MetalEncoder() override;
  MetalEncoder(const MetalEncoder&) = delete;
  MetalEncoder& operator=(const MetalEncoder&) = delete;

  void set_pipeline(const plan::Dispatch& dispatch) override;
  void set_buffer(uint32_t index, plan::Operand operand) override;
  void set_bytes(uint32_t index, const void* bytes, size_t length) override;
  void dispatch(const plan::Size3& threadgroups, const plan::Size3& threads) override;
  void barrier() override;
  void finish() override;

 private:
  metal::objc::Id encoder_ = nullptr;  // autoreleased, alive in the caller's pool
  MetalOperands operands_;
  ResolvedPipelines pipelines_;
  bool ended_ = false;
};

}  // namespace djl_metal::encoder
