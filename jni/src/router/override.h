// Installs the router as libtorch's aten::scaled_dot_product_attention for CPU tensors (and MPS tensors when a
// backend reads them), process-wide.
#pragma once

#include <string>

namespace djl_metal::router {

// Registers the override for the CPU and AutogradCPU dispatch keys, and MPS and AutogradMPS too when `mps`,
// once per process (later calls return the first call's result). Returns an empty string on success, otherwise
// why it failed; nothing is left half-done.
std::string install_override(bool mps);

}  // namespace djl_metal::router
