#include "metal/pipelines.h"

#include <chrono>

#include "kernel/shader_sources.h"
#include "log/log.h"

namespace djl_metal::metal {
namespace {

using objc::NSUInteger;
using objc::S;
using objc::send;

constexpr NSUInteger kLanguageVersion3_1 = (3u << 16) + 1;  // MTLLanguageVersion3_1: bfloat
constexpr objc::NSInteger kMathModeFast = 2;                // MTLMathModeFast
constexpr objc::NSInteger kMathFunctionsFast = 0;           // MTLMathFloatingPointFunctionsFast
constexpr NSUInteger kDataTypeInt = 29;                     // MTLDataTypeInt
constexpr NSUInteger kDataTypeBool = 53;                    // MTLDataTypeBool
constexpr NSUInteger kSimdWidth = 32;                       // what the kernels' simd_* and 8x8 tiles assume

uint64_t nanos_since(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

std::string millis(uint64_t nanos) { return std::to_string(nanos / 1000000) + "." + std::to_string(nanos / 100000 % 10) + " ms"; }

// Compile options stated in full rather than left to defaults: libtorch may have lowered the default language
// version (bfloat needs 3.1), and the kernels are written to be correct under fast math (they never let an
// infinity into arithmetic), which is Metal's default and the fastest. macOS 15 replaced setFastMathEnabled:
// with setMathMode: and setMathFloatingPointFunctions:; each setter is used only where the OS has it.
objc::Owned compile_options() {
  objc::Owned options(send<S::kInit>(send<S::kAlloc>(objc::cls("MTLCompileOptions"))));
  if (!options) return options;
  send<S::kSetLanguageVersion>(options.get(), kLanguageVersion3_1);
  if (send<S::kRespondsToSelector>(options.get(), objc::sel(S::kSetMathMode))) {
    send<S::kSetMathMode>(options.get(), kMathModeFast);
    if (send<S::kRespondsToSelector>(options.get(), objc::sel(S::kSetMathFloatingPointFunctions))) {
      send<S::kSetMathFloatingPointFunctions>(options.get(), kMathFunctionsFast);
    }
  } else {
    send<S::kSetFastMathEnabled>(options.get(), true);
  }
  return options;
}

}  // namespace

struct Pipelines::Library {
  std::once_flag once;
  objc::Owned library;
  std::string error;
};

struct Pipelines::Pipeline {
  std::once_flag once;
  objc::Owned state;
  std::string error;
  NSUInteger max_threads = 0;
};

Pipelines::Pipelines(const Device& device) : device_(device) {}

Pipelines::~Pipelines() = default;

Pipelines::Library& Pipelines::library(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::unique_ptr<Library>& slot = libraries_[name];
  if (!slot) slot = std::make_unique<Library>();
  return *slot;
}

void Pipelines::compile(Library& lib, const std::string& name) {
  const char* source = kernel::shader_source(name);
  const auto start = std::chrono::steady_clock::now();
  objc::Owned options = source ? compile_options() : objc::Owned();
  objc::Id error = nullptr;
  if (options) {
    lib.library = objc::Owned(
        send<S::kNewLibraryWithSource>(device_.device(), objc::string(source), options.get(), &error));
  }
  const uint64_t nanos = nanos_since(start);
  if (!lib.library) {
    lib.error = !source    ? "no shader source named " + name + " is embedded in this library"
                : !options ? std::string("Metal gave no MTLCompileOptions")
                           : "Metal did not compile " + name + ".metal: " + objc::error_text(error);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++(lib.library ? stats_.libraries : stats_.failures);
    if (lib.library) stats_.library_nanos += nanos;
  }
  // Logged outside the lock: the sink calls into Java, whose logging may read these stats.
  if (!lib.library) {
    log::write(log::Level::kWarn, "Metal: " + lib.error + "; its kernels run on PyTorch for the rest of the process");
  } else if (log::debug_enabled()) {
    log::write(log::Level::kDebug, "Metal: compiled " + name + ".metal in " + millis(nanos));
  }
}

void Pipelines::build(Pipeline& p, const plan::Dispatch& d) {
  Library& lib = library(d.library);
  std::call_once(lib.once, [&] { compile(lib, d.library); });
  if (!lib.library) {
    p.error = lib.error;
    return;
  }
  const auto start = std::chrono::steady_clock::now();
  objc::Owned values(send<S::kInit>(send<S::kAlloc>(objc::cls("MTLFunctionConstantValues"))));
  objc::Id error = nullptr;
  objc::Owned function;
  if (values) {
    for (const plan::Constant& c : d.constants) {
      // Metal reads a bool constant as one byte and an int constant as four.
      const bool b = c.value != 0;
      const int32_t i = c.value;
      send<S::kSetConstantValue>(values.get(), c.is_bool ? static_cast<const void*>(&b) : &i,
                                 c.is_bool ? kDataTypeBool : kDataTypeInt, c.index);
    }
    function = objc::Owned(
        send<S::kNewFunctionWithName>(lib.library.get(), objc::string(d.kernel), values.get(), &error));
  }
  if (function) {
    error = nullptr;
    p.state = objc::Owned(send<S::kNewComputePipelineState>(device_.device(), function.get(), &error));
  }
  const uint64_t nanos = nanos_since(start);
  std::string problem;
  if (!values) {
    problem = "no MTLFunctionConstantValues";
  } else if (!function) {
    problem = "no function " + d.kernel + " with these constants (" + objc::error_text(error) + ")";
  } else if (!p.state) {
    problem = objc::error_text(error);
  } else if (send<S::kThreadExecutionWidth>(p.state.get()) != kSimdWidth) {
    problem = "SIMD width " + std::to_string(send<S::kThreadExecutionWidth>(p.state.get())) + ", the kernels need 32";
  } else if (send<S::kStaticThreadgroupMemoryLength>(p.state.get()) > device_.max_threadgroup_memory()) {
    problem = std::to_string(send<S::kStaticThreadgroupMemoryLength>(p.state.get())) +
              " bytes of threadgroup memory, the device has " + std::to_string(device_.max_threadgroup_memory());
  }
  if (p.state) p.max_threads = send<S::kMaxTotalThreadsPerThreadgroup>(p.state.get());
  if (!problem.empty()) {
    p.state = objc::Owned();
    p.error = "Metal pipeline " + d.pipeline_key() + ": " + problem;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++(p.state ? stats_.pipelines : stats_.failures);
    if (p.state) stats_.pipeline_nanos += nanos;
  }
  if (!p.state) {
    log::write(log::Level::kWarn, p.error + "; calls that need it run on PyTorch for the rest of the process");
  } else if (log::debug_enabled()) {
    log::write(log::Level::kDebug, "Metal: built pipeline " + d.pipeline_key() + " in " + millis(nanos));
  }
}

objc::Id Pipelines::get(const plan::Dispatch& d, std::string* error) {
  const std::string key = d.pipeline_key();
  Pipeline* p;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::unique_ptr<Pipeline>& slot = pipelines_[key];
    if (!slot) slot = std::make_unique<Pipeline>();
    p = slot.get();
  }
  std::call_once(p->once, [&] { build(*p, d); });
  if (!p->state) {
    *error = p->error;
    return nullptr;
  }
  const uint64_t threads = static_cast<uint64_t>(d.threads.x) * d.threads.y * d.threads.z;
  if (threads > p->max_threads) {
    *error = "Metal pipeline " + key + " takes at most " + std::to_string(p->max_threads) + " threads per threadgroup, the plan launches " +
             std::to_string(threads);
    return nullptr;
  }
  return p->state.get();
}

CompileStats Pipelines::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace djl_metal::metal
