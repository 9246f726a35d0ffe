// What building kernels has cost a backend: shader libraries compiled and pipelines built, with their time.
#pragma once

#include <cstdint>

namespace djl_metal::metal {

struct CompileStats {
  uint64_t libraries = 0, library_nanos = 0, pipelines = 0, pipeline_nanos = 0, failures = 0;
};

}  // namespace djl_metal::metal
