// Host memory (a CPU tensor) seen by the GPU in place: a no-copy Metal buffer over the whole pages that hold
// it, bound with the offset of the memory inside its first page. Nothing is copied in or out; the pages may
// hold other data, which the kernels never touch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "metal/device.h"
#include "metal/objc.h"

namespace djl_metal::metal {

struct HostBuffer {
  objc::Owned buffer;   // null when Metal would not wrap the memory
  uint64_t offset = 0;  // of the memory's first byte inside the buffer
};

// The page-aligned span that covers [data, data + bytes): its start and length.
struct PageSpan {
  uintptr_t start = 0;
  size_t length = 0;
};
PageSpan page_span(const void* data, size_t bytes, size_t page_size);

HostBuffer wrap_host_memory(const Device& device, void* data, size_t bytes);

}  // namespace djl_metal::metal
