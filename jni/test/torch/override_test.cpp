// The override and the Java-API bridge against a real libtorch (the one DJL ships, unpacked by Maven):
// routed results are bitwise the unhooked ones, and handle/box ownership holds over thousands of calls,
// including failing ones (run under AddressSanitizer + LeakSanitizer in the asan tree).
#include <malloc.h>

#include <thread>

#include "bridge/bridge.h"
#include "check.h"
#include "router/override.h"
#include "router/router.h"
#include "router/scope.h"
#include "torch/libtorch.h"

using libtorch::bitwise_equal;
using libtorch::dispatcher_sdpa;
using libtorch::handle_of;
using libtorch::random_tensor;
using libtorch::routed_calls;
using libtorch::Tensor;

namespace {

struct Inputs {
  Tensor q = random_tensor({2, 4, 9, 16});
  Tensor k = random_tensor({2, 4, 13, 16});
  Tensor v = random_tensor({2, 4, 13, 16});
  Tensor mask = random_tensor({2, 1, 9, 13}, true);
  Tensor bad_k = random_tensor({2, 4, 13, 8});
};

Inputs* inputs;
Tensor* reference_masked;
Tensor* reference_causal;

// The thread works for engine "Metal" while it lives, as around a Metal model's forward.
struct MetalScope {
  MetalScope() { djl_metal::router::enter_metal_scope(); }
  ~MetalScope() { djl_metal::router::exit_metal_scope(); }
};

}  // namespace

TEST(override_results_are_bitwise_unhooked) {
  MetalScope scope;
  const uint64_t before = routed_calls();
  Tensor masked = dispatcher_sdpa(inputs->q, inputs->k, inputs->v, &inputs->mask, 0.3, false);
  Tensor causal = dispatcher_sdpa(inputs->q, inputs->k, inputs->v, nullptr, std::nullopt, true);
  CHECK_EQ(routed_calls() - before, 2u);
  CHECK(bitwise_equal(masked, *reference_masked));
  CHECK(bitwise_equal(causal, *reference_causal));
}

TEST(calls_outside_the_metal_scope_pass_through_uncounted) {
  // Another engine's model in the same process. In native mode with no backend every routed call is refused, so
  // these must not be routed at all.
  djl_metal::router::configure(djl_metal::router::Mode::kNative, nullptr);
  const uint64_t before = routed_calls();
  Tensor masked = dispatcher_sdpa(inputs->q, inputs->k, inputs->v, &inputs->mask, 0.3, false);
  Tensor causal = dispatcher_sdpa(inputs->q, inputs->k, inputs->v, nullptr, std::nullopt, true);
  CHECK_EQ(routed_calls() - before, 0u);
  CHECK(bitwise_equal(masked, *reference_masked));
  CHECK(bitwise_equal(causal, *reference_causal));
  bool threw = false;
  {
    MetalScope scope;  // the same call for engine "Metal" is refused
    try {
      dispatcher_sdpa(inputs->q, inputs->k, inputs->v, nullptr, std::nullopt, true);
    } catch (const djl_metal::torch::TorchError&) {
      threw = true;
    }
  }
  CHECK(threw);
  djl_metal::router::configure(djl_metal::router::Mode::kAuto, nullptr);
  // Scopes nest, and a thread's scope is its own.
  {
    MetalScope outer;
    {
      MetalScope inner;
    }
    CHECK(djl_metal::router::in_metal_scope());
    bool other = true;
    std::thread([&] { other = djl_metal::router::in_metal_scope(); }).join();
    CHECK(!other);
  }
  CHECK(!djl_metal::router::in_metal_scope());
}

TEST(bridge_results_are_bitwise_unhooked) {
  const int64_t out = djl_metal::bridge::scaled_dot_product_attention(
      handle_of(inputs->q), handle_of(inputs->k), handle_of(inputs->v), handle_of(inputs->mask), 0.0, false, true,
      0.3, false);
  Tensor result(reinterpret_cast<djl_metal::torch::AtenTensorHandle>(static_cast<intptr_t>(out)));
  CHECK(bitwise_equal(result, *reference_masked));
}

TEST(errors_are_reported_not_crashed) {
  bool threw = false;
  try {
    djl_metal::bridge::scaled_dot_product_attention(handle_of(inputs->q), handle_of(inputs->bad_k),
                                                    handle_of(inputs->v), 0, 0.0, false, false, 0.0, false);
  } catch (const djl_metal::router::SdpaError& e) {
    threw = true;
    CHECK_CONTAINS(e.what(), "same head dimension");
  }
  CHECK(threw);
  threw = false;
  try {
    djl_metal::bridge::scaled_dot_product_attention(handle_of(inputs->q), 0, handle_of(inputs->v), 0, 0.0, false,
                                                    false, 0.0, false);
  } catch (const std::invalid_argument& e) {
    threw = true;
    CHECK_CONTAINS(e.what(), "key is null");
  }
  CHECK(threw);
  // Through the dispatcher libtorch reports the kernel's exception as a failed call, with its message, which
  // its C shim prints and the call captures (nothing reaches standard error).
  threw = false;
  try {
    dispatcher_sdpa(inputs->q, inputs->bad_k, inputs->v, nullptr, 0.5, false);
  } catch (const djl_metal::torch::TorchError& e) {
    threw = true;
    CHECK_CONTAINS(e.what(), "libtorch failed in aten::scaled_dot_product_attention: ");
    CHECK_CONTAINS(e.what(), "same head dimension");
  }
  CHECK(threw);
}

TEST(no_heap_growth_over_many_calls) {
  auto run_all_paths = [] {
    Tensor unrouted = dispatcher_sdpa(inputs->q, inputs->k, inputs->v, &inputs->mask, 0.3, false);
    MetalScope scope;
    Tensor a = dispatcher_sdpa(inputs->q, inputs->k, inputs->v, &inputs->mask, 0.3, false);
    const int64_t out = djl_metal::bridge::scaled_dot_product_attention(
        handle_of(inputs->q), handle_of(inputs->k), handle_of(inputs->v), handle_of(inputs->mask), 0.0, true, false,
        0.0, false);
    Tensor b(reinterpret_cast<djl_metal::torch::AtenTensorHandle>(static_cast<intptr_t>(out)));
    try {
      dispatcher_sdpa(inputs->q, inputs->bad_k, inputs->v, &inputs->mask, 0.3, false);
    } catch (const djl_metal::torch::TorchError&) {
    }
    try {
      djl_metal::bridge::scaled_dot_product_attention(handle_of(inputs->q), handle_of(inputs->bad_k),
                                                      handle_of(inputs->v), handle_of(inputs->mask), 0.0, false,
                                                      true, 0.3, false);
    } catch (const djl_metal::router::SdpaError&) {
    }
  };
  for (int i = 0; i < 200; ++i) run_all_paths();  // warm caches and libtorch's one-time allocations
  const size_t before = mallinfo2().uordblks;
  for (int i = 0; i < 3000; ++i) run_all_paths();
  const size_t after = mallinfo2().uordblks;
  // Under AddressSanitizer mallinfo reads 0 and LeakSanitizer checks at exit instead.
  CHECK(after <= before + 256 * 1024);
}

int main(int argc, char** argv) {
  if (!libtorch::load(argc, argv, "override_test")) return 1;
  inputs = new Inputs();
  // References before the override exists, from libtorch's own composite SDPA.
  reference_masked = new Tensor(dispatcher_sdpa(inputs->q, inputs->k, inputs->v, &inputs->mask, 0.3, false));
  reference_causal = new Tensor(dispatcher_sdpa(inputs->q, inputs->k, inputs->v, nullptr, std::nullopt, true));
  djl_metal::router::configure(djl_metal::router::Mode::kAuto, nullptr);
  const std::string installed = djl_metal::router::install_override(false);
  if (!installed.empty()) {
    std::fprintf(stderr, "%s\n", installed.c_str());
    return 1;
  }
  const int rc = check::run_all();
  delete reference_masked;
  delete reference_causal;
  delete inputs;
  return rc;
}
