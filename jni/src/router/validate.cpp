#include "router/validate.h"

#include <algorithm>
#include <sstream>

namespace djl_metal::router {
namespace {

std::string device_name(const torch::TensorInfo& t) {
  const torch::Shim& s = torch::shim();
  const std::string type = t.device_type == s.device_cpu   ? "cpu"
                           : t.device_type == s.device_mps ? "mps"
                                                           : "device" + std::to_string(t.device_type);
  return t.device_index >= 0 && type != "cpu" ? type + ":" + std::to_string(t.device_index) : type;
}

// NumPy broadcasting of two shapes; false when they do not broadcast.
bool broadcast(const torch::Dims& a, const torch::Dims& b, torch::Dims* out) {
  const size_t n = std::max(a.size(), b.size());
  torch::Dims r;
  r.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t x = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t y = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (x != y && x != 1 && y != 1) return false;
    r[i] = x == 1 ? y : x;
  }
  *out = r;
  return true;
}

torch::Dims batch_dims(const torch::TensorInfo& t) { return {t.sizes.begin(), t.sizes.end() - 2}; }

}  // namespace

std::string validate(const call::CallFacts& f) {
  const auto& q = f.q;
  const auto& k = f.k;
  const auto& v = f.v;
  // Built only on failure: a stream costs more to construct than every check of a valid call together.
  auto error = [](auto&&... parts) {
    std::ostringstream msg;
    (msg << ... << parts);
    return msg.str();
  };
  // The first four checks and their wording are PyTorch's own (attention.cpp, validate_sdpa_input).
  if (q.dtype != k.dtype || q.dtype != v.dtype) {
    return error("Expected query, key, and value to have the same dtype, but got query.dtype: ",
                 torch::dtype_name(q.dtype), " key.dtype: ", torch::dtype_name(k.dtype),
                 " and value.dtype: ", torch::dtype_name(v.dtype), " instead.");
  }
  if (q.device_type != k.device_type || q.device_type != v.device_type || q.device_index != k.device_index ||
      q.device_index != v.device_index) {
    return error("Expected query, key, and value to have the same device type, but got query.device: ",
                 device_name(q), " key.device: ", device_name(k), " and value.device: ", device_name(v), " instead.");
  }
  if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) {
    return error("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: ", q.dim(),
                 " key.dim: ", k.dim(), " and value.dim: ", v.dim(), " instead.");
  }
  const torch::Shim& s = torch::shim();
  // Integer and boolean inputs fail deep inside PyTorch's kernels (a matmul or softmax of the wrong type).
  if (q.dtype != s.dtype_float16 && q.dtype != s.dtype_bfloat16 && q.dtype != s.dtype_float32 &&
      q.dtype != s.dtype_float64) {
    const std::string name = torch::dtype_name(q.dtype);
    if (name == "bool" || name.rfind("int", 0) == 0 || name.rfind("uint", 0) == 0) {
      return error("scaled_dot_product_attention: query, key and value must be floating point, but got ", name);
    }
  }
  // PyTorch's dropout message; on its flash path PyTorch would instead say it does not support dropout > 0.
  // NaN too: PyTorch's SDPA would skip dropout for it (its test is dropout_p > 0) and compute a plausible result.
  if (!(f.dropout_p >= 0.0 && f.dropout_p <= 1.0)) {
    return error("dropout probability has to be between 0 and 1, but got ", f.dropout_p);
  }
  if (f.mask) {
    const int32_t md = f.mask->dtype;
    if (md != s.dtype_bool && md != s.dtype_float32 && md != q.dtype) {
      return error("Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: ",
                   torch::dtype_name(md), " and  query.dtype: ", torch::dtype_name(q.dtype), " instead.");
    }
  }

  // PyTorch raises the rest from inside its sub-operators; these say the same more plainly.
  if (k.size(-1) != q.size(-1)) {
    return error("scaled_dot_product_attention: query and key must have the same head dimension (last dimension), "
                 "but got query ",
                 q.shape_string(), " and key ", k.shape_string());
  }
  if (v.size(-2) != k.size(-2)) {
    return error("scaled_dot_product_attention: key and value must have the same sequence length (dimension -2), "
                 "but got key ",
                 k.shape_string(), " and value ", v.shape_string());
  }
  torch::Dims kb = batch_dims(k), vb = batch_dims(v);
  if (f.enable_gqa) {
    // Grouped heads live in dimension -3; PyTorch indexes it even for 2-D inputs.
    if (q.dim() < 3 || k.dim() < 3 || v.dim() < 3) {
      return std::string("Dimension out of range (expected to be in range of [-2, 1], but got -3)");
    }
    // PyTorch divides by the key/value heads here and dies of SIGFPE when there are none.
    const int64_t hq = q.size(-3), hk = k.size(-3), hv = v.size(-3);
    if ((hk == 0 || hv == 0) && hq != 0) {
      return error("scaled_dot_product_attention: enable_gqa=True with key ", k.shape_string(), " and value ",
                   v.shape_string(), " having no heads for the ", hq, " heads of query");
    }
    if ((hk != 0 && hq % hk != 0) || (hv != 0 && hq % hv != 0)) {
      return "Number of heads in key and value must divide the number of heads in query";
    }
    kb.back() = q.size(-3);  // after repeat_interleave
    vb.back() = q.size(-3);
  }
  torch::Dims scores_batch, out_batch;
  if (!broadcast(batch_dims(q), kb, &scores_batch)) {
    return error("scaled_dot_product_attention: the batch dimensions of query ", q.shape_string(), " and key ",
                 k.shape_string(), " do not broadcast",
                 q.dim() >= 3 && k.dim() >= 3 && q.size(-3) != k.size(-3) ? " (for grouped heads pass enable_gqa=True)"
                                                                          : "");
  }
  if (!broadcast(scores_batch, vb, &out_batch)) {
    return error("scaled_dot_product_attention: the batch dimensions of query ", q.shape_string(), " and value ",
                 v.shape_string(), " do not broadcast");
  }
  if (f.mask) {
    // The mask is added in place to the scores, so it must broadcast to exactly their shape.
    torch::Dims scores = scores_batch, merged;
    scores.push_back(q.size(-2));
    scores.push_back(k.size(-2));
    if (!broadcast(scores, f.mask->sizes, &merged) || merged != scores) {
      return error("scaled_dot_product_attention: attn_mask of shape ", f.mask->shape_string(),
                   " does not broadcast to the attention scores' shape ", torch::shape_string(scores));
    }
  }
  return "";
}

}  // namespace djl_metal::router
