#include "router/override.h"

#include <mutex>

#include "router/router.h"
#include "router/scope.h"

namespace djl_metal::router {
namespace {

constexpr uint64_t kSdpaArguments = 8;  // query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa

using call::SdpaCall;

template <Entry kEntry>
void sdpa_kernel(torch::StableIValue* stack, uint64_t num_args, uint64_t num_outputs) {
  if (num_args != kSdpaArguments || num_outputs != 1) {
    throw SdpaError("scaled_dot_product_attention: this libtorch's schema has " + std::to_string(num_args) +
                    " arguments and " + std::to_string(num_outputs) + " results; the Metal engine expects 8 and 1");
  }
  SdpaCall call = SdpaCall::take_from_stack(stack);
  torch::Tensor out = in_metal_scope() ? route(call, kEntry) : pass_through(call);
  stack[0] = static_cast<torch::StableIValue>(reinterpret_cast<uintptr_t>(out.release()));
}

std::once_flag g_once;
std::string g_result;
// The registrations live as long as these library objects: for the life of the process.
torch::TorchLibraryHandle g_libraries[4] = {};

void do_install(bool mps) {
  const torch::Shim& s = torch::shim();
  // Backend keys (CPU, MPS): calls below autograd, such as inference-mode calls, which is how DJL runs
  // TorchScript forwards. Autograd keys: every other call; without them PyTorch would no longer record SDPA's
  // backward for these devices.
  const struct {
    const char* key;
    torch::BoxedKernel kernel;
  } registrations[] = {{"CPU", &sdpa_kernel<Entry::kBelowAutograd>},
                       {"AutogradCPU", &sdpa_kernel<Entry::kAboveAutograd>},
                       {"MPS", &sdpa_kernel<Entry::kBelowAutograd>},
                       {"AutogradMPS", &sdpa_kernel<Entry::kAboveAutograd>}};
  const int count = mps ? 4 : 2;
  for (int i = 0; i < count; ++i) {
    if (s.library_init_impl("aten", registrations[i].key, __FILE__, __LINE__, &g_libraries[i]) != 0 ||
        s.library_impl(g_libraries[i], "scaled_dot_product_attention", registrations[i].kernel) != 0) {
      // Dropping a library object removes its registrations, so a failure leaves libtorch untouched.
      for (torch::TorchLibraryHandle& lib : g_libraries) {
        if (lib) s.delete_library_object(lib);
        lib = nullptr;
      }
      g_result = std::string("libtorch refused the SDPA override for dispatch key ") + registrations[i].key;
      return;
    }
  }
}

}  // namespace

std::string install_override(bool mps) {
  std::call_once(g_once, [mps] { do_install(mps); });
  return g_result;
}

}  // namespace djl_metal::router
