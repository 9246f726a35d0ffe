// Flash attention forward for PyTorch's scaled_dot_product_attention, for many query rows (prefill).
//
// One threadgroup computes BQ = 32 query rows of one (batch, head): 4 simdgroups own 8 rows each. Key and
// value tiles of BK rows are staged through threadgroup memory as float and shared by the simdgroups; the
// two products (S = Q K^T, O += P V) run on 8x8 simdgroup matrices in float; the softmax is online, per
// row, with max and sum in float; rows with no key to attend to come out as zeros, as in PyTorch. Masked
// keys are flags, never infinities (see sdpa_common.h).
//
// Scores go through threadgroup memory between the products, and the per-row rescaling of the output
// accumulators is a product with a diagonal matrix, because Metal documents simdgroup_matrix operations
// but not which lane holds which element: the kernel relies on nothing undocumented.
//
// Template parameters: the element type T (float, half, bfloat); DMAX, the head-dim capacity that sizes
// tiles and accumulators; EXACT, whether head_dim == DMAX (fast variants with constant loop bounds) or
// anything up to DMAX (generic variants). Function constants choose masking, causality and alignment.
#include <metal_stdlib>

#include "sdpa_common.h"
#include "sdpa_params.h"

using namespace metal;

constant bool has_mask [[function_constant(SDPA_FC_HAS_MASK)]];
constant int mask_kind [[function_constant(SDPA_FC_MASK_KIND)]];
constant bool is_causal [[function_constant(SDPA_FC_CAUSAL)]];
constant bool align_q [[function_constant(SDPA_FC_ALIGN_Q)]];
constant bool align_k [[function_constant(SDPA_FC_ALIGN_K)]];

template <typename T, int DMAX, bool EXACT>
[[kernel]] void sdpa_prefill(const device T* q [[buffer(SDPA_BUFFER_Q)]],
                             const device T* k [[buffer(SDPA_BUFFER_K)]],
                             const device T* v [[buffer(SDPA_BUFFER_V)]],
                             const device uchar* mask [[buffer(SDPA_BUFFER_MASK), function_constant(has_mask)]],
                             device T* out [[buffer(SDPA_BUFFER_OUT)]],
                             constant SdpaParams& p [[buffer(SDPA_BUFFER_PARAMS)]],
                             uint3 group [[threadgroup_position_in_grid]],
                             ushort tid [[thread_index_in_threadgroup]],
                             ushort sg [[simdgroup_index_in_threadgroup]],
                             ushort lane [[thread_index_in_simdgroup]]) {
  constexpr int BQ = SDPA_PREFILL_BLOCK_Q;
  constexpr int BK = sdpa_prefill_block_k(DMAX);
  constexpr int THREADS = 32 * SDPA_PREFILL_SIMDGROUPS;
  constexpr int DB = DMAX / 8;
  static_assert(DMAX % 8 == 0 && sdpa_prefill_threadgroup_bytes(DMAX) <= 32768, "tile over 32 KB");
  static_assert(BK / 4 <= 32, "a lane's keys of a tile are bits of one uint");

  threadgroup float kv_tile[BK * DMAX];          // keys, then values, of the current tile
  threadgroup float scores[BQ * BK];             // S, then P, of the current tile
  threadgroup float staging[SDPA_PREFILL_SIMDGROUPS * 64];  // one 8x8 tile per simdgroup

  const int head_dim = EXACT ? DMAX : p.head_dim;
  const int dblocks = EXACT ? DB : (p.head_dim + 7) / 8;
  const int width = dblocks * 8;                 // head dim padded with zeros to whole 8x8 blocks
  const int b = group.z;
  const int h = group.y;
  const int q0 = group.x * BQ;
  const int row0 = q0 + sg * 8;
  const device T* qh = q + b * p.q_stride[0] + h * p.q_stride[1];
  const device T* kh = k + b * p.k_stride[0] + (h / p.group) * p.k_stride[1];
  const device T* vh = v + b * p.v_stride[0] + (h / p.group) * p.v_stride[1];
  threadgroup float* slot = staging + sg * 64;

  // This simdgroup's 8 query rows as float blocks (rows past the end read as zeros).
  simdgroup_float8x8 qf[DB];
  for (int d = 0; d < dblocks; ++d) {
    for (int e = lane; e < 64; e += 32) {
      const int row = row0 + e / 8;
      const int col = d * 8 + e % 8;
      slot[e] = ((align_q || row < p.len_q) && col < head_dim) ? float(qh[row * p.q_stride[2] + col]) : 0.0f;
    }
    simdgroup_barrier(mem_flags::mem_threadgroup);
    simdgroup_load(qf[d], slot, 8);
    simdgroup_barrier(mem_flags::mem_threadgroup);
  }

  simdgroup_float8x8 acc[DB];
  for (int d = 0; d < dblocks; ++d) {
    acc[d] = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
  }

  // Softmax state: lanes 4i..4i+3 share row i of the simdgroup, each holding a quarter of the tile's keys.
  const int i = lane / 4;
  const int part = lane % 4;
  const int row = row0 + i;
  float row_max = SDPA_LOWEST;
  float row_sum = 0.0f;

  // With causal masking, no row of this tile sees keys past its last row.
  const int last_row = min(q0 + BQ, p.len_q) - 1;
  const int k_end = is_causal ? min(p.len_k, last_row + 1) : p.len_k;
  for (int k0 = 0; k0 < k_end; k0 += BK) {
    for (int e = tid; e < BK * width; e += THREADS) {
      const int key = k0 + e / width;
      const int col = e % width;
      kv_tile[(e / width) * DMAX + col] =
          ((align_k || key < p.len_k) && col < head_dim) ? float(kh[key * p.k_stride[2] + col]) : 0.0f;
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);

    // S = Q K^T for this simdgroup's rows (K^T blocks are transposed loads of the key tile).
    for (int j = 0; j < BK / 8; ++j) {
      simdgroup_float8x8 s = make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
      for (int d = 0; d < dblocks; ++d) {
        simdgroup_float8x8 kt;
        simdgroup_load(kt, kv_tile + j * 8 * DMAX + d * 8, DMAX, ulong2(0, 0), true);
        simdgroup_multiply_accumulate(s, qf[d], kt, s);
      }
      simdgroup_store(s, scores + sg * 8 * BK + j * 8, BK);
    }
    simdgroup_barrier(mem_flags::mem_threadgroup);

    // Online softmax over this tile: scale, mask, new row max, weights P written back over S.
    threadgroup float* srow = scores + (sg * 8 + i) * BK;
    float values[BK / 4];
    uint attended = 0;  // bit c: key part * BK / 4 + c of the tile is attended to
    float tile_max = SDPA_LOWEST;
    for (int c = 0; c < BK / 4; ++c) {
      const int col = part * (BK / 4) + c;
      const int key = k0 + col;
      float s = srow[col] * p.scale;
      if (row < p.len_q && (align_k || key < p.len_k) &&
          sdpa_mask_score<T>(s, mask, p, b, h, row, key, has_mask, mask_kind, is_causal)) {
        attended |= 1u << c;
        tile_max = max(tile_max, s);
      }
      values[c] = s;
    }
    tile_max = max(tile_max, simd_shuffle_xor(tile_max, 1));
    tile_max = max(tile_max, simd_shuffle_xor(tile_max, 2));
    const float new_max = max(row_max, tile_max);
    const float correction = sdpa_weight(row_max, new_max);
    float tile_sum = 0.0f;
    for (int c = 0; c < BK / 4; ++c) {
      const float w = (attended >> c) & 1u ? sdpa_weight(values[c], new_max) : 0.0f;
      srow[part * (BK / 4) + c] = w;
      tile_sum += w;
    }
    tile_sum += simd_shuffle_xor(tile_sum, 1);
    tile_sum += simd_shuffle_xor(tile_sum, 2);
    row_sum = row_sum * correction + tile_sum;
    row_max = new_max;
    if (part == 0) {
      for (int c = 0; c < 8; ++c) {
        slot[i * 8 + c] = c == i ? correction : 0.0f;
      }
    }
    simdgroup_barrier(mem_flags::mem_threadgroup);
    simdgroup_float8x8 rescale;
    simdgroup_load(rescale, slot, 8);

    // The value tile replaces the key tile once every simdgroup is done with the keys.
    threadgroup_barrier(mem_flags::mem_threadgroup);
    for (int e = tid; e < BK * width; e += THREADS) {
      const int key = k0 + e / width;
      const int col = e % width;
      kv_tile[(e / width) * DMAX + col] =
          ((align_k || key < p.len_k) && col < head_dim) ? float(vh[key * p.v_stride[2] + col]) : 0.0f;
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);

    // O = diag(correction) O + P V
    simdgroup_float8x8 pf[BK / 8];
    for (int j = 0; j < BK / 8; ++j) {
      simdgroup_load(pf[j], scores + sg * 8 * BK + j * 8, BK);
    }
    for (int d = 0; d < dblocks; ++d) {
      simdgroup_multiply(acc[d], rescale, acc[d]);
      for (int j = 0; j < BK / 8; ++j) {
        simdgroup_float8x8 vf;
        simdgroup_load(vf, kv_tile + j * 8 * DMAX + d * 8, DMAX);
        simdgroup_multiply_accumulate(acc[d], pf[j], vf, acc[d]);
      }
    }
    threadgroup_barrier(mem_flags::mem_threadgroup);
  }

  // O / row_sum (zero for rows that attended to nothing), written through the staging tile.
  if (part == 0) {
    const float inverse = row_sum == 0.0f ? 0.0f : 1.0f / row_sum;
    for (int c = 0; c < 8; ++c) {
      slot[i * 8 + c] = c == i ? inverse : 0.0f;
    }
  }
  simdgroup_barrier(mem_flags::mem_threadgroup);
  simdgroup_float8x8 normalize;
  simdgroup_load(normalize, slot, 8);
  simdgroup_barrier(mem_flags::mem_threadgroup);
  device T* oh = out + b * p.o_stride[0] + h * p.o_stride[1];
  for (int d = 0; d < dblocks; ++d) {
    simdgroup_multiply(acc[d], normalize, acc[d]);
    simdgroup_store(acc[d], slot, 8);
    simdgroup_barrier(mem_flags::mem_threadgroup);
    for (int e = lane; e < 64; e += 32) {
      const int r = row0 + e / 8;
      const int col = d * 8 + e % 8;
      if ((align_q || r < p.len_q) && col < head_dim) {
        oh[r * p.o_stride[2] + col] = T(slot[e]);
      }
    }
    simdgroup_barrier(mem_flags::mem_threadgroup);
  }
}

// Fast variants (head_dim == DMAX) and generic ones (head_dim <= DMAX), for each element type.
template [[host_name("sdpa_prefill_float_d64")]] [[kernel]] decltype(sdpa_prefill<float, 64, true>) sdpa_prefill<float, 64, true>;
template [[host_name("sdpa_prefill_float_d80")]] [[kernel]] decltype(sdpa_prefill<float, 80, true>) sdpa_prefill<float, 80, true>;
template [[host_name("sdpa_prefill_float_d96")]] [[kernel]] decltype(sdpa_prefill<float, 96, true>) sdpa_prefill<float, 96, true>;
template [[host_name("sdpa_prefill_float_d128")]] [[kernel]] decltype(sdpa_prefill<float, 128, true>) sdpa_prefill<float, 128, true>;
template [[host_name("sdpa_prefill_float_d256")]] [[kernel]] decltype(sdpa_prefill<float, 256, true>) sdpa_prefill<float, 256, true>;
template [[host_name("sdpa_prefill_float_upto32")]] [[kernel]] decltype(sdpa_prefill<float, 32, false>) sdpa_prefill<float, 32, false>;
template [[host_name("sdpa_prefill_float_upto64")]] [[kernel]] decltype(sdpa_prefill<float, 64, false>) sdpa_prefill<float, 64, false>;
template [[host_name("sdpa_prefill_float_upto128")]] [[kernel]] decltype(sdpa_prefill<float, 128, false>) sdpa_prefill<float, 128, false>;
template [[host_name("sdpa_prefill_float_upto256")]] [[kernel]] decltype(sdpa_prefill<float, 256, false>) sdpa_prefill<float, 256, false>;
template [[host_name("sdpa_prefill_half_d64")]] [[kernel]] decltype(sdpa_prefill<half, 64, true>) sdpa_prefill<half, 64, true>;
template [[host_name("sdpa_prefill_half_d80")]] [[kernel]] decltype(sdpa_prefill<half, 80, true>) sdpa_prefill<half, 80, true>;
template [[host_name("sdpa_prefill_half_d96")]] [[kernel]] decltype(sdpa_prefill<half, 96, true>) sdpa_prefill<half, 96, true>;
template [[host_name("sdpa_prefill_half_d128")]] [[kernel]] decltype(sdpa_prefill<half, 128, true>) sdpa_prefill<half, 128, true>;
template [[host_name("sdpa_prefill_half_d256")]] [[kernel]] decltype(sdpa_prefill<half, 256, true>) sdpa_prefill<half, 256, true>;
template [[host_name("sdpa_prefill_half_upto32")]] [[kernel]] decltype(sdpa_prefill<half, 32, false>) sdpa_prefill<half, 32, false>;
template [[host_name("sdpa_prefill_half_upto64")]] [[kernel]] decltype(sdpa_prefill<half, 64, false>) sdpa_prefill<half, 64, false>;
template [[host_name("sdpa_prefill_half_upto128")]] [[kernel]] decltype(sdpa_prefill<half, 128, false>) sdpa_prefill<half, 128, false>;
template [[host_name("sdpa_prefill_half_upto256")]] [[kernel]] decltype(sdpa_prefill<half, 256, false>) sdpa_prefill<half, 256, false>;
template [[host_name("sdpa_prefill_bfloat_d64")]] [[kernel]] decltype(sdpa_prefill<bfloat, 64, true>) sdpa_prefill<bfloat, 64, true>;
template [[host_name("sdpa_prefill_bfloat_d80")]] [[kernel]] decltype(sdpa_prefill<bfloat, 80, true>) sdpa_prefill<bfloat, 80, true>;
template [[host_name("sdpa_prefill_bfloat_d96")]] [[kernel]] decltype(sdpa_prefill<bfloat, 96, true>) sdpa_prefill<bfloat, 96, true>;
template [[host_name("sdpa_prefill_bfloat_d128")]] [[kernel]] decltype(sdpa_prefill<bfloat, 128, true>) sdpa_prefill<bfloat, 128, true>;
template [[host_name("sdpa_prefill_bfloat_d256")]] [[kernel]] decltype(sdpa_prefill<bfloat, 256, true>) sdpa_prefill<bfloat, 256, true>;
template [[host_name("sdpa_prefill_bfloat_upto32")]] [[kernel]] decltype(sdpa_prefill<bfloat, 32, false>) sdpa_prefill<bfloat, 32, false>;
template [[host_name("sdpa_prefill_bfloat_upto64")]] [[kernel]] decltype(sdpa_prefill<bfloat, 64, false>) sdpa_prefill<bfloat, 64, false>;
template [[host_name("sdpa_prefill_bfloat_upto128")]] [[kernel]] decltype(sdpa_prefill<bfloat, 128, false>) sdpa_prefill<bfloat, 128, false>;
template [[host_name("sdpa_prefill_bfloat_upto256")]] [[kernel]] decltype(sdpa_prefill<bfloat, 256, false>) sdpa_prefill<bfloat, 256, false>;
