// PyTorch's MPS stream, reached through the functions libtorch exports for custom kernels (torch/mps.h):
// kernels are encoded inside the stream's dispatch queue on its current command buffer, then handed back with
// torch::mps::commit(), so they run after the PyTorch work encoded before them and before the work after
// (a kernel on a queue of its own would read tensors PyTorch has not written yet).
#pragma once

#include <functional>
#include <string>

#include "metal/objc.h"
#include "metal/symbols.h"

namespace djl_metal::metal {

class MpsStream {
 public:
  // Looks the stream functions up with `lookup` (libtorch's image first).
  explicit MpsStream(SymbolLookup lookup);

  // Empty when every function was found; else the missing ones, for the fallback reason.
  const std::string& missing() const { return missing_; }

  // Runs encode(command_buffer) on the stream's dispatch queue, then commits the command buffer the PyTorch
  // way. Returns encode's error ("" on success); nothing is committed by us directly. Needs missing() empty.
  std::string encode(const std::function<std::string(objc::Id command_buffer)>& encode) const;

 private:
  void* (*get_dispatch_queue_)() = nullptr;
  objc::Id (*get_command_buffer_)() = nullptr;
  void (*commit_)() = nullptr;
  void (*dispatch_sync_f_)(void* queue, void* context, void (*work)(void*)) = nullptr;
  std::string missing_;
};

}  // namespace djl_metal::metal
