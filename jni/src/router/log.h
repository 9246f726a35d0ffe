// Log lines from native code go to one sink that the Java side installs (it forwards them to SLF4J).
#pragma once

#include <string>

namespace djl_metal::router {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
using LogSink = void (*)(int level, const char* message);

// Installs the sink; per-call DEBUG lines are only built when `debug` is true.
void set_log_sink(LogSink sink, bool debug);
bool debug_enabled();
void log(LogLevel level, const std::string& message);

}  // namespace djl_metal::router
