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
#define SDPA_BUFFER_FLAGS 7     // with SDPA_FC_FLAGS: one uint per threadgroup, nonzero if it read NaN or infinity

// Function-constant indices.
#define SDPA_FC_HAS_MASK 0
#define SDPA_FC_MASK_KIND 1     // SDPA_MASK_*
#define SDPA_FC_CAUSAL 2
#define SDPA_FC_ALIGN_Q 3       // len_q is a multiple of the query tile
#define SDPA_FC_ALIGN_K 4       // len_k is a multiple of the key tile
#define SDPA_FC_SPLIT 5         // decode writes partials for a second reduction pass
#define SDPA_FC_FLAGS 6         // every threadgroup reports whether it read a NaN or an infinity

#define SDPA_MASK_BOOL 0
#define SDPA_MASK_ADD_FLOAT32 1
#define SDPA_MASK_ADD_ELEMENT 2

// Both kernels run threadgroups of 4 simdgroups, each owning row blocks of 8 query rows. Prefill gives a
// simdgroup two blocks where their accumulators fit in registers (head dims up to 128), so that each key and
// value block read from threadgroup memory serves 16 rows; decode packs the query rows of every query head
// reading one key/value head into up to 4 blocks, so that the group shares one read of its keys and values.
#define SDPA_SIMDGROUPS 4
constexpr int sdpa_prefill_row_blocks(int dmax) { return dmax <= 128 ? 2 : 1; }
constexpr int sdpa_prefill_block_q(int dmax) { return 8 * SDPA_SIMDGROUPS * sdpa_prefill_row_blocks(dmax); }
#define SDPA_DECODE_ROWS (8 * SDPA_SIMDGROUPS)
#define SDPA_DECODE_MAX_ROWS 8

// Bytes of one staged key/value element: half stays half; float stays float; bfloat is widened to float when
// staged (GPUs before Apple9 have no bfloat matrix arithmetic).
constexpr int sdpa_staged_bytes(int element_bytes, bool is_bfloat) { return is_bfloat ? 4 : element_bytes; }

// Keys per tile: 16 where a staged row is at most 256 bytes, else 8 (the tiles then stay small enough for two
// threadgroups per GPU core; shaders/README.md has the table).
constexpr int sdpa_prefill_block_k(int dmax, int staged_bytes) { return dmax * staged_bytes <= 256 ? 16 : 8; }

// Row strides, in elements, of the staged tiles, padded so that no 8x8 matrix load or store meets a bank
// conflict (32 banks of 4 bytes; a matrix moves as two passes of 32 elements in row-major order): keys are
// loaded transposed, which needs a stride of 4 mod 8; values, scores and probabilities row-major, which needs
// 8 mod 16.
constexpr int sdpa_prefill_k_stride(int dmax) { return dmax + 4; }
constexpr int sdpa_prefill_v_stride(int dmax) { return dmax % 16 == 0 ? dmax + 8 : dmax; }
constexpr int sdpa_prefill_s_stride(int block_k) { return block_k % 16 == 8 ? block_k : block_k + 8; }

// Threadgroup bytes for `rows` query rows: staged keys and values, float scores (probabilities overwrite them
// in place), one float 8x8 staging tile and one vote per simdgroup.
constexpr int sdpa_attend_threadgroup_bytes(int dmax, int staged_bytes, int rows) {
  return sdpa_prefill_block_k(dmax, staged_bytes) * (sdpa_prefill_k_stride(dmax) + sdpa_prefill_v_stride(dmax)) *
             staged_bytes +
         4 * rows * sdpa_prefill_s_stride(sdpa_prefill_block_k(dmax, staged_bytes)) + 4 * SDPA_SIMDGROUPS * 65;
}

// Partial results of one decode split: head_dim accumulators, then the running max and sum.
constexpr int sdpa_partial_stride(int dmax) { return dmax + 2; }
