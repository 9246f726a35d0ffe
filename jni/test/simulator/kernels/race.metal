// A threadgroup-memory race: thread i reads what thread i+1 wrote, with the barrier between them deleted.
// ThreadSanitizer must report it (the test expects the sanitizer to fail the run).
#include <metal_stdlib>
using namespace metal;

[[kernel]] void missing_barrier(device float* out [[buffer(0)]], uint tid [[thread_index_in_threadgroup]],
                                uint threads [[threads_per_threadgroup]]) {
  threadgroup float values[128];
  values[tid] = float(tid);
  out[tid] = values[(tid + 1) % threads];
}
