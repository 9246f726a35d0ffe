#include "torch/error_capture.h"

#include <iostream>
#include <mutex>
#include <streambuf>

namespace djl_metal::torch {
namespace {

thread_local std::string* t_sink = nullptr;

// Installed once as std::cerr's buffer: a capturing thread's characters go to its sink, every other thread's
// to the original buffer (the same object libtorch's std::cerr writes through: one C++ runtime per process).
class CapturingBuffer : public std::streambuf {
 public:
  explicit CapturingBuffer(std::streambuf* original) : original_(original) {}

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    if (t_sink) {
      t_sink->push_back(traits_type::to_char_type(c));
      return c;
    }
    return original_->sputc(traits_type::to_char_type(c));
  }

  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (t_sink) {
      t_sink->append(s, static_cast<size_t>(n));
      return n;
    }
    return original_->sputn(s, n);
  }

  int sync() override { return t_sink ? 0 : original_->pubsync(); }

 private:
  std::streambuf* original_;
};

void install() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Never freed: std::cerr may be written to until the process ends.
    static CapturingBuffer* buffer = new CapturingBuffer(std::cerr.rdbuf());
    std::cerr.rdbuf(buffer);
  });
}

}  // namespace

ErrorCapture::ErrorCapture() : previous_(t_sink) {
  install();
  t_sink = &captured_;
}

ErrorCapture::~ErrorCapture() { t_sink = previous_; }

std::string ErrorCapture::message() const {
  std::string m = captured_;
  // The shim's prefix ("[E shim_common.cpp:NN] Exception in aoti_torch: ") and c10's backtrace.
  const std::string marker = "Exception in aoti_torch: ";
  const size_t at = m.find(marker);
  if (at != std::string::npos) m = m.substr(at + marker.size());
  const size_t trace = m.find("\nException raised from ");
  if (trace != std::string::npos) m = m.substr(0, trace);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace djl_metal::torch
