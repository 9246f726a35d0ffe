#include "backend/registry.h"

#include <mutex>
#include <stdexcept>

#include "backend/metal_backend.h"
#include "backend/simulator_backend.h"
#include "torch/shim.h"

namespace djl_metal::backend {
namespace {

// The Metal backend of this process, made at its first selection; null with *why when there is no device.
MetalBackend* metal_backend(double cpu_min_flops, std::string* why) {
  static std::mutex mutex;
  static MetalBackend* backend = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (!backend) {
    const metal::Device* device = metal::Device::get(&torch::find_symbol, why);
    if (!device) return nullptr;
    MetalBackend::Settings settings;
    settings.cpu_min_flops = cpu_min_flops < 0 ? MetalBackend::kDefaultCpuMinFlops : cpu_min_flops;
    settings.libtorch_symbol = &torch::find_symbol;
    backend = new MetalBackend(*device, settings);  // kernels may run until the process exits
  }
  return backend;
}

}  // namespace

Selection select_backend(const Settings& settings) {
  static SimulatorBackend simulator;
  switch (settings.request) {
    case Request::kSimulator:
      return {&simulator, "requested: the Metal kernels executed by the MSL simulator on the CPU, for verification, not speed"};
    case Request::kAuto:
    case Request::kMetal: {
      std::string why;
      if (MetalBackend* metal = metal_backend(settings.cpu_min_flops, &why)) {
        return {metal, (settings.request == Request::kAuto ? "a Metal device exists: " : "requested: ") + metal->describe()};
      }
      if (settings.request == Request::kMetal) throw std::runtime_error("ai.djl.metal.backend=metal: " + why);
      return {nullptr, why};
    }
  }
  throw std::invalid_argument("unknown backend request");
}

}  // namespace djl_metal::backend
