// The Metal adapter on a Mac's real GPU (built only on macOS): the device it finds, every pipeline the plans
// use compiled by Apple's compiler from the embedded sources (with the time each took), and the fault paths
// that can be triggered for real: a kernel name that does not exist, a shader file that is not embedded, and
// encoder misuse that Metal would raise on. Exits 77 (ctest's "skipped") where there is no Metal device.
#include <cstdio>

#include "check.h"
#include "encoder/metal_encoder.h"
#include "metal/pipelines.h"
#include "metal/plans.h"
#include "metal/symbols.h"

namespace metal = djl_metal::metal;
using metal::objc::S;
using test_plans::plan_for;

namespace {

const metal::Device* find_device(std::string* why) { return metal::Device::get(&metal::process_symbol, why); }

const metal::Device& device() {
  std::string why;
  const metal::Device* d = find_device(&why);
  if (!d) throw std::runtime_error("no Metal device: " + why);
  return *d;
}

}  // namespace

TEST(the_device_is_an_apple_gpu_with_16k_pages) {
  std::fprintf(stderr, "device: %s\n", device().description().c_str());
  CHECK(device().description().find("Apple") != std::string::npos);
  CHECK_EQ(device().page_size(), size_t{16384});
  CHECK(device().max_threadgroup_memory() >= size_t{32768});
}

TEST(every_kernel_variant_compiles_and_builds_under_apples_compiler) {
  metal::Pipelines pipelines(device());
  metal::objc::Pool pool;
  size_t built = 0;
  for (int64_t d : {64, 80, 96, 128, 256}) {
    for (int64_t lq : {1, 4, 40}) {
      for (int64_t lk : {40, 4096}) {
        for (const djl_metal::plan::Dispatch& dispatch : plan_for(1, 2, lq, lk, d).dispatches) {
          std::string error;
          const bool ok = pipelines.get(dispatch, &error) != nullptr;
          if (!ok) check::fail(__FILE__, __LINE__, dispatch.pipeline_key() + ": " + error);
          built += ok;
        }
      }
    }
  }
  const metal::CompileStats stats = pipelines.stats();
  std::fprintf(stderr, "compiled %zu libraries in %.1f ms, built %zu pipelines in %.1f ms\n",
               static_cast<size_t>(stats.libraries), stats.library_nanos / 1e6, static_cast<size_t>(stats.pipelines),
               stats.pipeline_nanos / 1e6);
  CHECK(built > 0);
  CHECK_EQ(stats.failures, 0u);
}

TEST(a_kernel_name_that_does_not_exist_fails_cleanly_and_stays_disabled) {
  metal::Pipelines pipelines(device());
  metal::objc::Pool pool;
  djl_metal::plan::Plan plan = plan_for(1, 1, 40, 40, 64);
  plan.dispatches[0].kernel = "sdpa_prefill_no_such_kernel";
  std::string error;
  CHECK(pipelines.get(plan.dispatches[0], &error) == nullptr);
  CHECK_CONTAINS(error, "no function sdpa_prefill_no_such_kernel");
  std::string again;
  CHECK(pipelines.get(plan.dispatches[0], &again) == nullptr);
  CHECK_EQ(again, error);
  // The real kernels of the same file still build.
  CHECK(pipelines.get(plan_for(1, 1, 40, 40, 64).dispatches[0], &error) != nullptr);
}

TEST(a_shader_file_that_is_not_embedded_fails_cleanly) {
  metal::Pipelines pipelines(device());
  metal::objc::Pool pool;
  djl_metal::plan::Plan plan = plan_for(1, 1, 40, 40, 64);
  plan.dispatches[0].library = "sdpa_nonexistent";
  std::string error;
  CHECK(pipelines.get(plan.dispatches[0], &error) == nullptr);
  CHECK_CONTAINS(error, "no shader source named sdpa_nonexistent is embedded in this library");
}

TEST(the_metal_encoder_refuses_what_metal_would_raise_on) {
  metal::objc::Pool pool;
  metal::objc::Id command_buffer = metal::objc::send<S::kCommandBuffer>(device().queue());
  const djl_metal::plan::Plan plan = plan_for(1, 1, 40, 40, 64);
  {
    djl_metal::encoder::MetalEncoder encoder(command_buffer, {}, {});
    CHECK_THROWS(encoder.set_pipeline(plan.dispatches[0]), "no pipeline was resolved");
    CHECK_THROWS(encoder.set_buffer(31, djl_metal::plan::Operand::kQuery), "buffer index 31");
    CHECK_THROWS(encoder.dispatch({1, 1, 1}, {2048, 1, 1}), "dispatch of 2048 threads");
  }
  metal::objc::send<S::kCommit>(command_buffer);
  metal::objc::send<S::kWaitUntilCompleted>(command_buffer);
}

int main() {
  std::string why;
  if (!find_device(&why)) {
    std::fprintf(stderr, "SKIPPED: no Metal device here (%s)\n", why.c_str());
    return 77;  // ctest's SKIP_RETURN_CODE
  }
  return check::run_all();
}
