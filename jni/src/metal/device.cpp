#include "metal/device.h"

#include <mutex>

#include "metal/symbols.h"

namespace djl_metal::metal {
namespace {

using objc::S;
using objc::send;

constexpr objc::NSInteger kFamilyApple7 = 1007;  // MTLGPUFamilyApple7: M1, the first with simdgroup matrices
constexpr objc::NSInteger kFamiliesProbed = 32;

// MTLCreateSystemDefaultDevice can return nil in processes without a window server connection, where
// MTLCopyAllDevices still lists the GPU.
objc::Owned system_device(SymbolLookup lookup) {
  auto create = reinterpret_cast<objc::Id (*)()>(lookup(function_name(F::kCreateSystemDefaultDevice)));
  if (create) {
    objc::Owned device(create());
    if (device) return device;
  }
  auto copy_all = reinterpret_cast<objc::Id (*)()>(lookup(function_name(F::kCopyAllDevices)));
  if (!copy_all) return {};
  objc::Owned all(copy_all());
  if (!all || send<S::kCount>(all.get()) == 0) return {};
  return objc::retain(send<S::kObjectAtIndex>(all.get(), 0));
}

}  // namespace

const Device* Device::get(SymbolLookup lookup, std::string* why) {
  static std::once_flag once;
  static Device* device = nullptr;  // kept for the life of the process, like the Metal objects it holds
  static std::string reason;
  std::call_once(once, [lookup] { device = open(lookup, &reason).release(); });
  if (!device && why) *why = reason;
  return device;
}

std::unique_ptr<Device> Device::open(SymbolLookup lookup, std::string* why) {
  if (!objc::load(lookup).empty()) {
    *why = "no Objective-C runtime in this process: Metal needs macOS on Apple silicon";
    return nullptr;
  }
  if (!lookup(function_name(F::kCreateSystemDefaultDevice)) && !lookup(function_name(F::kCopyAllDevices))) {
    *why = "the Metal framework is not loaded in this process: Metal needs macOS on Apple silicon";
    return nullptr;
  }
  objc::Pool pool;
  if (!os_at_least(14, 0)) {
    *why = "the Metal backend needs macOS 14 or later (Metal Shading Language 3.1, for bfloat)";
    return nullptr;
  }
  auto* page_size = static_cast<const unsigned long*>(lookup(function_name(F::kVmPageSize)));
  if (!page_size || *page_size < 4096 || (*page_size & (*page_size - 1)) != 0) {
    *why = "the virtual memory page size (vm_page_size) is not available";
    return nullptr;
  }
  objc::Owned device = system_device(lookup);
  if (!device) {
    *why = "no Metal device";
    return nullptr;
  }
  const std::string name = objc::text(send<S::kName>(device.get()));
  // Apple families are cumulative (Apple9 supports everything Apple8 does): the last one answered yes.
  objc::NSInteger family = 0;
  for (objc::NSInteger f = kFamilyApple7; f < kFamilyApple7 + kFamiliesProbed; ++f) {
    if (!send<S::kSupportsFamily>(device.get(), f)) break;
    family = f;
  }
  if (family == 0) {
    *why = "the Metal device " + name + " is not of GPU family Apple7 or later (no simdgroup matrices)";
    return nullptr;
  }
  objc::Owned queue(send<S::kNewCommandQueue>(device.get()));
  if (!queue) {
    *why = "the Metal device " + name + " gave no command queue";
    return nullptr;
  }
  std::unique_ptr<Device> d(new Device());
  d->device_ = std::move(device);
  d->queue_ = std::move(queue);
  d->description_ = name + ", GPU family Apple" + std::to_string(family - 1000);
  d->page_size_ = *page_size;
  d->max_threadgroup_memory_ = send<S::kMaxThreadgroupMemoryLength>(d->device_.get());
  return d;
}

bool os_at_least(long major, long minor) {
  if (!objc::loaded()) return false;
  objc::Pool pool;
  objc::Id info = send<S::kProcessInfo>(objc::cls("NSProcessInfo"));
  return info && send<S::kIsOperatingSystemAtLeastVersion>(info, objc::NSOperatingSystemVersion{major, minor, 0});
}

}  // namespace djl_metal::metal
