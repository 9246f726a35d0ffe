// Helpers shared by the SDPA kernels (plain functions only: attributes live in the .metal files).
//
// No infinity or NaN ever enters the kernels' arithmetic: Metal compiles with fast math unless told
// otherwise, which lets the compiler assume that no value is infinite and fold tests for it away. A
// masked-out key is therefore a flag, not a -inf score; an additive mask's -inf entries are recognised by
// their bits before any arithmetic; running maxima start at the lowest finite float; exponent arguments
// are clamped. Rows with no key left then have a zero sum, and come out as zeros, as in PyTorch.
#pragma once

#include <metal_stdlib>

#include "sdpa_params.h"

// Lowest finite float: the running maximum of a row that has seen no key yet.
#define SDPA_LOWEST (-3.40282347e38f)

inline bool sdpa_is_neg_inf(float x) { return metal::as_type<uint>(x) == 0xff800000u; }
inline bool sdpa_is_neg_inf(half x) { return metal::as_type<ushort>(x) == 0xfc00u; }
inline bool sdpa_is_neg_inf(bfloat x) { return metal::as_type<ushort>(x) == 0xff80u; }

// Whether a value is a NaN or an infinity, read from its bits (fast math may fold isnan and isinf away).
inline bool sdpa_non_finite(float x) { return (metal::as_type<uint>(x) & 0x7f800000u) == 0x7f800000u; }
inline bool sdpa_non_finite(half x) { return (metal::as_type<ushort>(x) & 0x7c00u) == 0x7c00u; }
inline bool sdpa_non_finite(bfloat x) { return (metal::as_type<ushort>(x) & 0x7f80u) == 0x7f80u; }

// A quiet NaN of each type, made from its bits, for rows that read a NaN or an infinity.
template <typename T>
inline T sdpa_nan();
template <>
inline float sdpa_nan<float>() { return metal::as_type<float>(0x7fc00000u); }
template <>
inline half sdpa_nan<half>() { return metal::as_type<half>(ushort(0x7e00)); }
template <>
inline bfloat sdpa_nan<bfloat>() { return metal::as_type<bfloat>(ushort(0x7fc0)); }

// PyTorch's masking of the score of query row `row` for key `key`: causal is aligned top-left (row i sees
// keys j <= i); a boolean mask keeps the keys where it is true; an additive mask is added to `score`.
// Returns whether the key is attended to. An additive entry that is NaN or +infinity sets `bad` and keeps
// the key out of the arithmetic.
template <typename T>
inline bool sdpa_mask_score(thread float& score, const device uchar* mask, constant SdpaParams& p, int b, int h,
                            int row, int key, bool has_mask, int mask_kind, bool causal, thread bool& bad) {
  if (causal && key > row) {
    return false;
  }
  if (has_mask) {
    const long i = b * p.mask_stride[0] + h * p.mask_stride[1] + row * p.mask_stride[2] + key * p.mask_stride[3];
    if (mask_kind == SDPA_MASK_BOOL) {
      return mask[i] != 0;
    }
    if (mask_kind == SDPA_MASK_ADD_FLOAT32) {
      const float m = ((const device float*)mask)[i];
      if (sdpa_non_finite(m)) {
        bad = bad || !sdpa_is_neg_inf(m);
        return false;
      }
      score += m;
    } else {
      const T m = ((const device T*)mask)[i];
      if (sdpa_non_finite(m)) {
        bad = bad || !sdpa_is_neg_inf(m);
        return false;
      }
      score += float(m);
    }
  }
  return true;
}

// exp(x - m) for the online softmax, with x <= m. Below e^-87 a weight is no longer a normal float; the
// clamp also keeps a difference with SDPA_LOWEST (beyond any exponent's range) out of exp.
inline float sdpa_weight(float x, float m) { return metal::exp(metal::max(x - m, -87.0f)); }
