// The kernel contract: what the kernels in shaders/ compute, described as plain data that the plan, the
// encoders and every backend share. An attention call is a set of [batch, heads, length, head_dim] views
// with element strides, broadcast dimensions at stride 0, and key/value heads shared by groups of query
// heads. The argument block, buffer and function-constant indices and tile sizes live in shaders/sdpa_params.h,
// which the kernels include too.
#pragma once

#include <cstdint>

#include "sdpa_params.h"

namespace djl_metal::kernel {

// Largest head dim the kernels take (the widest variant, upto256 / d256).
constexpr int64_t kMaxHeadDim = 256;

// Sizes and element strides must fit the kernels' 32-bit sizes (sdpa_int).
constexpr int64_t kMaxSize = INT32_MAX;

// Element type of query, key, value and output.
enum class Element : int { kFloat32, kFloat16, kBFloat16 };

// How attn_mask enters the scores: none, boolean (true = attend), or added (float32 or the input type).
enum class MaskKind : int { kNone, kBool, kAddFloat32, kAddElement };

// Memory order of the result, as PyTorch's own kernel would leave it: its CPU flash attention allocates
// empty_like(query) (a transposed [B, L, H, D] query gives a transposed result), its math kernels a
// contiguous tensor. Matching it keeps later views (view, reshape without copy) behaving as under PyTorch.
enum class OutputLayout : int { kContiguous, kLikeQuery };

struct AttentionGeometry {
  int64_t batch = 0, heads_q = 0, heads_kv = 0, len_q = 0, len_k = 0, head_dim = 0;
  // Element strides of batch, head and row; the last dimension is contiguous.
  int64_t q_stride[3] = {}, k_stride[3] = {}, v_stride[3] = {};
  Element element = Element::kFloat32;
  MaskKind mask = MaskKind::kNone;
  int64_t mask_stride[4] = {};  // batch, head, row, column; 0 where the mask broadcasts
  bool is_causal = false;       // top-left aligned: query i sees keys j <= i
  double scale = 0.0;           // resolved: the call's scale or 1/sqrt(head_dim)
  OutputLayout output = OutputLayout::kContiguous;  // chosen by the router from PyTorch's kernel choice
  // Each threadgroup reports in a flag whether it read a NaN or an infinity (SDPA_FC_FLAGS), for backends that
  // read the flags after the run and hand such calls to PyTorch. The kernels poison those rows either way.
  bool report_non_finite = false;
};

// Bytes of one element.
constexpr int element_bytes(Element e) { return e == Element::kFloat32 ? 4 : 2; }

// Bytes of one mask element.
constexpr int mask_element_bytes(MaskKind m, Element e) {
  return m == MaskKind::kBool ? 1 : m == MaskKind::kAddFloat32 ? 4 : element_bytes(e);
}

// Multiply-adds of the two products, times two: 4 * B * H * Lq * Lk * D (causal masking not discounted).
inline double flops(const AttentionGeometry& g) {
  return 4.0 * static_cast<double>(g.batch) * static_cast<double>(g.heads_q) * static_cast<double>(g.len_q) *
         static_cast<double>(g.len_k) * static_cast<double>(g.head_dim);
}

}  // namespace djl_metal::kernel
