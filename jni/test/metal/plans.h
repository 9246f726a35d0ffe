// Launch plans for contiguous attention calls, for the Metal adapter's tests (fake and real device alike).
#pragma once

#include <cmath>
#include <cstdint>

#include "plan/attention_plan.h"

namespace test_plans {

// Contiguous [b, h, l, d] query, key and value.
inline djl_metal::kernel::AttentionGeometry geometry_for(int64_t b, int64_t h, int64_t lq, int64_t lk, int64_t d) {
  djl_metal::kernel::AttentionGeometry g;
  g.batch = b, g.heads_q = h, g.heads_kv = h, g.len_q = lq, g.len_k = lk, g.head_dim = d;
  g.q_stride[0] = h * lq * d, g.q_stride[1] = lq * d, g.q_stride[2] = d;
  g.k_stride[0] = g.v_stride[0] = h * lk * d, g.k_stride[1] = g.v_stride[1] = lk * d, g.k_stride[2] = g.v_stride[2] = d;
  g.scale = 1.0 / std::sqrt(static_cast<double>(d));
  return g;
}

inline djl_metal::plan::Plan plan_for(int64_t b, int64_t h, int64_t lq, int64_t lk, int64_t d) {
  return djl_metal::plan::plan_attention(geometry_for(b, h, lq, lk, d), {h * lq * d, lq * d, d});
}

}  // namespace test_plans
