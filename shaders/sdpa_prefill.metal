// Flash attention forward for PyTorch's scaled_dot_product_attention, for many query rows (prefill).
//
// One threadgroup computes sdpa_prefill_block_q(DMAX) query rows of one (batch, head) against every key they
// may see, through the tiled body in sdpa_attend.h, then writes them divided by their sums; rows with no key
// to attend to come out as zeros, as in PyTorch. A threadgroup that read a NaN or an infinity writes NaN
// rows and, with SDPA_FC_FLAGS, a nonzero flag.
//
// Template parameters: the element type T (float, half, bfloat); DMAX, the head-dim capacity that sizes
// tiles and accumulators; EXACT, whether head_dim == DMAX (fast variants with constant loop bounds) or
// anything up to DMAX (generic variants). Function constants choose masking, causality and alignment.
#include <metal_stdlib>

#include "sdpa_attend.h"
#include "sdpa_params.h"

using namespace metal;

constant bool has_mask [[function_constant(SDPA_FC_HAS_MASK)]];
constant int mask_kind [[function_constant(SDPA_FC_MASK_KIND)]];
constant bool is_causal [[function_constant(SDPA_FC_CAUSAL)]];
constant bool align_q [[function_constant(SDPA_FC_ALIGN_Q)]];
constant bool align_k [[function_constant(SDPA_FC_ALIGN_K)]];
constant bool report_flags [[function_constant(SDPA_FC_FLAGS)]];

template <typename T, int DMAX, bool EXACT>
[[kernel]] void sdpa_prefill(const device T* q [[buffer(SDPA_BUFFER_Q)]],
                             const device T* k [[buffer(SDPA_BUFFER_K)]],
                             const device T* v [[buffer(SDPA_BUFFER_V)]],
                             const device uchar* mask [[buffer(SDPA_BUFFER_MASK), function_constant(has_mask)]],
                             device T* out [[buffer(SDPA_BUFFER_OUT)]],
                             constant SdpaParams& p [[buffer(SDPA_BUFFER_PARAMS)]],
                             device uint* flags [[buffer(SDPA_BUFFER_FLAGS), function_constant(report_flags)]],
                             uint3 group [[threadgroup_position_in_grid]],
                             uint3 groups [[threadgroups_per_grid]],
                             ushort tid [[thread_index_in_threadgroup]],
                             ushort sg [[simdgroup_index_in_threadgroup]],
                             ushort lane [[thread_index_in_simdgroup]]) {
  typedef typename sdpa_staged<T>::type M;
  constexpr int SB = sizeof(M);
  constexpr int RB = sdpa_prefill_row_blocks(DMAX);
  constexpr int BQ = sdpa_prefill_block_q(DMAX);
  constexpr int BK = sdpa_prefill_block_k(DMAX, SB);
  static_assert(DMAX % 8 == 0 && sdpa_attend_threadgroup_bytes(DMAX, SB, BQ) <= 32768, "tiles over 32 KB");

  threadgroup M k_tile[BK * sdpa_prefill_k_stride(DMAX)];
  threadgroup M v_tile[BK * sdpa_prefill_v_stride(DMAX)];
  threadgroup float scores[BQ * sdpa_prefill_s_stride(BK)];
  threadgroup float staging[SDPA_SIMDGROUPS * 64];
  threadgroup uint votes[SDPA_SIMDGROUPS];

  const int b = group.z;
  const int h = group.y;
  const int q0 = group.x * BQ;
  const SdpaPrefillRows rows = {h, q0, p.len_q};
  SdpaRange r;
  r.b = b;
  r.k_begin = 0;
  // With causal masking, no row of this threadgroup sees keys past its last row.
  r.k_end = is_causal ? min(p.len_k, min(q0 + BQ, p.len_q)) : p.len_k;
  r.causal_from = q0;
  r.has_mask = has_mask;
  r.mask_kind = mask_kind;
  r.is_causal = is_causal;
  r.align_k = align_k && !is_causal;
  r.rows_valid = align_q;

  simdgroup_float8x8 acc[RB][DMAX / 8];
  float row_max[RB];
  float row_sum[RB];
  bool bad = false;
  sdpa_attend<T, DMAX, EXACT, RB, SDPA_SIMDGROUPS>(acc, row_max, row_sum, rows, q,
                                                   k + b * p.k_stride[0] + (h / p.group) * p.k_stride[1],
                                                   v + b * p.v_stride[0] + (h / p.group) * p.v_stride[1], mask, p, r,
                                                   k_tile, v_tile, scores, staging, bad, tid, sg, lane);
  const bool poisoned = sdpa_threadgroup_any<SDPA_SIMDGROUPS>(bad, votes, sg, lane);
  if (report_flags && tid == 0) {
    flags[(group.z * groups.y + group.y) * groups.x + group.x] = poisoned ? 1u : 0u;
  }
  sdpa_write_rows<T, DMAX, EXACT, RB>(acc, row_sum, rows, out, p, b, align_q, poisoned, staging, sg, lane);
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
