// A kernel whose every count is known in advance, for the simulator's counters (counting_test.cpp).
#include <metal_stdlib>

using namespace metal;

kernel void counted(const device float* in [[buffer(0)]], device float* out [[buffer(1)]],
                    ushort tid [[thread_index_in_threadgroup]]) {
  threadgroup float tile[64 * 33];
  // Rows 33 words apart: the 32 lanes of a simdgroup hit 32 different banks, storing and loading.
  tile[tid * 33] = in[tid];
  threadgroup_barrier(mem_flags::mem_threadgroup);
  const float x = tile[tid * 33];
  threadgroup_barrier(mem_flags::mem_threadgroup);
  // Rows 32 words apart: every lane of a simdgroup in bank 1, 32 different words.
  tile[(tid % 32) * 32 + 1] = x;
  // A row-major 8x8 load (no conflict), a transposed one with rows 32 words apart (8 words per bank in each
  // pass), one product.
  simdgroup_float8x8 a;
  simdgroup_float8x8 b;
  simdgroup_load(a, tile, 8);
  simdgroup_load(b, tile, 32, ulong2(0, 0), true);
  simdgroup_multiply_accumulate(a, a, b, a);
  simdgroup_barrier(mem_flags::mem_none);
  out[tid] = x + in[tid];
}
