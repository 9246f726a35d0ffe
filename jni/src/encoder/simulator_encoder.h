// Encoder that runs each dispatch on the MSL simulator as it is encoded, with operands in host memory.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "encoder/encoder.h"
#include "simulator/launch.h"

namespace djl_metal::encoder {

class SimulatorEncoder : public Encoder {
 public:
  // With `counts`, every dispatch is counted (msl::Counters) and its counts appended there.
  explicit SimulatorEncoder(const HostOperands& operands, std::vector<msl::Counters>* counts = nullptr)
      : operands_(operands), counts_(counts) {}
  void set_pipeline(const plan::Dispatch& dispatch) override;
  void set_buffer(uint32_t index, plan::Operand operand) override;
  void set_bytes(uint32_t index, const void* bytes, size_t length) override;
  void dispatch(const plan::Size3& threadgroups, const plan::Size3& threads) override;
  // Each dispatch has finished before the next is encoded: nothing to order.
  void barrier() override {}
  void finish() override {}

 private:
  HostOperands operands_;
  std::vector<msl::Counters>* counts_;
  msl::Launch launch_;
  std::deque<std::vector<unsigned char>> bytes_;  // setBytes copies, alive until the next pipeline
};

}  // namespace djl_metal::encoder
