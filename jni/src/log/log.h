// Log lines from native code go to one sink that the Java side installs (it forwards them to SLF4J).
#pragma once

#include <string>

namespace djl_metal::log {

enum class Level : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
using Sink = void (*)(int level, const char* message);

// Installs the sink; DEBUG lines are only built when `debug` is true.
void set_sink(Sink sink, bool debug);
bool debug_enabled();
void write(Level level, const std::string& message);

}  // namespace djl_metal::log
