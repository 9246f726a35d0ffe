// Shared by the Metal kernels and the host-side launch plan (C++17): the argument block, buffer and
// function-constant indices, and the tile sizes, so that both sides agree by construction.
#pragma once

#ifdef __METAL_VERSION__
typedef long sdpa_long;
typedef int sdpa_int;
#else
#include <cstdint>
typedef int64_t sdpa_long;
typedef int32_t sdpa_int;
#endif

// setBytes block at SDPA_BUFFER_PARAMS. Strides are in elements; 0 where a dimension broadcasts.
struct SdpaParams {
  sdpa_long q_stride[3];     // batch, head, row
  sdpa_long k_stride[3];
  sdpa_long v_stride[3];
  sdpa_long o_stride[3];
  sdpa_long mask_stride[4];  // batch, head, row, column
  sdpa_int batch;
  sdpa_int heads_q;
  sdpa_int heads_kv;
  sdpa_int len_q;
  sdpa_int len_k;
  sdpa_int head_dim;
  sdpa_int group;            // heads_q / heads_kv: query head h reads key/value head h / group
  sdpa_int splits;           // decode: threadgroups sharing one query row's keys
  sdpa_int keys_per_split;
  float scale;
};

// Buffer indices.
#define SDPA_BUFFER_Q 0
#define SDPA_BUFFER_K 1
#define SDPA_BUFFER_V 2
#define SDPA_BUFFER_MASK 3      // bound only when SDPA_FC_HAS_MASK
#define SDPA_BUFFER_OUT 4
#define SDPA_BUFFER_PARAMS 5
#define SDPA_BUFFER_PARTIALS 6  // decode with splits > 1: [batch, heads_q, len_q, splits, partial_stride]

// Function-constant indices.
#define SDPA_FC_HAS_MASK 0
#define SDPA_FC_MASK_KIND 1     // SDPA_MASK_*
#define SDPA_FC_CAUSAL 2
#define SDPA_FC_ALIGN_Q 3       // len_q is a multiple of the query tile
#define SDPA_FC_ALIGN_K 4       // len_k is a multiple of the key tile
#define SDPA_FC_SPLIT 5         // decode writes partials for a second reduction pass

#define SDPA_MASK_BOOL 0
#define SDPA_MASK_ADD_FLOAT32 1
#define SDPA_MASK_ADD_ELEMENT 2

// Prefill: a threadgroup of 4 simdgroups owns 8 query rows each.
#define SDPA_PREFILL_SIMDGROUPS 4
#define SDPA_PREFILL_BLOCK_Q (8 * SDPA_PREFILL_SIMDGROUPS)

// Keys per tile for a head-dim capacity: the float key/value tile plus the score tile stay under 32 KB.
constexpr int sdpa_prefill_block_k(int dmax) { return dmax <= 64 ? 64 : dmax <= 128 ? 32 : 16; }

// Threadgroup bytes of one prefill variant: key/value tile, score tile, one 8x8 staging tile per simdgroup.
constexpr int sdpa_prefill_threadgroup_bytes(int dmax) {
  return 4 * (sdpa_prefill_block_k(dmax) * dmax + SDPA_PREFILL_BLOCK_Q * sdpa_prefill_block_k(dmax) +
              SDPA_PREFILL_SIMDGROUPS * 64);
}

// Decode (few query rows): a threadgroup of 4 simdgroups per query row and key split.
#define SDPA_DECODE_SIMDGROUPS 4
#define SDPA_DECODE_MAX_ROWS 8

// Partial results of one split: head_dim accumulators, then the running max and sum.
constexpr int sdpa_partial_stride(int dmax) { return dmax + 2; }

constexpr int sdpa_decode_threadgroup_bytes(int dmax) {
  return 4 * SDPA_DECODE_SIMDGROUPS * sdpa_partial_stride(dmax);
}
