// Control of the fake Metal (libdjl_metal_fake.so) for tests. The fake is a tiny Objective-C runtime plus the
// Metal classes and functions the adapter (jni/src/metal) uses, implemented with the signatures Apple
// documents; dispatches run the real kernels on the MSL simulator. Whatever Metal would reject, or would leave
// undefined, is recorded as a violation, never a crash; tests take the violations and fail on any.
//
// A JVM (or any program) runs against it with LD_PRELOAD=libdjl_metal_fake.so; there, DJL_FAKE_METAL_FAULTS
// arms faults ("compile,command_buffer_error=3:2": fault[=code][:times]) and DJL_FAKE_METAL_REPORT names a
// directory where fake-metal-<pid>.txt receives each violation as a line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#define FAKE_METAL_API __attribute__((visibility("default")))

namespace fake_metal {

enum class Fault {
  kNoDevice,            // MTLCreateSystemDefaultDevice gives nil and MTLCopyAllDevices an empty array
  kNoDefaultDevice,     // MTLCreateSystemDefaultDevice gives nil, MTLCopyAllDevices lists the GPU (no CoreGraphics)
  kNoQueue,             // newCommandQueue gives nil
  kOldOs,               // macOS 13
  kMacOs14,             // macOS 14: MTLCompileOptions has setFastMathEnabled: but not setMathMode:
  kOldFamily,           // a GPU below family Apple7
  kCompile,             // newLibraryWithSource: fails with a compile error
  kFunction,            // newFunctionWithName:constantValues:error: fails
  kPipeline,            // newComputePipelineStateWithFunction:error: fails
  kMaxThreads,          // pipelines take at most 64 threads per threadgroup
  kThreadgroupMemory,   // pipelines report 48 KB of static threadgroup memory
  kSimdWidth,           // pipelines report a SIMD width of 64
  kNoBuffer,            // newBufferWithBytesNoCopy: gives nil
  kNoCommandBuffer,     // commandBuffer gives nil
  kNoEncoder,           // computeCommandEncoder gives nil
  kCommandBufferError,  // a committed command buffer ends with MTLCommandBufferStatusError and this code
  kWrongResult,         // a dispatch that writes the output completes but flips one bit of its first element
};

// Arms a fault for its next `times` occurrences (-1: until cleared); `code` is the command buffer error code.
FAKE_METAL_API void inject(Fault fault, int times = -1, long code = 0);
FAKE_METAL_API void clear_faults();

// What Metal would have rejected or left undefined since the last call, one sentence each.
FAKE_METAL_API std::vector<std::string> take_violations();

// Objects alive now (classes and the fake's own singletons excluded), and their classes, sorted.
FAKE_METAL_API long live_objects();
FAKE_METAL_API std::string live_object_classes();

// Every selector some fake class implements, and every C-level symbol the fake provides.
FAKE_METAL_API std::vector<std::string> implemented_selectors();
FAKE_METAL_API std::vector<std::string> provided_functions();

// What the GPU executed since the last call (the latest 1024 commands), in order: kernel host names,
// "barrier", "copy".
FAKE_METAL_API std::vector<std::string> take_executed();

// Pipelines built so far (newComputePipelineStateWithFunction:error: calls that succeeded).
FAKE_METAL_API long pipelines_built();

// Blocks until every committed command buffer has run.
FAKE_METAL_API void wait_idle();

// Test buffers (what PyTorch's MPS allocator would own): +1 MTLBuffer over page-aligned memory.
FAKE_METAL_API void* new_buffer(size_t bytes);
FAKE_METAL_API void* buffer_contents(void* buffer);
FAKE_METAL_API void release(void* object);

// PyTorch work on its MPS stream, as PyTorch encodes it: a copy between buffers on the stream's command buffer.
FAKE_METAL_API void mps_encode_copy(void* src, uint64_t src_offset, void* dst, uint64_t dst_offset, size_t bytes);
// torch.mps.synchronize(): commits the stream's command buffer and waits for it.
FAKE_METAL_API void mps_synchronize();

}  // namespace fake_metal
