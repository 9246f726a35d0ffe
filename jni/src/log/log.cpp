#include "log/log.h"

#include <atomic>

namespace djl_metal::log {
namespace {

std::atomic<Sink> g_sink{nullptr};
std::atomic<bool> g_debug{false};

}  // namespace

void set_sink(Sink sink, bool debug) {
  g_sink.store(sink);
  g_debug.store(debug && sink != nullptr);
}

bool debug_enabled() { return g_debug.load(std::memory_order_relaxed); }

void write(Level level, const std::string& message) {
  if (Sink sink = g_sink.load()) sink(static_cast<int>(level), message.c_str());
}

}  // namespace djl_metal::log
