#include "router/log.h"

#include <atomic>

namespace djl_metal::router {
namespace {

std::atomic<LogSink> g_sink{nullptr};
std::atomic<bool> g_debug{false};

}  // namespace

void set_log_sink(LogSink sink, bool debug) {
  g_sink.store(sink);
  g_debug.store(debug && sink != nullptr);
}

bool debug_enabled() { return g_debug.load(std::memory_order_relaxed); }

void log(LogLevel level, const std::string& message) {
  if (LogSink sink = g_sink.load()) sink(static_cast<int>(level), message.c_str());
}

}  // namespace djl_metal::router
