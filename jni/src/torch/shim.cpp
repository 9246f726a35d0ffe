#include "torch/shim.h"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#else
#include <link.h>
#endif

namespace djl_metal::torch {
namespace {

Shim g_shim;
void* g_libtorch = nullptr;
std::string g_error = "libtorch shim not loaded";
std::once_flag g_once;

#if defined(__APPLE__)
constexpr char kLibtorchSuffix[] = "/libtorch_cpu.dylib";
#else
constexpr char kLibtorchSuffix[] = "/libtorch_cpu.so";
#endif

bool names_libtorch(const char* name) {
  const std::string path = name ? name : "";
  const size_t n = sizeof(kLibtorchSuffix) - 1;
  return path.size() >= n && path.compare(path.size() - n, n, kLibtorchSuffix) == 0;
}

// DJL loads libtorch with System.load, i.e. RTLD_LOCAL, so its symbols are not in the global scope:
// find the loaded image by name and take a handle to it without loading anything new.
std::string find_loaded_libtorch() {
#if defined(__APPLE__)
  for (uint32_t i = 0, n = _dyld_image_count(); i < n; ++i) {
    if (names_libtorch(_dyld_get_image_name(i))) return _dyld_get_image_name(i);
  }
  return "";
#else
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) -> int {
        if (!names_libtorch(info->dlpi_name)) return 0;
        *static_cast<std::string*>(data) = info->dlpi_name;
        return 1;
      },
      &found);
  return found;
#endif
}

template <typename Fn>
bool resolve(void* lib, const char* name, Fn& slot, std::string& missing) {
  slot = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!slot) missing += std::string(missing.empty() ? "" : ", ") + name;
  return slot != nullptr;
}

void do_load() {
  const std::string path = find_loaded_libtorch();
  if (path.empty()) {
    g_error = "libtorch_cpu is not loaded in this process (the PyTorch engine must start first)";
    return;
  }
  void* lib = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
  if (!lib) {
    g_error = "cannot reopen " + path + ": " + dlerror();
    return;
  }
  Shim s;
  std::string missing;
  resolve(lib, "aoti_torch_delete_tensor_object", s.delete_tensor_object, missing);
  resolve(lib, "aoti_torch_new_tensor_handle", s.new_tensor_handle, missing);
  resolve(lib, "aoti_torch_get_data_ptr", s.get_data_ptr, missing);
  resolve(lib, "aoti_torch_get_dim", s.get_dim, missing);
  resolve(lib, "aoti_torch_get_sizes", s.get_sizes, missing);
  resolve(lib, "aoti_torch_get_strides", s.get_strides, missing);
  resolve(lib, "aoti_torch_get_dtype", s.get_dtype, missing);
  resolve(lib, "aoti_torch_get_device_type", s.get_device_type, missing);
  resolve(lib, "aoti_torch_get_device_index", s.get_device_index, missing);
  resolve(lib, "aoti_torch_get_storage_offset", s.get_storage_offset, missing);
  resolve(lib, "aoti_torch_empty_strided", s.empty_strided, missing);
  resolve(lib, "aoti_torch_grad_mode_is_enabled", s.grad_mode_is_enabled, missing);
  resolve(lib, "aoti_torch_library_init_impl", s.library_init_impl, missing);
  resolve(lib, "aoti_torch_library_impl", s.library_impl, missing);
  resolve(lib, "aoti_torch_delete_library_object", s.delete_library_object, missing);
  std::string no_dispatcher;
  if (!resolve(lib, "aoti_torch_call_dispatcher", s.call_dispatcher, no_dispatcher)) {
    resolve(lib, "torch_call_dispatcher", s.call_dispatcher_v2, missing);
    resolve(lib, "aoti_torch_abi_version", s.abi_version, missing);
  }
  int32_t (*cpu_fn)() = nullptr;
  resolve(lib, "aoti_torch_device_type_cpu", cpu_fn, missing);
  for (const char* name : {"bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
                           "float64", "complex64", "complex128"}) {
    int32_t (*fn)() = nullptr;
    std::string absent;  // only the five below are required
    if (resolve(lib, ("aoti_torch_dtype_" + std::string(name)).c_str(), fn, absent)) {
      s.dtype_names.emplace_back(fn(), name);
    }
  }
  auto code_of = [&](const char* name) {
    for (const auto& [code, n] : s.dtype_names) {
      if (n == name) return code;
    }
    missing += std::string(missing.empty() ? "" : ", ") + "aoti_torch_dtype_" + name;
    return -1;
  };
  s.dtype_bool = code_of("bool");
  s.dtype_float16 = code_of("float16");
  s.dtype_bfloat16 = code_of("bfloat16");
  s.dtype_float32 = code_of("float32");
  s.dtype_float64 = code_of("float64");
  if (!missing.empty()) {
    g_error = path + " lacks the C shim functions " + missing;
    return;
  }
  s.device_cpu = cpu_fn();
  int32_t (*mps_fn)() = nullptr;
  std::string absent;
  if (resolve(lib, "aoti_torch_device_type_mps", mps_fn, absent)) s.device_mps = mps_fn();
  g_shim = s;
  g_libtorch = lib;
  g_error.clear();
}

}  // namespace

std::string load_shim() {
  std::call_once(g_once, do_load);
  return g_error;
}

const Shim& shim() {
  if (!g_error.empty()) throw std::logic_error("libtorch shim used before it loaded: " + g_error);
  return g_shim;
}

void* find_symbol(const char* name) {
  void* p = g_libtorch ? dlsym(g_libtorch, name) : nullptr;
  return p ? p : dlsym(RTLD_DEFAULT, name);
}

void install_shim_for_testing(const Shim& table) {
  std::call_once(g_once, [] {});
  g_shim = table;
  g_error.clear();
}

std::string dtype_name(int32_t dtype) {
  for (const auto& [code, name] : g_shim.dtype_names) {
    if (code == dtype) return name;
  }
  return "dtype(" + std::to_string(dtype) + ")";
}

int dtype_size(int32_t dtype) {
  const Shim& s = g_shim;
  if (dtype == s.dtype_float32) return 4;
  if (dtype == s.dtype_float16 || dtype == s.dtype_bfloat16) return 2;
  return 0;
}

}  // namespace djl_metal::torch
