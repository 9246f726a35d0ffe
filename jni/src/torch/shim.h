// The slice of libtorch's extern "C" AOTInductor shim that this library uses.
//
// Nothing here is linked against libtorch: every entry is resolved at run time from the libtorch that
// DJL has already loaded into the process, so one native library serves any libtorch that exports the
// shim (2.7.x names; 2.10+ renamed the dispatcher call, both are looked up).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace djl_metal::torch {

struct AtenTensorOpaque;
struct TorchLibraryOpaque;
using AtenTensorHandle = AtenTensorOpaque*;
using TorchLibraryHandle = TorchLibraryOpaque*;
using StableIValue = uint64_t;
using ShimError = int32_t;  // 0 = success
using BoxedKernel = void (*)(StableIValue* stack, uint64_t num_args, uint64_t num_outputs);

// libtorch writes a bool into a StableIValue with a one-byte memcpy and leaves the other bytes as they were.
inline bool stable_bool(StableIValue s) { return (s & 0xff) != 0; }

// Function table, filled once by load().
struct Shim {
  ShimError (*delete_tensor_object)(AtenTensorHandle) = nullptr;
  ShimError (*new_tensor_handle)(AtenTensorHandle, AtenTensorHandle*) = nullptr;
  ShimError (*get_data_ptr)(AtenTensorHandle, void**) = nullptr;
  ShimError (*get_dim)(AtenTensorHandle, int64_t*) = nullptr;
  ShimError (*get_sizes)(AtenTensorHandle, int64_t**) = nullptr;
  ShimError (*get_strides)(AtenTensorHandle, int64_t**) = nullptr;
  ShimError (*get_dtype)(AtenTensorHandle, int32_t*) = nullptr;
  ShimError (*get_device_type)(AtenTensorHandle, int32_t*) = nullptr;
  ShimError (*get_device_index)(AtenTensorHandle, int32_t*) = nullptr;
  ShimError (*get_storage_offset)(AtenTensorHandle, int64_t*) = nullptr;
  ShimError (*empty_strided)(int64_t ndim, const int64_t* sizes, const int64_t* strides, int32_t dtype,
                             int32_t device_type, int32_t device_index, AtenTensorHandle* out) = nullptr;
  bool (*grad_mode_is_enabled)() = nullptr;
  ShimError (*library_init_impl)(const char* ns, const char* dispatch_key, const char* file, uint32_t line,
                                 TorchLibraryHandle* out) = nullptr;
  ShimError (*library_impl)(TorchLibraryHandle lib, const char* op, BoxedKernel fn) = nullptr;
  ShimError (*delete_library_object)(TorchLibraryHandle lib) = nullptr;
  // Exactly one of the two is set: aoti_torch_call_dispatcher (<= 2.9) or torch_call_dispatcher (2.10+).
  ShimError (*call_dispatcher)(const char* op, const char* overload, StableIValue* stack) = nullptr;
  ShimError (*call_dispatcher_v2)(const char* op, const char* overload, StableIValue* stack,
                                  uint64_t abi_version) = nullptr;
  uint64_t (*abi_version)() = nullptr;

  // Dtype and device codes, read from the library rather than assumed.
  int32_t dtype_bool = -1, dtype_float16 = -1, dtype_bfloat16 = -1, dtype_float32 = -1, dtype_float64 = -1;
  int32_t device_cpu = -1;
  // c10::DeviceType::MPS. libtorch 2.7's shim has no aoti_torch_device_type_mps; where a later one has it, it wins.
  int32_t device_mps = 13;
  // Every dtype code the shim names, for messages.
  std::vector<std::pair<int32_t, std::string>> dtype_names;
};

// Resolves the shim from the libtorch loaded in this process. Idempotent and thread-safe.
// Returns an empty string on success, otherwise why it failed.
std::string load_shim();

// A symbol of the loaded libtorch image (C++ names mangled), else of any image in the process; null when absent.
// Needs load_shim() to have succeeded.
void* find_symbol(const char* name);

// The loaded table; load_shim() must have succeeded.
const Shim& shim();

// Unit tests of the pure routing logic run without libtorch: they install a table holding only dtype and
// device codes.
void install_shim_for_testing(const Shim& table);

// Name of a dtype code for messages ("float32", "bfloat16", ...), "dtype(N)" when unknown.
std::string dtype_name(int32_t dtype);

// Size in bytes of one element of the floating dtypes the kernels handle (0 for anything else).
int dtype_size(int32_t dtype);

}  // namespace djl_metal::torch
