// The shape of one attention call as the kernels see it: [batch, heads, length, head_dim] views with
// element strides, broadcast dimensions at stride 0, and key/value heads shared by groups of query heads.
#pragma once

#include <cstdint>

#include "router/call.h"
#include "router/reason.h"

namespace djl_metal::router {

// Element type of query, key, value and output.
enum class Element : int { kFloat32, kFloat16, kBFloat16 };

// How attn_mask enters the scores: none, boolean (true = attend), or added (float32 or the input type).
enum class MaskKind : int { kNone, kBool, kAddFloat32, kAddElement };

// Memory order of the result, as PyTorch's own CPU kernel would leave it: its flash attention allocates
// empty_like(query) (a transposed [B, L, H, D] query gives a transposed result), its math kernel a
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
  OutputLayout output = OutputLayout::kContiguous;  // set by the router from PyTorch's kernel choice
};

// Maps a validated call onto AttentionGeometry, or says which reason keeps it off the kernels.
Reason describe_geometry(const CallFacts& facts, AttentionGeometry* out);

}  // namespace djl_metal::router
