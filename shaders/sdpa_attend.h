// The attention body shared by the prefill and decode kernels: a threadgroup's query rows (8 per row block,
// RB blocks per simdgroup) against one range of keys of one key/value head, as tiles.
//
// Each tile of BK keys is staged once, keys and values together, in the input type (bfloat widened to float:
// no bfloat matrix arithmetic before Apple9), in rows padded against bank conflicts, by every thread of the
// threadgroup; the two products (S = Q K^T, O += P V) run on 8x8 simdgroup matrices of that type,
// accumulating in float; the softmax is online, per row, with max and sum in float. Masked keys are flags,
// never infinities (see sdpa_common.h).
//
// Scores pass through threadgroup memory between the products (probabilities overwrite them, in the matrix
// type), and a grown row maximum rescales the output accumulators by a product with a diagonal matrix,
// because Metal documents simdgroup_matrix operations but not which lane holds which element: nothing here
// relies on anything undocumented. The rescale is skipped when no row maximum of the block grew over
// accumulated output, and the division by the row sums happens element by element on the way out.
//
// A simdgroup's state is its output accumulators acc[RB][DMAX / 8] and, for row lane / 4 of each row block,
// the running max and sum. Loops over arrays of matrices have constant bounds (guarded for the generic head
// dims), so that the compiler can keep the matrices in registers.
//
// Non-finite inputs: every query, key and value element the body reads, and every additive mask entry, is
// tested by its bits as it is loaded (fast math may fold isnan and isinf away); a NaN or an infinity, or a
// NaN or +infinity in an additive mask, sets the thread's `bad`. The kernels then poison the threadgroup's
// rows with NaN and report it in their flags (shaders/README.md has the rule).
#pragma once

#include <metal_stdlib>

#include "sdpa_common.h"
#include "sdpa_params.h"

// The element type of the staged tiles and of the matrices.
template <typename T>
struct sdpa_staged {
  typedef T type;
};
template <>
struct sdpa_staged<bfloat> {
  typedef float type;
};

// A prefill threadgroup's rows: consecutive query rows of one head.
struct SdpaPrefillRows {
  int head;   // the query head
  int first;  // the first query row
  int len_q;
  int head_of(int) const { return head; }
  int row_of(int r) const { return first + r; }
  bool valid(int r) const { return first + r < len_q; }
};

// A decode threadgroup's rows: the query rows of every query head reading one key/value head, packed as
// (head in group) * len_q + row, from `first` on.
struct SdpaDecodeRows {
  int first_head;  // the group's first query head
  int first;
  int len_q;
  int count;  // group * len_q
  int head_of(int r) const { return first_head + (first + r) / len_q; }
  int row_of(int r) const { return (first + r) % len_q; }
  bool valid(int r) const { return first + r < count; }
};

// What the body needs besides the tiles: the call, the key range and the compile-time choices.
struct SdpaRange {
  int b;
  int k_begin, k_end;
  int causal_from;  // keys below it are visible to every row of the threadgroup under causal masking
  bool has_mask;
  int mask_kind;
  bool is_causal;
  bool align_k;     // the key range is whole tiles that end within len_k
  bool rows_valid;  // every row of the threadgroup is a real one
};

template <typename T, int DMAX, bool EXACT, int RB, int SIMDGROUPS, typename Rows>
inline void sdpa_attend(thread metal::simdgroup_float8x8 (&acc)[RB][DMAX / 8], thread float (&row_max)[RB],
                        thread float (&row_sum)[RB], Rows rows, const device T* q, const device T* kh,
                        const device T* vh, const device uchar* mask, constant SdpaParams& p, SdpaRange r,
                        threadgroup typename sdpa_staged<T>::type* k_tile,
                        threadgroup typename sdpa_staged<T>::type* v_tile, threadgroup float* scores,
                        threadgroup float* staging, thread bool& bad, ushort tid, ushort sg, ushort lane) {
  typedef typename sdpa_staged<T>::type M;
  constexpr int SB = sizeof(M);
  constexpr int BK = sdpa_prefill_block_k(DMAX, SB);
  constexpr int KS = sdpa_prefill_k_stride(DMAX);
  constexpr int VS = sdpa_prefill_v_stride(DMAX);
  constexpr int SS = sdpa_prefill_s_stride(BK);
  constexpr int THREADS = 32 * SIMDGROUPS;
  constexpr int DB = DMAX / 8;
  // Threads per staged row: several rows at a time for narrow heads.
  constexpr int COLS = DMAX > 64 ? THREADS : THREADS / 2;
  static_assert(BK / 4 <= 32, "a lane's keys of a tile are bits of one uint");

  const int head_dim = EXACT ? DMAX : p.head_dim;
  const int dblocks = EXACT ? DB : (p.head_dim + 7) / 8;
  const int width = dblocks * 8;  // head dim padded with zeros to whole 8x8 blocks
  threadgroup float* slot = staging + sg * 64;
  threadgroup M* qslot = (threadgroup M*)slot;

  // This simdgroup's rows as matrix blocks (rows that are not real read as zeros).
  metal::simdgroup_matrix<M, 8, 8> qf[RB][DB];
  for (int rb = 0; rb < RB; ++rb) {
    const int r0 = (sg * RB + rb) * 8;
    for (int d = 0; d < DB; ++d) {
      if (!EXACT && d >= dblocks) {
        qf[rb][d] = metal::make_filled_simdgroup_matrix<M, 8, 8>(M(0));
        continue;
      }
      for (int e = lane; e < 64; e += 32) {
        const int rr = r0 + e / 8;
        const int col = d * 8 + e % 8;
        const long at = r.b * p.q_stride[0] + rows.head_of(rr) * p.q_stride[1] + rows.row_of(rr) * p.q_stride[2];
        const T x = ((r.rows_valid || rows.valid(rr)) && col < head_dim) ? q[at + col] : T(0);
        bad = bad || sdpa_non_finite(x);
        qslot[e] = M(x);
      }
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
      metal::simdgroup_load(qf[rb][d], qslot, 8);
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
    }
    for (int d = 0; d < DB; ++d) {
      acc[rb][d] = metal::make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
    }
    row_max[rb] = SDPA_LOWEST;
    row_sum[rb] = 0.0f;
  }
  // A simdgroup whose rows are all beyond the real ones only helps staging.
  const bool active = r.rows_valid || rows.valid(sg * RB * 8);

  // Softmax: lanes 4i..4i+3 share row i of a row block, each holding a quarter of the tile's keys: at step
  // c, columns 4c..4c+3 for rows 0-3 and the next group of 4 for rows 4-7, so that the 32 lanes of a step
  // touch 32 different banks.
  const int i = lane / 4;
  const int part = lane % 4;
  const int rotate = i < 4 ? 0 : 1;
  for (int k0 = r.k_begin; k0 < r.k_end; k0 += BK) {
    // Keys and values of the tile, zero past the range and head_dim.
    for (int key = tid / COLS; key < BK; key += THREADS / COLS) {
      const bool in_range = r.align_k || k0 + key < r.k_end;
      const long kr = long(k0 + key) * p.k_stride[2];
      const long vr = long(k0 + key) * p.v_stride[2];
      for (int col = tid % COLS; col < width; col += COLS) {
        const bool load = in_range && col < head_dim;
        const T kx = load ? kh[kr + col] : T(0);
        const T vx = load ? vh[vr + col] : T(0);
        bad = bad || sdpa_non_finite(kx) || sdpa_non_finite(vx);
        k_tile[key * KS + col] = M(kx);
        v_tile[key * VS + col] = M(vx);
      }
    }
    metal::threadgroup_barrier(metal::mem_flags::mem_threadgroup);

    if (active) {
      // Causal masking matters only on tiles that reach past the threadgroup's first row.
      const bool causal_tile = r.is_causal && k0 + BK - 1 >= r.causal_from;
      threadgroup float* sblock = scores + sg * RB * 8 * SS;  // this simdgroup's score rows

      // S = Q K^T, each block of K^T (a transposed load of the key tile) serving every row block.
      for (int j = 0; j < BK / 8; ++j) {
        metal::simdgroup_float8x8 s[RB];
        for (int rb = 0; rb < RB; ++rb) {
          s[rb] = metal::make_filled_simdgroup_matrix<float, 8, 8>(0.0f);
        }
        for (int d = 0; d < DB; ++d) {
          if (!EXACT && d >= dblocks) {
            break;
          }
          metal::simdgroup_matrix<M, 8, 8> kt;
          metal::simdgroup_load(kt, k_tile + j * 8 * KS + d * 8, KS, ulong2(0, 0), true);
          for (int rb = 0; rb < RB; ++rb) {
            metal::simdgroup_multiply_accumulate(s[rb], qf[rb][d], kt, s[rb]);
          }
        }
        for (int rb = 0; rb < RB; ++rb) {
          metal::simdgroup_store(s[rb], sblock + rb * 8 * SS + j * 8, SS);
        }
      }
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);

      for (int rb = 0; rb < RB; ++rb) {
        threadgroup float* srows = sblock + rb * 8 * SS;
        threadgroup M* prows = (threadgroup M*)srows;  // probabilities over the scores

        // Online softmax over the tile: scale, mask, new row max, weights P written over S.
        const int rr = (sg * RB + rb) * 8 + i;
        const bool real = r.rows_valid || rows.valid(rr);
        const int head = rows.head_of(rr);
        const int row = rows.row_of(rr);
        float values[BK / 4];
        uint attended = 0;  // bit c: the key of step c is attended to
        float tile_max = SDPA_LOWEST;
        for (int c = 0; c < BK / 4; ++c) {
          const int col = ((c + rotate) % (BK / 4)) * 4 + part;
          const int key = k0 + col;
          float sv = srows[i * SS + col] * p.scale;
          if (real && (r.align_k || key < r.k_end) &&
              sdpa_mask_score<T>(sv, mask, p, r.b, head, row, key, r.has_mask, r.mask_kind, causal_tile, bad)) {
            attended |= 1u << c;
            tile_max = metal::max(tile_max, sv);
          }
          values[c] = sv;
        }
        tile_max = metal::max(tile_max, metal::simd_shuffle_xor(tile_max, 1));
        tile_max = metal::max(tile_max, metal::simd_shuffle_xor(tile_max, 2));
        const float new_max = metal::max(row_max[rb], tile_max);
        // Accumulators holding something need rescaling when their row's maximum grew.
        const bool rescale = new_max > row_max[rb] && row_sum[rb] > 0.0f;
        const float correction = sdpa_weight(row_max[rb], new_max);
        float tile_sum = 0.0f;
        for (int c = 0; c < BK / 4; ++c) {
          const float w = (attended >> c) & 1u ? sdpa_weight(values[c], new_max) : 0.0f;
          prows[i * SS + ((c + rotate) % (BK / 4)) * 4 + part] = M(w);
          tile_sum += w;
        }
        tile_sum += metal::simd_shuffle_xor(tile_sum, 1);
        tile_sum += metal::simd_shuffle_xor(tile_sum, 2);
        row_sum[rb] = row_sum[rb] * correction + tile_sum;
        row_max[rb] = new_max;
        if (metal::simd_any(rescale)) {
          if (part == 0) {
            for (int c = 0; c < 8; ++c) {
              slot[i * 8 + c] = c == i ? correction : 0.0f;
            }
          }
          metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
          metal::simdgroup_float8x8 diagonal;
          metal::simdgroup_load(diagonal, slot, 8);
          for (int d = 0; d < DB; ++d) {
            if (EXACT || d < dblocks) {
              metal::simdgroup_multiply(acc[rb][d], diagonal, acc[rb][d]);
            }
          }
        }
        metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
      }

      // O += P V, each block of V serving every row block.
      metal::simdgroup_matrix<M, 8, 8> pf[RB][BK / 8];
      for (int rb = 0; rb < RB; ++rb) {
        for (int j = 0; j < BK / 8; ++j) {
          metal::simdgroup_load(pf[rb][j], (threadgroup M*)(sblock + rb * 8 * SS) + j * 8, SS);
        }
      }
      for (int d = 0; d < DB; ++d) {
        if (!EXACT && d >= dblocks) {
          break;
        }
        for (int j = 0; j < BK / 8; ++j) {
          metal::simdgroup_matrix<M, 8, 8> vf;
          metal::simdgroup_load(vf, v_tile + j * 8 * VS + d * 8, VS);
          for (int rb = 0; rb < RB; ++rb) {
            metal::simdgroup_multiply_accumulate(acc[rb][d], pf[rb][j], vf, acc[rb][d]);
          }
        }
      }
    }
    // The next tile's keys and values replace these once every simdgroup is done with them.
    metal::threadgroup_barrier(metal::mem_flags::mem_threadgroup);
  }
}

// Writes this simdgroup's rows, divided by their sums (zeros for rows that attended to nothing; NaN when the
// threadgroup is poisoned), through its staging tile: lane l writes elements l and l + 32, rows l / 8 and
// l / 8 + 4, whose sums lanes 4r hold.
template <typename T, int DMAX, bool EXACT, int RB, typename Rows>
inline void sdpa_write_rows(thread metal::simdgroup_float8x8 (&acc)[RB][DMAX / 8], thread float (&row_sum)[RB],
                            Rows rows, device T* out, constant SdpaParams& p, int b, bool rows_valid, bool poisoned,
                            threadgroup float* staging, ushort sg, ushort lane) {
  constexpr int DB = DMAX / 8;
  const int head_dim = EXACT ? DMAX : p.head_dim;
  const int dblocks = EXACT ? DB : (p.head_dim + 7) / 8;
  threadgroup float* slot = staging + sg * 64;
  for (int rb = 0; rb < RB; ++rb) {
    const int r0 = (sg * RB + rb) * 8;
    const float inverse = row_sum[rb] == 0.0f ? 0.0f : 1.0f / row_sum[rb];
    const float inverse_lo = metal::simd_shuffle(inverse, (lane / 8) * 4);
    const float inverse_hi = metal::simd_shuffle(inverse, (lane / 8 + 4) * 4);
    for (int d = 0; d < DB; ++d) {
      if (!EXACT && d >= dblocks) {
        break;
      }
      metal::simdgroup_store(acc[rb][d], slot, 8);
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
      for (int e = lane; e < 64; e += 32) {
        const int rr = r0 + e / 8;
        const int col = d * 8 + e % 8;
        if ((rows_valid || rows.valid(rr)) && col < head_dim) {
          const long at = b * p.o_stride[0] + rows.head_of(rr) * p.o_stride[1] + rows.row_of(rr) * p.o_stride[2];
          out[at + col] = poisoned ? sdpa_nan<T>() : T(slot[e] * (e < 32 ? inverse_lo : inverse_hi));
        }
      }
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
    }
  }
}

// Writes this simdgroup's rows unnormalised, with their running max and sum (NaN when the threadgroup is
// poisoned), as one split's partial results for sdpa_decode_reduce: [batch, heads_q, len_q, splits, sdpa_partial_stride(DMAX)].
template <int DMAX, int RB, typename Rows>
inline void sdpa_write_partials(thread metal::simdgroup_float8x8 (&acc)[RB][DMAX / 8], thread float (&row_max)[RB],
                                thread float (&row_sum)[RB], Rows rows, device float* partials,
                                constant SdpaParams& p, int b, int split, int dblocks, bool poisoned,
                                threadgroup float* staging, ushort sg, ushort lane) {
  constexpr int STRIDE = sdpa_partial_stride(DMAX);
  constexpr int DB = DMAX / 8;
  threadgroup float* slot = staging + sg * 64;
  for (int rb = 0; rb < RB; ++rb) {
    const int r0 = (sg * RB + rb) * 8;
    for (int d = 0; d < DB; ++d) {
      if (d >= dblocks) {
        break;
      }
      metal::simdgroup_store(acc[rb][d], slot, 8);
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
      for (int e = lane; e < 64; e += 32) {
        const int rr = r0 + e / 8;
        if (rows.valid(rr)) {
          const long at = ((long(b) * p.heads_q + rows.head_of(rr)) * p.len_q + rows.row_of(rr)) * p.splits + split;
          partials[at * STRIDE + d * 8 + e % 8] = slot[e];
        }
      }
      metal::simdgroup_barrier(metal::mem_flags::mem_threadgroup);
    }
    const int rr = r0 + lane / 4;
    if (lane % 4 == 0 && rows.valid(rr)) {
      const long at = ((long(b) * p.heads_q + rows.head_of(rr)) * p.len_q + rows.row_of(rr)) * p.splits + split;
      partials[at * STRIDE + DMAX] = row_max[rb];
      partials[at * STRIDE + DMAX + 1] = poisoned ? sdpa_nan<float>() : row_sum[rb];
    }
  }
}

// Whether any thread of the threadgroup passes true. Every thread calls it; `votes` holds one uint per
// simdgroup.
template <int SIMDGROUPS>
inline bool sdpa_threadgroup_any(bool x, threadgroup uint* votes, ushort sg, ushort lane) {
  const bool mine = metal::simd_any(x);
  if (lane == 0) {
    votes[sg] = mine ? 1u : 0u;
  }
  metal::threadgroup_barrier(metal::mem_flags::mem_threadgroup);
  bool any = false;
  for (int i = 0; i < SIMDGROUPS; ++i) {
    any = any || votes[i] != 0;
  }
  return any;
}
