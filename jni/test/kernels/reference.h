// Independent float64 reference for scaled dot-product attention, written from PyTorch's definition and
// sharing no code with the kernels: inputs are widened to double exactly, scores, softmax and the weighted
// sum are computed in double, rows with no key to attend to give zeros (as PyTorch 2.5+ does). NaN and
// infinities propagate as IEEE arithmetic has them, through every key a row may see: a masked key's zero
// weight times an infinite value is NaN, as in PyTorch; keys past a row under causal masking are not in its
// sum (the kernels' rule: they never read them, and the backends test the rows no row may see on the host);
// a row whose scores are all NaN has no maximum and comes out
// as zeros, as from PyTorch's CPU flash kernel.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernel/contract.h"

namespace reference {

using djl_metal::kernel::AttentionGeometry;
using djl_metal::kernel::Element;
using djl_metal::kernel::MaskKind;

// IEEE binary16 bits to double (exact).
inline double from_half(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  double magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<double>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<double>(mantissa | 0x400), exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

// bfloat16 bits to double (exact): the upper half of a float32.
inline double from_bfloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

inline double load(const void* base, int64_t index, Element element) {
  switch (element) {
    case Element::kFloat32: return static_cast<const float*>(base)[index];
    case Element::kFloat16: return from_half(static_cast<const uint16_t*>(base)[index]);
    case Element::kBFloat16: return from_bfloat(static_cast<const uint16_t*>(base)[index]);
  }
  return 0;
}

// Output [batch, heads_q, len_q, head_dim], contiguous, in double.
inline std::vector<double> sdpa(const AttentionGeometry& g, const void* q, const void* k, const void* v,
                                const void* mask) {
  const double neg_inf = -std::numeric_limits<double>::infinity();
  const int64_t group = g.heads_q / g.heads_kv;
  std::vector<double> out(static_cast<size_t>(g.batch * g.heads_q * g.len_q * g.head_dim), 0.0);
  std::vector<double> scores(static_cast<size_t>(g.len_k));
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t h = 0; h < g.heads_q; ++h) {
      const int64_t hk = h / group;
      const int64_t q_base = b * g.q_stride[0] + h * g.q_stride[1];
      const int64_t k_base = b * g.k_stride[0] + hk * g.k_stride[1];
      const int64_t v_base = b * g.v_stride[0] + hk * g.v_stride[1];
      for (int64_t i = 0; i < g.len_q; ++i) {
        double max = neg_inf;
        for (int64_t j = 0; j < g.len_k; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < g.head_dim; ++d) {
            dot += load(q, q_base + i * g.q_stride[2] + d, g.element) *
                   load(k, k_base + j * g.k_stride[2] + d, g.element);
          }
          double s = dot * g.scale;
          if (g.mask != MaskKind::kNone) {
            const int64_t m = b * g.mask_stride[0] + h * g.mask_stride[1] + i * g.mask_stride[2] + j * g.mask_stride[3];
            if (g.mask == MaskKind::kBool) {
              if (!static_cast<const bool*>(mask)[m]) s = neg_inf;
            } else {
              s += load(mask, m, g.mask == MaskKind::kAddFloat32 ? Element::kFloat32 : g.element);
            }
          }
          if (g.is_causal && j > i) s = neg_inf;
          scores[j] = s;
          if (s > max) max = s;
        }
        double* o = &out[static_cast<size_t>(((b * g.heads_q + h) * g.len_q + i) * g.head_dim)];
        if (max == neg_inf) continue;  // nothing to attend to: zeros
        double sum = 0;
        for (int64_t j = 0; j < g.len_k; ++j) {
          scores[j] = std::exp(scores[j] - max);
          sum += scores[j];
        }
        for (int64_t j = 0; j < g.len_k; ++j) {
          if (g.is_causal && j > i) break;
          const double p = scores[j] / sum;
          for (int64_t d = 0; d < g.head_dim; ++d) o[d] += p * load(v, v_base + j * g.v_stride[2] + d, g.element);
        }
      }
    }
  }
  return out;
}

}  // namespace reference
