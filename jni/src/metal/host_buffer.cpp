#include "metal/host_buffer.h"

namespace djl_metal::metal {
namespace {

constexpr objc::NSUInteger kStorageModeShared = 0;  // MTLResourceStorageModeShared, hazards tracked by Metal

}  // namespace

PageSpan page_span(const void* data, size_t bytes, size_t page_size) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(data);
  const uintptr_t start = first & ~(static_cast<uintptr_t>(page_size) - 1);
  const uintptr_t end = (first + (bytes ? bytes : 1) + page_size - 1) & ~(static_cast<uintptr_t>(page_size) - 1);
  return {start, static_cast<size_t>(end - start)};
}

HostBuffer wrap_host_memory(const Device& device, void* data, size_t bytes) {
  const PageSpan span = page_span(data, bytes, device.page_size());
  HostBuffer b;
  // No deallocator: the memory belongs to libtorch (or the caller), which outlives the command buffer.
  b.buffer = objc::Owned(objc::send<objc::S::kNewBufferWithBytesNoCopy>(
      device.device(), reinterpret_cast<void*>(span.start), span.length, kStorageModeShared, nullptr));
  b.offset = reinterpret_cast<uintptr_t>(data) - span.start;
  return b;
}

}  // namespace djl_metal::metal
