#include "backend/kernel_support.h"

#include <cmath>

namespace djl_metal::backend {
namespace {

// Batch and head dims of a rank-2..4 tensor, viewed as 4-D: [L, D] -> [1, 1, L, D], [N, L, D] -> [1, N, L, D].
struct Lead {
  int64_t batch, heads, batch_stride, head_stride;
};

Lead lead_of(const torch::TensorInfo& t) {
  switch (t.dim()) {
    case 4: return {t.sizes[0], t.sizes[1], t.strides[0], t.strides[1]};
    case 3: return {1, t.sizes[0], 0, t.strides[0]};
    default: return {1, 1, 0, 0};
  }
}

// Key/value batch follows query batch or broadcasts (size 1 -> stride 0).
bool fit_batch(const Lead& q, Lead& kv) {
  if (kv.batch == q.batch) return true;
  if (kv.batch != 1) return false;
  kv.batch_stride = 0;
  return true;
}

}  // namespace

call::Reason kernel_support(const call::CallFacts& f, kernel::AttentionGeometry* out) {
  using call::Reason;
  using kernel::Element;
  using kernel::MaskKind;
  const torch::Shim& s = torch::shim();
  const int32_t dt = f.q.dtype;
  if (dt != s.dtype_float32 && dt != s.dtype_float16 && dt != s.dtype_bfloat16) return Reason::kDtype;
  if (f.is_causal && f.mask) return Reason::kCausalMask;
  const int64_t rank = f.q.dim();
  if (rank > 4 || f.k.dim() != rank || f.v.dim() != rank) return Reason::kShape;

  kernel::AttentionGeometry g;
  g.head_dim = f.q.size(-1);
  if (f.v.size(-1) != g.head_dim || g.head_dim < 1 || g.head_dim > kernel::kMaxHeadDim) return Reason::kHeadDim;

  const Lead q = lead_of(f.q);
  Lead k = lead_of(f.k), v = lead_of(f.v);
  // No key/value heads: nothing to divide the query heads by (the query's own sizes are checked below).
  if (k.heads <= 0 || v.heads <= 0) return Reason::kSize;
  if (k.heads != v.heads) return Reason::kShape;
  if (!fit_batch(q, k) || !fit_batch(q, v)) return Reason::kShape;
  // Key/value heads equal, broadcast (1) or grouped; validation already rejected non-dividing groups.
  if (q.heads % k.heads != 0 || (k.heads != q.heads && k.heads != 1 && !f.enable_gqa)) return Reason::kShape;

  g.batch = q.batch;
  g.heads_q = q.heads;
  g.heads_kv = k.heads;
  g.len_q = f.q.size(-2);
  g.len_k = f.k.size(-2);
  const int64_t dims[] = {g.batch, g.heads_q, g.len_q, g.len_k};
  for (int64_t d : dims) {
    if (d <= 0 || d > kernel::kMaxSize) return Reason::kSize;
  }
  // A head dim of 1 has no step to take along it.
  if (g.head_dim > 1 && (f.q.stride(-1) != 1 || f.k.stride(-1) != 1 || f.v.stride(-1) != 1)) return Reason::kLayout;
  // Kernels read storage through data pointers; a tensor without one (not dense strided memory) cannot go there.
  if (!f.q.data || !f.k.data || !f.v.data || (f.mask && !f.mask->data)) return Reason::kLayout;
  g.q_stride[0] = q.batch_stride, g.q_stride[1] = q.head_stride, g.q_stride[2] = f.q.stride(-2);
  g.k_stride[0] = k.batch_stride, g.k_stride[1] = k.head_stride, g.k_stride[2] = f.k.stride(-2);
  g.v_stride[0] = v.batch_stride, g.v_stride[1] = v.head_stride, g.v_stride[2] = f.v.stride(-2);

  if (f.mask) {
    const torch::TensorInfo& m = *f.mask;
    // PyTorch's answer to a mask of rank 0 or 1 depends on its own backend choice (an error on its flash path).
    if (m.dim() < 2) return Reason::kShape;
    // Right-align the mask against [batch, heads, Lq, Lk]; validation guarantees rank <= 4 here and that each
    // dim is 1 or the target.
    const int64_t target[4] = {g.batch, g.heads_q, g.len_q, g.len_k};
    for (int i = 0; i < 4; ++i) {
      const int64_t md = i - (4 - m.dim());
      g.mask_stride[i] = (md < 0 || m.sizes[md] == 1 || target[i] == 1) ? 0 : m.strides[md];
    }
    g.mask = m.dtype == s.dtype_bool       ? MaskKind::kBool
             : m.dtype == s.dtype_float32 ? MaskKind::kAddFloat32
                                          : MaskKind::kAddElement;
  }
  g.element = f.q.dtype == s.dtype_float16    ? Element::kFloat16
              : f.q.dtype == s.dtype_bfloat16 ? Element::kBFloat16
                                              : Element::kFloat32;
  g.is_causal = f.is_causal;
  g.scale = f.scale ? *f.scale : 1.0 / std::sqrt(static_cast<double>(g.head_dim));
  if (!std::isfinite(static_cast<float>(g.scale))) return Reason::kScale;
  // PyTorch's CPU flash kernel sets causally masked scores to -inf before it scales them: a scale of 0 or below
  // turns them into NaN (0 * -inf) or +inf, and PyTorch returns NaN rows where the kernels would not.
  if (g.is_causal && !(g.scale > 0)) return Reason::kScale;
  *out = g;
  return Reason::kNone;
}

}  // namespace djl_metal::backend
