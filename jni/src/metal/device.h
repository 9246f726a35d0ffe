// The process's Metal device and command queue: found and made once, the first time anything asks, and kept
// for the life of the process. The device decides what the backend can do: it must be an Apple GPU of family
// Apple7 or later (simdgroup matrices) on macOS 14 or later (Metal Shading Language 3.1, for bfloat).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "metal/objc.h"
#include "metal/symbols.h"

namespace djl_metal::metal {

class Device {
 public:
  // The process's device, opened at the first call with `lookup` for the runtime's and Metal's entry points;
  // null when there is none, with *why saying what is missing.
  static const Device* get(SymbolLookup lookup, std::string* why);

  // Opens the system's device anew (get() keeps the first one for the process).
  static std::unique_ptr<Device> open(SymbolLookup lookup, std::string* why);

  objc::Id device() const { return device_.get(); }
  objc::Id queue() const { return queue_.get(); }
  // "Apple M2 Pro, GPU family Apple8"
  const std::string& description() const { return description_; }
  // The virtual memory page size (16 KB on Apple silicon): what no-copy buffers must be aligned to.
  size_t page_size() const { return page_size_; }
  size_t max_threadgroup_memory() const { return max_threadgroup_memory_; }

 private:
  Device() = default;

  objc::Owned device_;
  objc::Owned queue_;
  std::string description_;
  size_t page_size_ = 0;
  size_t max_threadgroup_memory_ = 0;
};

// Whether the running macOS is at least major.minor (NSProcessInfo); false where the runtime is not loaded.
bool os_at_least(long major, long minor);

}  // namespace djl_metal::metal
