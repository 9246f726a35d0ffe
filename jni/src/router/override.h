// Installs the router as libtorch's aten::scaled_dot_product_attention for CPU tensors, process-wide.
#pragma once

#include <string>

namespace djl_metal::router {

// Registers the override for the CPU and AutogradCPU dispatch keys, once per process (later calls return the
// first call's result). Returns an empty string on success, otherwise why it failed; nothing is left half-done.
std::string install_override();

}  // namespace djl_metal::router
