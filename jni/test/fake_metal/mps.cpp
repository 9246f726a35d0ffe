// PyTorch's MPS stream as the adapter meets it (torch/mps.h, libdispatch's dispatch_sync_f), and the fake's
// control functions. The stream has one serial dispatch queue and one current command buffer, which
// torch::mps::commit() commits; PyTorch's own work on it is what tests encode with mps_encode_copy.
#include <cstdlib>
#include <sstream>
#include <thread>

#include "fake_metal/objects.h"

namespace fake_metal {
namespace {

struct Stream {
  std::recursive_mutex queue;  // held while a block runs on the queue
  std::thread::id on_queue;
  CommandBuffer* current = nullptr;  // retained by the stream
};

Stream& stream() {
  static Stream* s = new Stream();
  return *s;
}

char g_queue_token;  // what get_dispatch_queue() hands out

bool on_queue() { return stream().on_queue == std::this_thread::get_id(); }

CommandBuffer* current_command_buffer() {
  Stream& s = stream();
  if (!s.current) s.current = make<CommandBuffer>(true);
  return s.current;
}

void commit_current() {
  Stream& s = stream();
  if (!s.current) return;
  gpu_commit(s.current);
  release(s.current);
  s.current = nullptr;
}

// DJL_FAKE_METAL_FAULTS=fault[=code][:times],...
__attribute__((constructor)) void faults_from_environment() {
  const char* spec = std::getenv("DJL_FAKE_METAL_FAULTS");
  if (!spec) return;
  const std::pair<const char*, Fault> names[] = {
      {"no_device", Fault::kNoDevice},   {"no_default_device", Fault::kNoDefaultDevice},
      {"no_queue", Fault::kNoQueue},     {"old_os", Fault::kOldOs},
      {"macos14", Fault::kMacOs14},      {"old_family", Fault::kOldFamily},
      {"compile", Fault::kCompile},      {"function", Fault::kFunction},
      {"pipeline", Fault::kPipeline},    {"max_threads", Fault::kMaxThreads},
      {"threadgroup_memory", Fault::kThreadgroupMemory}, {"simd_width", Fault::kSimdWidth},
      {"no_buffer", Fault::kNoBuffer},   {"no_command_buffer", Fault::kNoCommandBuffer},
      {"no_encoder", Fault::kNoEncoder}, {"command_buffer_error", Fault::kCommandBufferError},
      {"wrong_result", Fault::kWrongResult}};
  std::stringstream all(spec);
  std::string item;
  while (std::getline(all, item, ',')) {
    int times = -1;
    long code = 0;
    const size_t colon = item.find(':');
    if (colon != std::string::npos) times = std::atoi(item.c_str() + colon + 1), item.resize(colon);
    const size_t equals = item.find('=');
    if (equals != std::string::npos) code = std::atol(item.c_str() + equals + 1), item.resize(equals);
    bool known = false;
    for (const auto& [name, fault] : names) {
      if (item == name) inject(fault, times, code), known = true;
    }
    if (!known) violation("DJL_FAKE_METAL_FAULTS names an unknown fault: " + item);
  }
}

}  // namespace

std::vector<std::string> implemented_selectors() { return selectors(); }

std::vector<std::string> provided_functions() {
  return {"objc_msgSend",
          "sel_registerName",
          "objc_getClass",
          "objc_autoreleasePoolPush",
          "objc_autoreleasePoolPop",
          "MTLCreateSystemDefaultDevice",
          "MTLCopyAllDevices",
          "vm_page_size",
          "dispatch_sync_f",
          "_ZN5torch3mps18get_dispatch_queueEv",
          "_ZN5torch3mps18get_command_bufferEv",
          "_ZN5torch3mps6commitEv"};
}

void mps_encode_copy(void* src, uint64_t src_offset, void* dst, uint64_t dst_offset, size_t bytes) {
  Stream& s = stream();
  std::lock_guard<std::recursive_mutex> lock(s.queue);
  auto* from = as<Buffer>(static_cast<Id>(src), buffer_class(), "mps_encode_copy source");
  auto* to = as<Buffer>(static_cast<Id>(dst), buffer_class(), "mps_encode_copy destination");
  if (!from || !to) return;
  Command c;
  c.kind = Command::Kind::kCopy;
  c.src = static_cast<Buffer*>(retain(from));
  c.dst = static_cast<Buffer*>(retain(to));
  c.src_offset = src_offset;
  c.dst_offset = dst_offset;
  c.bytes = bytes;
  CommandBuffer* cb = current_command_buffer();
  if (cb->open) violation("PyTorch encoded on its command buffer while another encoder was still open on it");
  cb->commands.push_back(std::move(c));
}

void mps_synchronize() {
  {
    Stream& s = stream();
    std::lock_guard<std::recursive_mutex> lock(s.queue);
    commit_current();
  }
  wait_idle();
}

}  // namespace fake_metal

namespace torch::mps {

__attribute__((visibility("default"))) void* get_dispatch_queue() { return &fake_metal::g_queue_token; }

__attribute__((visibility("default"))) void* get_command_buffer() {
  if (!fake_metal::on_queue()) {
    fake_metal::violation("torch::mps::get_command_buffer() outside PyTorch's MPS dispatch queue");
  }
  return fake_metal::current_command_buffer();
}

__attribute__((visibility("default"))) void commit() {
  fake_metal::Stream& s = fake_metal::stream();
  std::lock_guard<std::recursive_mutex> lock(s.queue);
  fake_metal::commit_current();
}

}  // namespace torch::mps

extern "C" __attribute__((visibility("default"))) void dispatch_sync_f(void* queue, void* context, void (*work)(void*)) {
  fake_metal::Stream& s = fake_metal::stream();
  if (queue != &fake_metal::g_queue_token) {
    fake_metal::violation("dispatch_sync_f onto a queue that is not PyTorch's MPS queue");
    return;
  }
  if (fake_metal::on_queue()) {
    fake_metal::violation("dispatch_sync_f onto the queue the caller is already running on (deadlocks on macOS)");
    return;
  }
  std::lock_guard<std::recursive_mutex> lock(s.queue);
  s.on_queue = std::this_thread::get_id();
  work(context);
  s.on_queue = std::thread::id();
}
