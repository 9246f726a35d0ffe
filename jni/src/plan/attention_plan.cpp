#include "plan/attention_plan.h"

#include <algorithm>
#include <stdexcept>

namespace djl_metal::plan {
namespace {

using kernel::AttentionGeometry;
using kernel::Element;
using kernel::MaskKind;

const char* element_name(Element e) {
  switch (e) {
    case Element::kFloat32: return "float";
    case Element::kFloat16: return "half";
    case Element::kBFloat16: return "bfloat";
  }
  return "";
}

int64_t round_up8(int64_t d) { return (d + 7) / 8 * 8; }

// Smallest capacity of the generic variants that holds the head dim.
int generic_capacity(int64_t head_dim) {
  for (int dmax : {32, 64, 128, 256}) {
    if (round_up8(head_dim) <= dmax) return dmax;
  }
  throw std::invalid_argument("head dim " + std::to_string(head_dim) + " is above 256");
}

bool is_fast_head_dim(int64_t d) { return d == 64 || d == 80 || d == 96 || d == 128 || d == 256; }

SdpaParams params_of(const AttentionGeometry& g, const OutputStrides& out) {
  SdpaParams p{};
  for (int i = 0; i < 3; ++i) {
    p.q_stride[i] = g.q_stride[i];
    p.k_stride[i] = g.k_stride[i];
    p.v_stride[i] = g.v_stride[i];
  }
  p.o_stride[0] = out.batch;
  p.o_stride[1] = out.head;
  p.o_stride[2] = out.row;
  for (int i = 0; i < 4; ++i) p.mask_stride[i] = g.mask_stride[i];
  p.batch = static_cast<sdpa_int>(g.batch);
  p.heads_q = static_cast<sdpa_int>(g.heads_q);
  p.heads_kv = static_cast<sdpa_int>(g.heads_kv);
  p.len_q = static_cast<sdpa_int>(g.len_q);
  p.len_k = static_cast<sdpa_int>(g.len_k);
  p.head_dim = static_cast<sdpa_int>(g.head_dim);
  p.group = static_cast<sdpa_int>(g.heads_q / g.heads_kv);
  p.splits = 1;
  p.keys_per_split = static_cast<sdpa_int>(g.len_k);
  p.scale = static_cast<float>(g.scale);
  return p;
}

void add_mask_constants(const AttentionGeometry& g, std::vector<Constant>* constants) {
  const bool has_mask = g.mask != MaskKind::kNone;
  const int kind = g.mask == MaskKind::kAddFloat32   ? SDPA_MASK_ADD_FLOAT32
                   : g.mask == MaskKind::kAddElement ? SDPA_MASK_ADD_ELEMENT
                                                     : SDPA_MASK_BOOL;
  constants->push_back({SDPA_FC_HAS_MASK, true, has_mask});
  constants->push_back({SDPA_FC_MASK_KIND, false, kind});
  constants->push_back({SDPA_FC_CAUSAL, true, g.is_causal});
  constants->push_back({SDPA_FC_FLAGS, true, g.report_non_finite});
}

std::vector<Binding> inputs(const AttentionGeometry& g) {
  std::vector<Binding> b = {{SDPA_BUFFER_Q, Operand::kQuery},
                            {SDPA_BUFFER_K, Operand::kKey},
                            {SDPA_BUFFER_V, Operand::kValue},
                            {SDPA_BUFFER_OUT, Operand::kOutput}};
  if (g.mask != MaskKind::kNone) b.push_back({SDPA_BUFFER_MASK, Operand::kMask});
  if (g.report_non_finite) b.push_back({SDPA_BUFFER_FLAGS, Operand::kFlags});
  return b;
}

uint64_t flags_bytes(const AttentionGeometry& g, const Dispatch& d) {
  return g.report_non_finite ? uint64_t{d.threadgroups.x} * d.threadgroups.y * d.threadgroups.z * sizeof(uint32_t) : 0;
}

uint32_t u32(int64_t v) { return static_cast<uint32_t>(v); }

// Head-dim capacity of a kernel variant, and its name: "<kernel>_<type>_d<D>" for the fast head dims,
// "<kernel>_<type>_upto<capacity>" for the rest.
struct Variant {
  int dmax;
  std::string name;
};

Variant variant(const char* kernel, const AttentionGeometry& g) {
  const bool exact = is_fast_head_dim(g.head_dim);
  const int dmax = exact ? static_cast<int>(g.head_dim) : generic_capacity(g.head_dim);
  return {dmax, std::string(kernel) + "_" + element_name(g.element) + (exact ? "_d" : "_upto") + std::to_string(dmax)};
}

int staged_bytes(const AttentionGeometry& g) {
  return sdpa_staged_bytes(element_bytes(g.element), g.element == Element::kBFloat16);
}

Plan prefill(const AttentionGeometry& g, const OutputStrides& out) {
  const Variant v = variant("sdpa_prefill", g);
  const int dmax = v.dmax;
  const int block_q = sdpa_prefill_block_q(dmax);
  Dispatch d;
  d.library = "sdpa_prefill";
  d.kernel = v.name;
  add_mask_constants(g, &d.constants);
  d.constants.push_back({SDPA_FC_ALIGN_Q, true, g.len_q % block_q == 0});
  d.constants.push_back({SDPA_FC_ALIGN_K, true, g.len_k % sdpa_prefill_block_k(dmax, staged_bytes(g)) == 0});
  d.buffers = inputs(g);
  d.params = params_of(g, out);
  d.threadgroups = {u32((g.len_q + block_q - 1) / block_q), u32(g.heads_q), u32(g.batch)};
  d.threads = {32 * SDPA_SIMDGROUPS, 1, 1};
  d.threadgroup_bytes = sdpa_attend_threadgroup_bytes(dmax, staged_bytes(g), block_q);
  Plan plan;
  plan.dispatches.push_back(d);
  plan.flags_bytes = flags_bytes(g, d);
  return plan;
}

// Decode splits: enough threadgroups for several waves of two per GPU core, each split at least a few tiles.
constexpr int64_t kWaves = 4;
constexpr int64_t kThreadgroupsPerCore = 2;
constexpr int64_t kMinKeysPerSplit = 64;
constexpr int64_t kMaxSplits = 64;

Plan decode(const AttentionGeometry& g, const OutputStrides& out, const DeviceShape& device) {
  const Variant v = variant("sdpa_decode", g);
  const int dmax = v.dmax;
  const int64_t group = g.heads_q / g.heads_kv;
  const int64_t row_blocks = (group * g.len_q + SDPA_DECODE_ROWS - 1) / SDPA_DECODE_ROWS;
  // Under top-left causal masking no query row sees a key at or past len_q: no split is launched there.
  const int64_t visible = g.is_causal ? std::min(g.len_k, g.len_q) : g.len_k;
  const int64_t others = g.batch * g.heads_kv * row_blocks;
  const int64_t wanted = (kWaves * kThreadgroupsPerCore * device.gpu_cores + others - 1) / others;
  const int64_t most = std::max<int64_t>(1, std::min(kMaxSplits, visible / kMinKeysPerSplit));
  const int64_t count = std::clamp<int64_t>(wanted, 1, most);
  const int64_t keys_per_split = std::max<int64_t>(1, (visible + count - 1) / count);
  // Recounted, so that no split is left without keys.
  const int64_t splits = std::max<int64_t>(1, (visible + keys_per_split - 1) / keys_per_split);
  Dispatch d;
  d.library = "sdpa_decode";
  d.kernel = v.name;
  add_mask_constants(g, &d.constants);
  d.constants.push_back({SDPA_FC_SPLIT, true, splits > 1});
  d.buffers = inputs(g);
  d.params = params_of(g, out);
  d.params.splits = static_cast<sdpa_int>(splits);
  d.params.keys_per_split = static_cast<sdpa_int>(keys_per_split);
  d.threadgroups = {u32(splits), u32(row_blocks), u32(g.batch * g.heads_kv)};
  d.threads = {32 * SDPA_SIMDGROUPS, 1, 1};
  d.threadgroup_bytes = sdpa_attend_threadgroup_bytes(dmax, staged_bytes(g), SDPA_DECODE_ROWS);
  Plan plan;
  if (splits > 1) {
    d.buffers.push_back({SDPA_BUFFER_PARTIALS, Operand::kPartials});
    plan.partials_bytes = static_cast<uint64_t>(g.batch * g.heads_q * g.len_q * splits) * sdpa_partial_stride(dmax) * 4;
  }
  plan.dispatches.push_back(d);
  plan.flags_bytes = flags_bytes(g, d);
  if (splits > 1) {
    Dispatch r;
    r.library = d.library;
    // The reduction depends only on the capacity, which sizes the partials.
    r.kernel = std::string("sdpa_decode_reduce_") + element_name(g.element) + "_upto" + std::to_string(dmax);
    r.buffers = {{SDPA_BUFFER_PARTIALS, Operand::kPartials}, {SDPA_BUFFER_OUT, Operand::kOutput}};
    r.params = d.params;
    r.threadgroups = {1, u32(g.len_q), u32(g.batch * g.heads_q)};
    r.threads = {32, 1, 1};
    plan.dispatches.push_back(r);
  }
  return plan;
}

}  // namespace

std::string Dispatch::pipeline_key() const {
  std::string key = kernel;
  for (const Constant& c : constants) key += "|" + std::to_string(c.index) + "=" + std::to_string(c.value);
  return key;
}

OutputStrides kernel_output_strides(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
  switch (sizes.size()) {
    case 4: return {strides[0], strides[1], strides[2]};
    case 3: return {0, strides[0], strides[1]};
    default: return {0, 0, strides[0]};
  }
}

Plan plan_attention(const kernel::AttentionGeometry& g, const OutputStrides& out, const DeviceShape& device) {
  return g.len_q <= kDecodeMaxRows ? decode(g, out, device) : prefill(g, out);
}

}  // namespace djl_metal::plan
