#include "metal/mps_stream.h"

#include <exception>

namespace djl_metal::metal {
namespace {

struct Work {
  objc::Id (*get_command_buffer)();
  void (*commit)();
  const std::function<std::string(objc::Id)>* encode;
  std::string error;
};

// Runs on the stream's queue. It may not throw: libdispatch's frames are C.
void run_on_queue(void* context) {
  auto* work = static_cast<Work*>(context);
  try {
    objc::Pool pool;
    // Inside the queue, so no other thread's PyTorch work lands between ours and the commit. Asking for the
    // command buffer also ends PyTorch's own open encoder, so ours can begin.
    objc::Id command_buffer = work->get_command_buffer();
    if (!command_buffer) {
      work->error = "torch::mps::get_command_buffer() gave no command buffer";
      return;
    }
    work->error = (*work->encode)(command_buffer);
    work->commit();
  } catch (const std::exception& e) {
    work->error = e.what();
  } catch (...) {
    work->error = "unknown error while encoding on the MPS stream";
  }
}

}  // namespace

MpsStream::MpsStream(SymbolLookup lookup) {
  auto find = [&](F f) {
    void* p = lookup ? lookup(function_name(f)) : nullptr;
    if (!p) missing_ += std::string(missing_.empty() ? "" : ", ") + function_name(f);
    return p;
  };
  get_dispatch_queue_ = reinterpret_cast<void* (*)()>(find(F::kTorchMpsGetDispatchQueue));
  get_command_buffer_ = reinterpret_cast<objc::Id (*)()>(find(F::kTorchMpsGetCommandBuffer));
  commit_ = reinterpret_cast<void (*)()>(find(F::kTorchMpsCommit));
  dispatch_sync_f_ = reinterpret_cast<void (*)(void*, void*, void (*)(void*))>(find(F::kDispatchSyncF));
}

std::string MpsStream::encode(const std::function<std::string(objc::Id)>& encode) const {
  if (!missing_.empty()) return "missing " + missing_;
  void* queue = nullptr;
  try {
    queue = get_dispatch_queue_();  // a libtorch built without MPS throws here
  } catch (const std::exception& e) {
    return std::string("torch::mps::get_dispatch_queue(): ") + e.what();
  }
  if (!queue) return "torch::mps::get_dispatch_queue() gave no queue";
  Work work{get_command_buffer_, commit_, &encode, {}};
  dispatch_sync_f_(queue, &work, &run_on_queue);
  return work.error;
}

}  // namespace djl_metal::metal
