// Simulator test kernels: SIMD-group collectives and simdgroup matrices.
#include <metal_stdlib>
using namespace metal;

// Each lane's results of the collectives, 8 per lane.
[[kernel]] void simd_ops(const device float* in [[buffer(0)]],
                         device float* out [[buffer(1)]],
                         uint i [[thread_position_in_grid]],
                         ushort lane [[thread_index_in_simdgroup]]) {
  const float v = in[i];
  device float* o = out + i * 8;
  o[0] = simd_sum(v);
  o[1] = simd_max(v);
  o[2] = simd_min(v);
  o[3] = simd_shuffle_xor(v, 1);
  o[4] = simd_shuffle_down(v, 3);
  o[5] = simd_broadcast(v, 5);
  o[6] = simd_prefix_exclusive_sum(v);
  const float2 pair = simd_sum(float2(v, float(lane)));
  o[7] = pair.y;
}

// C = A * B for 8-aligned sizes: each simdgroup owns one 8x8 tile of C. B goes through threadgroup memory
// and is loaded transposed from its stored transpose, to exercise both load paths.
template <typename T>
[[kernel]] void matmul(const device T* a [[buffer(0)]],
                       const device T* b_transposed [[buffer(1)]],
                       device T* c [[buffer(2)]],
                       constant uint3& mnk [[buffer(3)]],
                       ushort simdgroup [[simdgroup_index_in_threadgroup]],
                       uint3 group [[threadgroup_position_in_grid]]) {
  threadgroup T b_tile[4][64];
  const uint row = group.y * 8;
  const uint col = (group.x * 4 + simdgroup) * 8;
  simdgroup_matrix<T, 8, 8> acc = make_filled_simdgroup_matrix<T, 8, 8>(T(0));
  for (uint k = 0; k < mnk.z; k += 8) {
    simdgroup_matrix<T, 8, 8> a_frag;
    simdgroup_matrix<T, 8, 8> b_frag;
    simdgroup_load(a_frag, a + row * mnk.z + k, mnk.z);
    simdgroup_matrix<T, 8, 8> bt;
    simdgroup_load(bt, b_transposed + col * mnk.z + k, mnk.z);
    simdgroup_store(bt, &b_tile[simdgroup][0], 8);
    simdgroup_barrier(mem_flags::mem_threadgroup);
    simdgroup_load(b_frag, &b_tile[simdgroup][0], 8, ulong2(0, 0), true);
    simdgroup_multiply_accumulate(acc, a_frag, b_frag, acc);
    simdgroup_barrier(mem_flags::mem_threadgroup);
  }
  simdgroup_store(acc, c + row * mnk.y + col, mnk.y);
}

template [[host_name("matmul_float")]] [[kernel]] decltype(matmul<float>) matmul<float>;
template [[host_name("matmul_half")]] [[kernel]] decltype(matmul<half>) matmul<half>;
template [[host_name("matmul_bfloat")]] [[kernel]] decltype(matmul<bfloat>) matmul<bfloat>;
