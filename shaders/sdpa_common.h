// Helpers shared by the SDPA kernels (plain functions only: attributes live in the .metal files).
#pragma once

#include <metal_stdlib>

#include "sdpa_params.h"

// The score of query row `row` for key `key` after PyTorch's masking: causal is aligned top-left (row i
// sees keys j <= i); a boolean mask keeps the keys where it is true; an additive mask is added.
// Returns -INFINITY for a key that is masked out.
template <typename T>
inline float sdpa_masked_score(float score, const device uchar* mask, constant SdpaParams& p, int b, int h, int row,
                               int key, bool has_mask, int mask_kind, bool causal) {
  if (causal && key > row) {
    return -INFINITY;
  }
  if (has_mask) {
    const long i = b * p.mask_stride[0] + h * p.mask_stride[1] + row * p.mask_stride[2] + key * p.mask_stride[3];
    if (mask_kind == SDPA_MASK_BOOL) {
      if (mask[i] == 0) {
        return -INFINITY;
      }
    } else if (mask_kind == SDPA_MASK_ADD_FLOAT32) {
      score += ((const device float*)mask)[i];
    } else {
      score += float(((const device T*)mask)[i]);
    }
  }
  return score;
}

// exp(x - m) for the online softmax, defined as 0 where x is -inf (a masked key, or a row with none left).
inline float sdpa_weight(float x, float m) {
  return x == -INFINITY ? 0.0f : metal::exp(x - m);
}
