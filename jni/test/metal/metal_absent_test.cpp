// The adapter in a process without Objective-C or Metal (Linux, or a JVM on a machine with no Metal): nothing
// is found, every refusal says why, and nothing crashes. Linked without the fake Metal.
#include <stdexcept>

#include "backend/registry.h"
#include "check.h"
#include "metal/device.h"
#include "metal/objc.h"

namespace metal = djl_metal::metal;
using djl_metal::backend::Request;

TEST(the_runtime_reports_what_is_missing) {
  CHECK_CONTAINS(metal::objc::load(&metal::process_symbol),
                 "no Objective-C runtime in this process (missing objc_msgSend, sel_registerName, objc_getClass, "
                 "objc_autoreleasePoolPush, objc_autoreleasePoolPop)");
  CHECK(!metal::os_at_least(1, 0));
}

TEST(no_device_and_the_reason) {
  std::string why;
  CHECK(metal::Device::get(&metal::process_symbol, &why) == nullptr);
  CHECK_EQ(why, "no Objective-C runtime in this process: Metal needs macOS on Apple silicon");
}

TEST(the_registry_never_picks_metal_here) {
  djl_metal::backend::Settings settings;
  djl_metal::backend::Selection selected = djl_metal::backend::select_backend(settings);
  CHECK(selected.backend == nullptr);
  CHECK_CONTAINS(selected.why, "Metal needs macOS on Apple silicon");
  settings.request = Request::kMetal;
  CHECK_THROWS(djl_metal::backend::select_backend(settings), "ai.djl.metal.backend=metal: no Objective-C runtime");
  settings.request = Request::kSimulator;
  selected = djl_metal::backend::select_backend(settings);
  CHECK(selected.backend && selected.backend->kind() == djl_metal::backend::BackendKind::kSimulator);
  CHECK_CONTAINS(selected.why, "requested: the Metal kernels executed by the MSL simulator");
}

int main() { return check::run_all(); }
