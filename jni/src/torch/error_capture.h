// libtorch's C shim reports an operator's exception by printing it (c10's LOG(ERROR), written to std::cerr)
// and returning an error code. While an ErrorCapture lives on a thread, what that thread writes to std::cerr
// is kept for the error instead of printed; other threads' output passes through unchanged.
#pragma once

#include <string>

namespace djl_metal::torch {

class ErrorCapture {
 public:
  ErrorCapture();
  ~ErrorCapture();
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;

  // PyTorch's own message, from what the shim printed (without its log prefix and C++ backtrace); empty if
  // nothing was printed.
  std::string message() const;

 private:
  std::string captured_;
  std::string* previous_;
};

}  // namespace djl_metal::torch
