// Runs a kernel whose barrier was deleted. Under ThreadSanitizer this process must print a data-race report
// (ctest looks for it); it exits 0 without one only if the race went unnoticed.
#include "simulator/launch.h"

#include <vector>

void register_simulator_race_kernels();

int main() {
  register_simulator_race_kernels();
  std::vector<float> out(128);
  msl::Launch l;
  l.kernel = "missing_barrier";
  l.threadgroups = {1, 1, 1};
  l.threads_per_threadgroup = {128, 1, 1};
  l.buffers = {{0, out.data(), out.size() * sizeof(float)}};
  msl::run(l);
  return 0;
}
