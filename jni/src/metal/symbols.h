// Functions and variables the adapter takes from the process at run time (dlsym): nothing here is linked, so
// the library loads where Metal does not exist and uses whatever libobjc, Metal and libtorch are loaded.
#pragma once

namespace djl_metal::metal {

// Every C-level entry point the adapter looks up, with the declaration it is used as. api_calls.md lists each
// with Apple's or PyTorch's documentation; a test checks that the fake provides exactly these.
#define DJL_METAL_FUNCTIONS(X)                                                                               \
  X(kMsgSend, "objc_msgSend", "id objc_msgSend(id self, SEL op, ...)")                                      \
  X(kSelRegisterName, "sel_registerName", "SEL sel_registerName(const char *str)")                           \
  X(kGetClass, "objc_getClass", "id objc_getClass(const char *name)")                                       \
  X(kPoolPush, "objc_autoreleasePoolPush", "void *objc_autoreleasePoolPush(void)")                          \
  X(kPoolPop, "objc_autoreleasePoolPop", "void objc_autoreleasePoolPop(void *pool)")                        \
  X(kCreateSystemDefaultDevice, "MTLCreateSystemDefaultDevice", "id<MTLDevice> MTLCreateSystemDefaultDevice(void)") \
  X(kCopyAllDevices, "MTLCopyAllDevices", "NSArray<id<MTLDevice>> *MTLCopyAllDevices(void)")                \
  X(kVmPageSize, "vm_page_size", "extern vm_size_t vm_page_size")                                           \
  X(kDispatchSyncF, "dispatch_sync_f", "void dispatch_sync_f(dispatch_queue_t, void *, dispatch_function_t)") \
  X(kTorchMpsGetDispatchQueue, "_ZN5torch3mps18get_dispatch_queueEv", "dispatch_queue_t torch::mps::get_dispatch_queue()") \
  X(kTorchMpsGetCommandBuffer, "_ZN5torch3mps18get_command_bufferEv", "MTLCommandBuffer_t torch::mps::get_command_buffer()") \
  X(kTorchMpsCommit, "_ZN5torch3mps6commitEv", "void torch::mps::commit()")

enum class F : int {
#define DJL_METAL_FUNCTION_ENUM(name, symbol, declaration) name,
  DJL_METAL_FUNCTIONS(DJL_METAL_FUNCTION_ENUM)
#undef DJL_METAL_FUNCTION_ENUM
      kFunctionCount
};

// The symbol name of an entry point ("objc_msgSend").
const char* function_name(F f);

// Finds a symbol by name, null when absent. The backend passes one that searches libtorch's image (and, on
// macOS, the libraries it loaded: libobjc, Metal, libSystem) before the process's global scope, so nothing
// depends on how the JVM loaded them.
using SymbolLookup = void* (*)(const char* name);

// The process's global scope (dlsym with RTLD_DEFAULT).
void* process_symbol(const char* name);

}  // namespace djl_metal::metal
