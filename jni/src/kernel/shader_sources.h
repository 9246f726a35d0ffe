// The shaders/ files as Metal compiles them at run time: each .metal file with the headers it includes
// written in place (a library compiled from a string cannot open files). Generated at build time by
// jni/cmake/embed_shaders.cmake from the same files the simulator runs.
#pragma once

#include <string>

namespace djl_metal::kernel {

// The source of one shaders/ file, by name without .metal ("sdpa_prefill"); null when there is none.
const char* shader_source(const std::string& library);

}  // namespace djl_metal::kernel
