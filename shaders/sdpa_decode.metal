// Attention for a few query rows (decode, Lq <= 8): one pass over the keys, optionally split across
// threadgroups for long key sequences, with a second kernel reducing the splits.
//
// One threadgroup handles one query row of one (batch, head) over one contiguous range of keys. Its 4
// simdgroups take every fourth key; each lane holds a strided slice of the head dim (lane, lane + 32, ...),
// so a score is one simd_sum and the value update touches only the lane's slice. The simdgroups' online
// softmax states are merged through threadgroup memory; with several splits the merged, unnormalised
// state goes to a partials buffer for sdpa_decode_reduce. Masked keys are flags, never infinities (see
// sdpa_common.h).
//
// Template parameters: the element type T; DMAX, the head-dim capacity; EXACT, whether head_dim == DMAX
// (fast variants for 64, 80, 96, 128 and 256, with constant bounds) or anything up to DMAX.
#include <metal_stdlib>

#include "sdpa_common.h"
#include "sdpa_params.h"

using namespace metal;

constant bool has_mask [[function_constant(SDPA_FC_HAS_MASK)]];
constant int mask_kind [[function_constant(SDPA_FC_MASK_KIND)]];
constant bool is_causal [[function_constant(SDPA_FC_CAUSAL)]];
constant bool split [[function_constant(SDPA_FC_SPLIT)]];

template <typename T, int DMAX, bool EXACT>
[[kernel]] void sdpa_decode(const device T* q [[buffer(SDPA_BUFFER_Q)]],
                            const device T* k [[buffer(SDPA_BUFFER_K)]],
                            const device T* v [[buffer(SDPA_BUFFER_V)]],
                            const device uchar* mask [[buffer(SDPA_BUFFER_MASK), function_constant(has_mask)]],
                            device T* out [[buffer(SDPA_BUFFER_OUT)]],
                            constant SdpaParams& p [[buffer(SDPA_BUFFER_PARAMS)]],
                            device float* partials [[buffer(SDPA_BUFFER_PARTIALS), function_constant(split)]],
                            uint3 group [[threadgroup_position_in_grid]],
                            ushort sg [[simdgroup_index_in_threadgroup]],
                            ushort lane [[thread_index_in_simdgroup]]) {
  constexpr int PER_LANE = (DMAX + 31) / 32;
  constexpr int STRIDE = sdpa_partial_stride(DMAX);
  threadgroup float states[SDPA_DECODE_SIMDGROUPS * STRIDE];

  const int piece = group.x;
  const int row = group.y;
  const int b = group.z / p.heads_q;
  const int h = group.z % p.heads_q;
  const int head_dim = EXACT ? DMAX : p.head_dim;
  const device T* qr = q + b * p.q_stride[0] + h * p.q_stride[1] + row * p.q_stride[2];
  const device T* kh = k + b * p.k_stride[0] + (h / p.group) * p.k_stride[1];
  const device T* vh = v + b * p.v_stride[0] + (h / p.group) * p.v_stride[1];

  float qv[PER_LANE];
  float o[PER_LANE];
  for (int j = 0; j < PER_LANE; ++j) {
    const int d = lane + 32 * j;
    qv[j] = d < head_dim ? float(qr[d]) : 0.0f;
    o[j] = 0.0f;
  }

  const int k_begin = piece * p.keys_per_split;
  int k_end = min(p.len_k, k_begin + p.keys_per_split);
  if (is_causal) {
    k_end = min(k_end, row + 1);
  }
  float row_max = SDPA_LOWEST;
  float row_sum = 0.0f;
  for (int key = k_begin + sg; key < k_end; key += SDPA_DECODE_SIMDGROUPS) {
    const device T* kr = kh + key * p.k_stride[2];
    float dot = 0.0f;
    for (int j = 0; j < PER_LANE; ++j) {
      const int d = lane + 32 * j;
      if (d < head_dim) {
        dot += qv[j] * float(kr[d]);
      }
    }
    float score = simd_sum(dot) * p.scale;
    if (!sdpa_mask_score<T>(score, mask, p, b, h, row, key, has_mask, mask_kind, is_causal)) {
      continue;
    }
    const float new_max = max(row_max, score);
    const float correction = sdpa_weight(row_max, new_max);
    const float w = sdpa_weight(score, new_max);
    row_sum = row_sum * correction + w;
    row_max = new_max;
    const device T* vr = vh + key * p.v_stride[2];
    for (int j = 0; j < PER_LANE; ++j) {
      const int d = lane + 32 * j;
      o[j] = o[j] * correction + (d < head_dim ? w * float(vr[d]) : 0.0f);
    }
  }

  // Merge the simdgroups' states in simdgroup 0.
  threadgroup float* mine = states + sg * STRIDE;
  for (int j = 0; j < PER_LANE; ++j) {
    const int d = lane + 32 * j;
    if (d < DMAX) {
      mine[d] = o[j];
    }
  }
  if (lane == 0) {
    mine[DMAX] = row_max;
    mine[DMAX + 1] = row_sum;
  }
  threadgroup_barrier(mem_flags::mem_threadgroup);
  if (sg != 0) {
    return;
  }
  float merged_max = SDPA_LOWEST;
  for (int s = 0; s < SDPA_DECODE_SIMDGROUPS; ++s) {
    merged_max = max(merged_max, states[s * STRIDE + DMAX]);
  }
  float merged_sum = 0.0f;
  float acc[PER_LANE];
  for (int j = 0; j < PER_LANE; ++j) {
    acc[j] = 0.0f;
  }
  for (int s = 0; s < SDPA_DECODE_SIMDGROUPS; ++s) {
    const float w = sdpa_weight(states[s * STRIDE + DMAX], merged_max);
    merged_sum += states[s * STRIDE + DMAX + 1] * w;
    for (int j = 0; j < PER_LANE; ++j) {
      const int d = lane + 32 * j;
      if (d < DMAX) {
        acc[j] += states[s * STRIDE + d] * w;
      }
    }
  }
  if (split) {
    device float* part = partials + ((long(group.z) * p.len_q + row) * p.splits + piece) * STRIDE;
    for (int j = 0; j < PER_LANE; ++j) {
      const int d = lane + 32 * j;
      if (d < DMAX) {
        part[d] = acc[j];
      }
    }
    if (lane == 0) {
      part[DMAX] = merged_max;
      part[DMAX + 1] = merged_sum;
    }
    return;
  }
  const float inverse = merged_sum == 0.0f ? 0.0f : 1.0f / merged_sum;
  device T* orow = out + b * p.o_stride[0] + h * p.o_stride[1] + row * p.o_stride[2];
  for (int j = 0; j < PER_LANE; ++j) {
    const int d = lane + 32 * j;
    if (d < head_dim) {
      orow[d] = T(acc[j] * inverse);
    }
  }
}

// Second pass of a split decode: one simdgroup per query row merges the splits' states.
template <typename T, int DMAX>
[[kernel]] void sdpa_decode_reduce(const device float* partials [[buffer(SDPA_BUFFER_PARTIALS)]],
                                   device T* out [[buffer(SDPA_BUFFER_OUT)]],
                                   constant SdpaParams& p [[buffer(SDPA_BUFFER_PARAMS)]],
                                   uint3 group [[threadgroup_position_in_grid]],
                                   ushort lane [[thread_index_in_simdgroup]]) {
  constexpr int STRIDE = sdpa_partial_stride(DMAX);
  const int row = group.y;
  const int b = group.z / p.heads_q;
  const int h = group.z % p.heads_q;
  const device float* parts = partials + (long(group.z) * p.len_q + row) * p.splits * STRIDE;
  float merged_max = SDPA_LOWEST;
  for (int s = 0; s < p.splits; ++s) {
    merged_max = max(merged_max, parts[s * STRIDE + DMAX]);
  }
  float merged_sum = 0.0f;
  for (int s = 0; s < p.splits; ++s) {
    merged_sum += parts[s * STRIDE + DMAX + 1] * sdpa_weight(parts[s * STRIDE + DMAX], merged_max);
  }
  const float inverse = merged_sum == 0.0f ? 0.0f : 1.0f / merged_sum;
  device T* orow = out + b * p.o_stride[0] + h * p.o_stride[1] + row * p.o_stride[2];
  for (int d = lane; d < p.head_dim; d += 32) {
    float acc = 0.0f;
    for (int s = 0; s < p.splits; ++s) {
      acc += parts[s * STRIDE + d] * sdpa_weight(parts[s * STRIDE + DMAX], merged_max);
    }
    orow[d] = T(acc * inverse);
  }
}

// Fast variants (head_dim == DMAX) and generic ones (head_dim <= DMAX), for each element type; the
// reduction only needs the capacity, which sizes the partials.
template [[host_name("sdpa_decode_float_d64")]] [[kernel]] decltype(sdpa_decode<float, 64, true>) sdpa_decode<float, 64, true>;
template [[host_name("sdpa_decode_float_d80")]] [[kernel]] decltype(sdpa_decode<float, 80, true>) sdpa_decode<float, 80, true>;
template [[host_name("sdpa_decode_float_d96")]] [[kernel]] decltype(sdpa_decode<float, 96, true>) sdpa_decode<float, 96, true>;
template [[host_name("sdpa_decode_float_d128")]] [[kernel]] decltype(sdpa_decode<float, 128, true>) sdpa_decode<float, 128, true>;
template [[host_name("sdpa_decode_float_d256")]] [[kernel]] decltype(sdpa_decode<float, 256, true>) sdpa_decode<float, 256, true>;
template [[host_name("sdpa_decode_float_upto32")]] [[kernel]] decltype(sdpa_decode<float, 32, false>) sdpa_decode<float, 32, false>;
template [[host_name("sdpa_decode_float_upto64")]] [[kernel]] decltype(sdpa_decode<float, 64, false>) sdpa_decode<float, 64, false>;
template [[host_name("sdpa_decode_float_upto128")]] [[kernel]] decltype(sdpa_decode<float, 128, false>) sdpa_decode<float, 128, false>;
template [[host_name("sdpa_decode_float_upto256")]] [[kernel]] decltype(sdpa_decode<float, 256, false>) sdpa_decode<float, 256, false>;
template [[host_name("sdpa_decode_half_d64")]] [[kernel]] decltype(sdpa_decode<half, 64, true>) sdpa_decode<half, 64, true>;
template [[host_name("sdpa_decode_half_d80")]] [[kernel]] decltype(sdpa_decode<half, 80, true>) sdpa_decode<half, 80, true>;
template [[host_name("sdpa_decode_half_d96")]] [[kernel]] decltype(sdpa_decode<half, 96, true>) sdpa_decode<half, 96, true>;
template [[host_name("sdpa_decode_half_d128")]] [[kernel]] decltype(sdpa_decode<half, 128, true>) sdpa_decode<half, 128, true>;
template [[host_name("sdpa_decode_half_d256")]] [[kernel]] decltype(sdpa_decode<half, 256, true>) sdpa_decode<half, 256, true>;
template [[host_name("sdpa_decode_half_upto32")]] [[kernel]] decltype(sdpa_decode<half, 32, false>) sdpa_decode<half, 32, false>;
template [[host_name("sdpa_decode_half_upto64")]] [[kernel]] decltype(sdpa_decode<half, 64, false>) sdpa_decode<half, 64, false>;
template [[host_name("sdpa_decode_half_upto128")]] [[kernel]] decltype(sdpa_decode<half, 128, false>) sdpa_decode<half, 128, false>;
template [[host_name("sdpa_decode_half_upto256")]] [[kernel]] decltype(sdpa_decode<half, 256, false>) sdpa_decode<half, 256, false>;
template [[host_name("sdpa_decode_bfloat_d64")]] [[kernel]] decltype(sdpa_decode<bfloat, 64, true>) sdpa_decode<bfloat, 64, true>;
template [[host_name("sdpa_decode_bfloat_d80")]] [[kernel]] decltype(sdpa_decode<bfloat, 80, true>) sdpa_decode<bfloat, 80, true>;
template [[host_name("sdpa_decode_bfloat_d96")]] [[kernel]] decltype(sdpa_decode<bfloat, 96, true>) sdpa_decode<bfloat, 96, true>;
template [[host_name("sdpa_decode_bfloat_d128")]] [[kernel]] decltype(sdpa_decode<bfloat, 128, true>) sdpa_decode<bfloat, 128, true>;
template [[host_name("sdpa_decode_bfloat_d256")]] [[kernel]] decltype(sdpa_decode<bfloat, 256, true>) sdpa_decode<bfloat, 256, true>;
template [[host_name("sdpa_decode_bfloat_upto32")]] [[kernel]] decltype(sdpa_decode<bfloat, 32, false>) sdpa_decode<bfloat, 32, false>;
template [[host_name("sdpa_decode_bfloat_upto64")]] [[kernel]] decltype(sdpa_decode<bfloat, 64, false>) sdpa_decode<bfloat, 64, false>;
template [[host_name("sdpa_decode_bfloat_upto128")]] [[kernel]] decltype(sdpa_decode<bfloat, 128, false>) sdpa_decode<bfloat, 128, false>;
template [[host_name("sdpa_decode_bfloat_upto256")]] [[kernel]] decltype(sdpa_decode<bfloat, 256, false>) sdpa_decode<bfloat, 256, false>;
template [[host_name("sdpa_decode_reduce_float_upto32")]] [[kernel]] decltype(sdpa_decode_reduce<float, 32>) sdpa_decode_reduce<float, 32>;
template [[host_name("sdpa_decode_reduce_float_upto64")]] [[kernel]] decltype(sdpa_decode_reduce<float, 64>) sdpa_decode_reduce<float, 64>;
template [[host_name("sdpa_decode_reduce_float_upto80")]] [[kernel]] decltype(sdpa_decode_reduce<float, 80>) sdpa_decode_reduce<float, 80>;
template [[host_name("sdpa_decode_reduce_float_upto96")]] [[kernel]] decltype(sdpa_decode_reduce<float, 96>) sdpa_decode_reduce<float, 96>;
template [[host_name("sdpa_decode_reduce_float_upto128")]] [[kernel]] decltype(sdpa_decode_reduce<float, 128>) sdpa_decode_reduce<float, 128>;
template [[host_name("sdpa_decode_reduce_float_upto256")]] [[kernel]] decltype(sdpa_decode_reduce<float, 256>) sdpa_decode_reduce<float, 256>;
template [[host_name("sdpa_decode_reduce_half_upto32")]] [[kernel]] decltype(sdpa_decode_reduce<half, 32>) sdpa_decode_reduce<half, 32>;
template [[host_name("sdpa_decode_reduce_half_upto64")]] [[kernel]] decltype(sdpa_decode_reduce<half, 64>) sdpa_decode_reduce<half, 64>;
template [[host_name("sdpa_decode_reduce_half_upto80")]] [[kernel]] decltype(sdpa_decode_reduce<half, 80>) sdpa_decode_reduce<half, 80>;
template [[host_name("sdpa_decode_reduce_half_upto96")]] [[kernel]] decltype(sdpa_decode_reduce<half, 96>) sdpa_decode_reduce<half, 96>;
template [[host_name("sdpa_decode_reduce_half_upto128")]] [[kernel]] decltype(sdpa_decode_reduce<half, 128>) sdpa_decode_reduce<half, 128>;
template [[host_name("sdpa_decode_reduce_half_upto256")]] [[kernel]] decltype(sdpa_decode_reduce<half, 256>) sdpa_decode_reduce<half, 256>;
template [[host_name("sdpa_decode_reduce_bfloat_upto32")]] [[kernel]] decltype(sdpa_decode_reduce<bfloat, 32>) sdpa_decode_reduce<bfloat, 32>;
template [[host_name("sdpa_decode_reduce_bfloat_upto64")]] [[kernel]] decltype(sdpa_decode_reduce<bfloat, 64>) sdpa_decode_reduce<bfloat, 64>;
template [[host_name("sdpa_decode_reduce_bfloat_upto80")]] [[kernel]] decltype(sdpa_decode_reduce<bfloat, 80>) sdpa_decode_reduce<bfloat, 80>;
template [[host_name("sdpa_decode_reduce_bfloat_upto96")]] [[kernel]] decltype(sdpa_decode_reduce<bfloat, 96>) sdpa_decode_reduce<bfloat, 96>;
template [[host_name("sdpa_decode_reduce_bfloat_upto128")]] [[kernel]] decltype(sdpa_decode_reduce<bfloat, 128>) sdpa_decode_reduce<bfloat, 128>;
template [[host_name("sdpa_decode_reduce_bfloat_upto256")]] [[kernel]] decltype(sdpa_decode_reduce<bfloat, 256>) sdpa_decode_reduce<bfloat, 256>;
