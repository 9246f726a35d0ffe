// Attention for a few query rows (decode, Lq <= 8), optionally split across threadgroups for long key
// sequences, with a second kernel reducing the splits.
//
// One threadgroup handles one key/value head over one contiguous range of keys, for the query rows of every
// query head that reads that head (GQA): they are packed as row blocks of 8, (head in group) * len_q + row,
// up to 32 rows per threadgroup (more rows take more threadgroups, each reading the keys and values again).
// So each key and value row is read from device memory once per split, staged in threadgroup memory and
// shared by the group, through the tiled body in sdpa_attend.h. With several splits the unnormalised state
// goes to a partials buffer for sdpa_decode_reduce; else the rows are written divided by their sums. A
// threadgroup that read a NaN or an infinity poisons its rows (NaN sums in partials) and, with SDPA_FC_FLAGS,
// reports it in its flag.
//
// Template parameters: the element type T; DMAX, the head-dim capacity; EXACT, whether head_dim == DMAX
// (fast variants for 64, 80, 96, 128 and 256, with constant bounds) or anything up to DMAX.
#include <metal_stdlib>

#include "sdpa_attend.h"
#include "sdpa_params.h"

using namespace metal;

constant bool has_mask [[function_constant(SDPA_FC_HAS_MASK)]];
constant int mask_kind [[function_constant(SDPA_FC_MASK_KIND)]];
constant bool is_causal [[function_constant(SDPA_FC_CAUSAL)]];
constant bool split [[function_constant(SDPA_FC_SPLIT)]];
constant bool report_flags [[function_constant(SDPA_FC_FLAGS)]];

template <typename T, int DMAX, bool EXACT>
[[kernel]] void sdpa_decode(const device T* q [[buffer(SDPA_BUFFER_Q)]],
                            const device T* k [[buffer(SDPA_BUFFER_K)]],
                            const device T* v [[buffer(SDPA_BUFFER_V)]],
                            const device uchar* mask [[buffer(SDPA_BUFFER_MASK), function_constant(has_mask)]],
                            device T* out [[buffer(SDPA_BUFFER_OUT)]],
                            constant SdpaParams& p [[buffer(SDPA_BUFFER_PARAMS)]],
                            device float* partials [[buffer(SDPA_BUFFER_PARTIALS), function_constant(split)]],
                            device uint* flags [[buffer(SDPA_BUFFER_FLAGS), function_constant(report_flags)]],
                            uint3 group [[threadgroup_position_in_grid]],
                            uint3 groups [[threadgroups_per_grid]],
                            ushort tid [[thread_index_in_threadgroup]],
                            ushort sg [[simdgroup_index_in_threadgroup]],
                            ushort lane [[thread_index_in_simdgroup]]) {
  typedef typename sdpa_staged<T>::type M;
  constexpr int SB = sizeof(M);
  constexpr int BK = sdpa_prefill_block_k(DMAX, SB);
  static_assert(DMAX % 8 == 0 && sdpa_attend_threadgroup_bytes(DMAX, SB, SDPA_DECODE_ROWS) <= 32768,
                "tiles over 32 KB");

  threadgroup M k_tile[BK * sdpa_prefill_k_stride(DMAX)];
  threadgroup M v_tile[BK * sdpa_prefill_v_stride(DMAX)];
  threadgroup float scores[SDPA_DECODE_ROWS * sdpa_prefill_s_stride(BK)];
  threadgroup float staging[SDPA_SIMDGROUPS * 64];
  threadgroup uint votes[SDPA_SIMDGROUPS];

  const int piece = group.x;
  const int b = group.z / p.heads_kv;
  const int kvh = group.z % p.heads_kv;
  const SdpaDecodeRows rows = {kvh * p.group, int(group.y) * SDPA_DECODE_ROWS, p.len_q, p.group * p.len_q};
  SdpaRange r;
  r.b = b;
  r.k_begin = piece * p.keys_per_split;
  // Under top-left causal masking no row sees a key at or past len_q (the host launches no split beyond).
  const int visible = is_causal ? min(p.len_k, p.len_q) : p.len_k;
  r.k_end = min(visible, r.k_begin + p.keys_per_split);
  r.causal_from = 0;
  r.has_mask = has_mask;
  r.mask_kind = mask_kind;
  r.is_causal = is_causal;
  r.align_k = false;
  r.rows_valid = false;

  simdgroup_float8x8 acc[1][DMAX / 8];
  float row_max[1];
  float row_sum[1];
  bool bad = false;
  sdpa_attend<T, DMAX, EXACT, 1, SDPA_SIMDGROUPS>(acc, row_max, row_sum, rows, q,
                                                  k + b * p.k_stride[0] + kvh * p.k_stride[1],
                                                  v + b * p.v_stride[0] + kvh * p.v_stride[1], mask, p, r, k_tile,
                                                  v_tile, scores, staging, bad, tid, sg, lane);
  const bool poisoned = sdpa_threadgroup_any<SDPA_SIMDGROUPS>(bad, votes, sg, lane);
  if (report_flags && tid == 0) {
    flags[(group.z * groups.y + group.y) * groups.x + group.x] = poisoned ? 1u : 0u;
  }
  if (!rows.valid(sg * 8)) {
    return;
  }
  if (split) {
    sdpa_write_partials<DMAX, 1>(acc, row_max, row_sum, rows, partials, p, b, piece,
                                 EXACT ? DMAX / 8 : (p.head_dim + 7) / 8, poisoned, staging, sg, lane);
  } else {
    sdpa_write_rows<T, DMAX, EXACT, 1>(acc, row_sum, rows, out, p, b, false, poisoned, staging, sg, lane);
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
  bool poisoned = false;  // a split read a NaN or an infinity: its sum is NaN
  for (int s = 0; s < p.splits; ++s) {
    merged_max = max(merged_max, parts[s * STRIDE + DMAX]);
    poisoned = poisoned || sdpa_non_finite(parts[s * STRIDE + DMAX + 1]);
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
    orow[d] = poisoned ? sdpa_nan<T>() : T(acc * inverse);
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
