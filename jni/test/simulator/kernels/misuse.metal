// Simulator test kernels that misuse the GPU model: each must be reported, never hang.
#include <metal_stdlib>
using namespace metal;

// Half of each simdgroup reaches a different collective.
[[kernel]] void divergent_simd(device float* out [[buffer(0)]], ushort lane [[thread_index_in_simdgroup]]) {
  if (lane < 16) {
    out[lane] = simd_sum(1.0f);
  } else {
    out[lane] = simd_max(1.0f);
  }
}

// Some threads leave before the barrier the others wait at.
[[kernel]] void early_exit(device float* out [[buffer(0)]], uint tid [[thread_index_in_threadgroup]]) {
  threadgroup float shared_value[64];
  if (tid >= 40) {
    return;
  }
  shared_value[tid] = 1.0f;
  threadgroup_barrier(mem_flags::mem_threadgroup);
  out[tid] = shared_value[63 - tid];
}

// A collective that one lane never reaches.
[[kernel]] void lane_exit(device float* out [[buffer(0)]], ushort lane [[thread_index_in_simdgroup]]) {
  if (lane == 7) {
    return;
  }
  out[lane] = simd_sum(float(lane));
}

// 36 KB of threadgroup memory.
[[kernel]] void too_much_memory(device float* out [[buffer(0)]], uint tid [[thread_index_in_threadgroup]]) {
  threadgroup float big[9216];
  big[tid] = 1.0f;
  threadgroup_barrier(mem_flags::mem_threadgroup);
  out[tid] = big[tid];
}

// Reads buffer 1, which the test leaves unbound; reads an undefined function constant.
constant int required_value [[function_constant(7)]];

[[kernel]] void needs_bindings(device float* out [[buffer(0)]], device float* more [[buffer(1)]]) {
  out[0] = more[0] + float(required_value);
}
