// The Objective-C runtime, reached from C++ without Objective-C headers: objc_msgSend cast to each method's
// exact prototype, declared once per selector below (api_calls.md lists each with Apple's documentation).
// Every entry point is looked up in the process at run time, so this file builds for Linux too, where tests
// run it against a fake runtime (jni/test/fake_metal); on a Mac libtorch has already loaded libobjc and Metal.
//
// No struct-returning selector is used (their calling convention differs between arm64 and x86-64), no
// blocks, and no variadic method.
#pragma once

#include <cstdint>
#include <string>

#include "metal/symbols.h"

namespace djl_metal::metal::objc {

struct Object;
struct Selector;
using Id = Object*;     // id
using Sel = Selector*;  // SEL
using NSUInteger = unsigned long;
using NSInteger = long;

struct MTLSize {
  NSUInteger width, height, depth;
};

struct NSOperatingSystemVersion {
  NSInteger major, minor, patch;
};

// A method's prototype after the receiver and selector.
template <typename R, typename... A>
struct Proto {
  using Fn = R (*)(Id, Sel, A...);
};

// Every selector the adapter sends, with its prototype. Adding one here is the only way to send it; the fake
// runtime and api_calls.md must list it too (a test checks all three agree).
#define DJL_METAL_SELECTORS(X)                                                                   \
  X(kAlloc, "alloc", Proto<Id>)                                                                  \
  X(kInit, "init", Proto<Id>)                                                                    \
  X(kRetain, "retain", Proto<Id>)                                                                \
  X(kRelease, "release", Proto<void>)                                                            \
  X(kRespondsToSelector, "respondsToSelector:", Proto<bool, Sel>)                                \
  X(kStringWithUTF8String, "stringWithUTF8String:", Proto<Id, const char*>)                      \
  X(kUTF8String, "UTF8String", Proto<const char*>)                                               \
  X(kLocalizedDescription, "localizedDescription", Proto<Id>)                                    \
  X(kCode, "code", Proto<NSInteger>)                                                             \
  X(kCount, "count", Proto<NSUInteger>)                                                          \
  X(kObjectAtIndex, "objectAtIndex:", Proto<Id, NSUInteger>)                                     \
  X(kProcessInfo, "processInfo", Proto<Id>)                                                      \
  X(kIsOperatingSystemAtLeastVersion, "isOperatingSystemAtLeastVersion:",                        \
    Proto<bool, NSOperatingSystemVersion>)                                                       \
  X(kName, "name", Proto<Id>)                                                                    \
  X(kSupportsFamily, "supportsFamily:", Proto<bool, NSInteger>)                                  \
  X(kMaxThreadgroupMemoryLength, "maxThreadgroupMemoryLength", Proto<NSUInteger>)                \
  X(kNewCommandQueue, "newCommandQueue", Proto<Id>)                                              \
  X(kSetLanguageVersion, "setLanguageVersion:", Proto<void, NSUInteger>)                         \
  X(kSetMathMode, "setMathMode:", Proto<void, NSInteger>)                                        \
  X(kSetMathFloatingPointFunctions, "setMathFloatingPointFunctions:", Proto<void, NSInteger>)    \
  X(kSetFastMathEnabled, "setFastMathEnabled:", Proto<void, bool>)                               \
  X(kNewLibraryWithSource, "newLibraryWithSource:options:error:", Proto<Id, Id, Id, Id*>)        \
  X(kSetConstantValue, "setConstantValue:type:atIndex:", Proto<void, const void*, NSUInteger, NSUInteger>) \
  X(kNewFunctionWithName, "newFunctionWithName:constantValues:error:", Proto<Id, Id, Id, Id*>)   \
  X(kNewComputePipelineState, "newComputePipelineStateWithFunction:error:", Proto<Id, Id, Id*>)  \
  X(kMaxTotalThreadsPerThreadgroup, "maxTotalThreadsPerThreadgroup", Proto<NSUInteger>)          \
  X(kThreadExecutionWidth, "threadExecutionWidth", Proto<NSUInteger>)                            \
  X(kStaticThreadgroupMemoryLength, "staticThreadgroupMemoryLength", Proto<NSUInteger>)          \
  X(kNewBufferWithBytesNoCopy, "newBufferWithBytesNoCopy:length:options:deallocator:",           \
    Proto<Id, void*, NSUInteger, NSUInteger, void*>)                                             \
  X(kCommandBuffer, "commandBuffer", Proto<Id>)                                                  \
  X(kComputeCommandEncoder, "computeCommandEncoder", Proto<Id>)                                  \
  X(kSetComputePipelineState, "setComputePipelineState:", Proto<void, Id>)                       \
  X(kSetBuffer, "setBuffer:offset:atIndex:", Proto<void, Id, NSUInteger, NSUInteger>)            \
  X(kSetBytes, "setBytes:length:atIndex:", Proto<void, const void*, NSUInteger, NSUInteger>)     \
  X(kDispatchThreadgroups, "dispatchThreadgroups:threadsPerThreadgroup:", Proto<void, MTLSize, MTLSize>) \
  X(kMemoryBarrierWithScope, "memoryBarrierWithScope:", Proto<void, NSUInteger>)                 \
  X(kEndEncoding, "endEncoding", Proto<void>)                                                    \
  X(kCommit, "commit", Proto<void>)                                                              \
  X(kWaitUntilCompleted, "waitUntilCompleted", Proto<void>)                                      \
  X(kStatus, "status", Proto<NSUInteger>)                                                        \
  X(kError, "error", Proto<Id>)                                                                  \
  X(kGPUStartTime, "GPUStartTime", Proto<double>)                                                \
  X(kGPUEndTime, "GPUEndTime", Proto<double>)

enum class S : int {
#define DJL_METAL_SELECTOR_ENUM(name, text, ...) name,
  DJL_METAL_SELECTORS(DJL_METAL_SELECTOR_ENUM)
#undef DJL_METAL_SELECTOR_ENUM
      kSelectorCount
};

template <S>
struct Signature;
#define DJL_METAL_SELECTOR_SIGNATURE(name, text, ...) \
  template <>                                         \
  struct Signature<S::name> : __VA_ARGS__ {};
DJL_METAL_SELECTORS(DJL_METAL_SELECTOR_SIGNATURE)
#undef DJL_METAL_SELECTOR_SIGNATURE

// The selector's name ("setBuffer:offset:atIndex:").
const char* selector_name(S s);

// The runtime's entry points, resolved once per process.
struct Runtime {
  void* msg_send = nullptr;
  Sel (*sel_register_name)(const char*) = nullptr;
  Id (*get_class)(const char*) = nullptr;
  void* (*pool_push)() = nullptr;
  void (*pool_pop)(void*) = nullptr;
  Sel selectors[static_cast<int>(S::kSelectorCount)] = {};
};

// Resolves the runtime with `lookup`, once per process (never loads a library). Empty on success, else what
// is missing; later calls return the first call's answer.
std::string load(SymbolLookup lookup);

// Whether load() has succeeded.
bool loaded();

// The loaded runtime; load() must have succeeded.
const Runtime& runtime();

// The one typed send: objc_msgSend cast to the selector's declared prototype. Arguments convert to the declared
// parameter types, never to what the call site happens to pass.
template <S s, typename... A>
auto send(Id receiver, A... args) {
  const Runtime& r = runtime();
  return reinterpret_cast<typename Signature<s>::Fn>(r.msg_send)(receiver, r.selectors[static_cast<int>(s)],
                                                                 args...);
}

// A class by name (null when the process has none).
Id cls(const char* name);
Sel sel(S s);

// An autorelease pool for the scope: JVM threads have none, and every object Metal returns autoreleased must
// be released by the time the entry point returns.
class Pool {
 public:
  Pool() : token_(runtime().pool_push()) {}
  ~Pool() { runtime().pool_pop(token_); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

 private:
  void* token_;
};

// One reference owned by us (+1: from alloc, new..., copy, or retain); released when dropped.
class Owned {
 public:
  Owned() = default;
  explicit Owned(Id object) : object_(object) {}
  Owned(Owned&& o) noexcept : object_(o.object_) { o.object_ = nullptr; }
  Owned& operator=(Owned&& o) noexcept;
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned();

  Id get() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }

 private:
  Id object_ = nullptr;
};

// Takes a reference to an object we do not own (autoreleased, or owned by a container).
Owned retain(Id object);

// An autoreleased NSString holding a copy of the text.
Id string(const std::string& utf8);

// A copy of an NSString's text ("" for nil).
std::string text(Id nsstring);

// "code N: description" of an NSError ("" for nil).
std::string error_text(Id nserror);

}  // namespace djl_metal::metal::objc
