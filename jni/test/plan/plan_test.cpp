// The launch plan's decisions, checked against the rules written in shaders/README.md.
#include "check.h"
#include "plan/attention_plan.h"

using djl_metal::plan::Dispatch;
using djl_metal::plan::Operand;
using djl_metal::plan::plan_attention;
using djl_metal::kernel::AttentionGeometry;
using djl_metal::kernel::Element;
using djl_metal::kernel::MaskKind;

namespace {

AttentionGeometry geometry(int64_t b, int64_t hq, int64_t hk, int64_t lq, int64_t lk, int64_t d) {
  AttentionGeometry g;
  g.batch = b, g.heads_q = hq, g.heads_kv = hk, g.len_q = lq, g.len_k = lk, g.head_dim = d;
  g.q_stride[0] = hq * lq * d, g.q_stride[1] = lq * d, g.q_stride[2] = d;
  g.k_stride[0] = g.v_stride[0] = hk * lk * d;
  g.k_stride[1] = g.v_stride[1] = lk * d;
  g.k_stride[2] = g.v_stride[2] = d;
  g.scale = 0.125;
  return g;
}

int constant(const Dispatch& d, uint32_t index) {
  for (const auto& c : d.constants) {
    if (c.index == index) return c.value;
  }
  return -1;
}

bool binds(const Dispatch& d, uint32_t index, Operand operand) {
  for (const auto& b : d.buffers) {
    if (b.index == index) return b.operand == operand;
  }
  return false;
}

const djl_metal::plan::OutputStrides kOut{0, 0, 0};

}  // namespace

TEST(prefill_variants_grid_and_constants) {
  auto g = geometry(2, 8, 2, 100, 64, 128);
  g.element = Element::kFloat16;
  g.mask = MaskKind::kAddFloat32;
  g.is_causal = false;
  auto p = plan_attention(g, kOut);
  CHECK_EQ(p.dispatches.size(), 1u);
  const Dispatch& d = p.dispatches[0];
  CHECK_EQ(d.kernel, "sdpa_prefill_half_d128");
  CHECK_EQ(d.threadgroups.x, 2u);  // ceil(100 / 64): two 8-row blocks per simdgroup at D=128
  CHECK_EQ(d.threadgroups.y, 8u);
  CHECK_EQ(d.threadgroups.z, 2u);
  CHECK_EQ(d.threads.x, 128u);
  CHECK_EQ(constant(d, SDPA_FC_HAS_MASK), 1);
  CHECK_EQ(constant(d, SDPA_FC_MASK_KIND), SDPA_MASK_ADD_FLOAT32);
  CHECK_EQ(constant(d, SDPA_FC_ALIGN_Q), 0);
  CHECK_EQ(constant(d, SDPA_FC_ALIGN_K), 1);  // 64 keys, tiles of 16 (staged rows of 256 bytes)
  // Keys and values (strides 128 + 4, 128 + 8), scores (stride 24), a staging tile and a vote per simdgroup.
  CHECK_EQ(d.threadgroup_bytes, 16u * 132 * 2 + 16u * 136 * 2 + 64u * 24 * 4 + 4u * 64 * 4 + 4u * 4);
  CHECK(binds(d, SDPA_BUFFER_MASK, Operand::kMask));
  CHECK_EQ(d.params.group, 4);
  CHECK_EQ(p.partials_bytes, 0u);
  CHECK_EQ(p.flags_bytes, 0u);
  CHECK_EQ(constant(d, SDPA_FC_FLAGS), 0);
  CHECK(!binds(d, SDPA_BUFFER_FLAGS, Operand::kFlags));
  CHECK(d.threadgroup_bytes <= 32768u);
  CHECK(d.pipeline_key().find("sdpa_prefill_half_d128|") == 0);

  // Backends that read the flags back: one uint32 per threadgroup (2 x 8 x 2).
  g.report_non_finite = true;
  p = plan_attention(g, kOut);
  CHECK_EQ(constant(p.dispatches[0], SDPA_FC_FLAGS), 1);
  CHECK(binds(p.dispatches[0], SDPA_BUFFER_FLAGS, Operand::kFlags));
  CHECK_EQ(p.flags_bytes, 32u * 4);

  g = geometry(1, 1, 1, 9, 9, 48);
  g.element = Element::kBFloat16;
  CHECK_EQ(plan_attention(g, kOut).dispatches[0].kernel, "sdpa_prefill_bfloat_upto64");
  CHECK(!binds(plan_attention(g, kOut).dispatches[0], SDPA_BUFFER_MASK, Operand::kMask));
  g.head_dim = 1;
  CHECK_EQ(plan_attention(g, kOut).dispatches[0].kernel, "sdpa_prefill_bfloat_upto32");
  g.head_dim = 200;
  CHECK_EQ(plan_attention(g, kOut).dispatches[0].kernel, "sdpa_prefill_bfloat_upto256");
}

TEST(decode_and_split_decode) {
  // 8 query heads on one KV head, one row each: one threadgroup per (batch, KV head, split) holds all 8 rows.
  // Splits: 4 waves x 2 threadgroups x 10 cores = 80 wanted over 3 (batch x KV heads), at most 300 / 64 = 4.
  auto g = geometry(3, 8, 1, 1, 300, 128);
  auto p = plan_attention(g, kOut);
  CHECK_EQ(p.dispatches.size(), 2u);
  CHECK_EQ(p.dispatches[0].kernel, "sdpa_decode_float_d128");
  CHECK_EQ(constant(p.dispatches[0], SDPA_FC_SPLIT), 1);
  CHECK_EQ(p.dispatches[0].params.splits, 4);
  CHECK_EQ(p.dispatches[0].params.keys_per_split, 75);
  CHECK_EQ(p.dispatches[0].threadgroups.x, 4u);
  CHECK_EQ(p.dispatches[0].threadgroups.y, 1u);
  CHECK_EQ(p.dispatches[0].threadgroups.z, 3u);

  g = geometry(1, 4, 4, 2, 1100, 48);  // 80 / 4 = 20 wanted, at most 1100 / 64 = 17
  p = plan_attention(g, kOut);
  CHECK_EQ(p.dispatches.size(), 2u);
  CHECK_EQ(p.dispatches[0].params.splits, 17);
  CHECK_EQ(p.dispatches[0].params.keys_per_split, 65);  // ceil(1100 / 17)
  CHECK_EQ(constant(p.dispatches[0], SDPA_FC_SPLIT), 1);
  CHECK(binds(p.dispatches[0], SDPA_BUFFER_PARTIALS, Operand::kPartials));
  CHECK_EQ(p.dispatches[0].kernel, "sdpa_decode_float_upto64");
  CHECK_EQ(p.dispatches[1].kernel, "sdpa_decode_reduce_float_upto64");
  CHECK(binds(p.dispatches[1], SDPA_BUFFER_PARTIALS, Operand::kPartials));
  CHECK_EQ(p.partials_bytes, 1ull * 4 * 2 * 17 * (64 + 2) * sizeof(float));  // batch, heads, rows, splits
  g.report_non_finite = true;  // flags for the 17 x 1 x 4 threadgroups of the first pass only
  p = plan_attention(g, kOut);
  CHECK(binds(p.dispatches[0], SDPA_BUFFER_FLAGS, Operand::kFlags));
  CHECK(!binds(p.dispatches[1], SDPA_BUFFER_FLAGS, Operand::kFlags));
  CHECK_EQ(p.flags_bytes, 17u * 4 * 4);

  g = geometry(1, 2, 2, 1, 600, 80);  // fast head dim: partials sized for exactly 80; 600 / 64 = 9 splits
  p = plan_attention(g, kOut);
  CHECK_EQ(p.dispatches[0].kernel, "sdpa_decode_float_d80");
  CHECK_EQ(p.dispatches[1].kernel, "sdpa_decode_reduce_float_upto80");
  CHECK_EQ(p.partials_bytes, 1ull * 2 * 1 * 9 * (80 + 2) * sizeof(float));

  // GQA 32/8 over 4096 keys: splits fill a 10-core GPU (80 / 8 KV heads) and a 40-core one (320 / 8).
  g = geometry(1, 32, 8, 1, 4096, 128);
  g.element = Element::kFloat16;
  p = plan_attention(g, kOut);
  CHECK_EQ(p.dispatches[0].params.splits, 10);
  CHECK_EQ(p.dispatches[0].threadgroups.z, 8u);
  djl_metal::plan::DeviceShape big;
  big.gpu_cores = 40;
  CHECK_EQ(plan_attention(g, kOut, big).dispatches[0].params.splits, 40);

  // Top-left causal with 2 query rows: no key past the second is visible, so no split is launched there.
  g = geometry(1, 4, 4, 2, 1000, 64);
  g.is_causal = true;
  p = plan_attention(g, kOut);
  CHECK_EQ(p.dispatches.size(), 1u);
  CHECK_EQ(p.dispatches[0].params.splits, 1);
  CHECK_EQ(constant(p.dispatches[0], SDPA_FC_SPLIT), 0);

  // MQA with 8 rows: 32 heads x 8 rows = 256 packed rows, 8 blocks of 32 (each reading the keys again).
  g = geometry(1, 32, 1, 8, 512, 64);
  CHECK_EQ(plan_attention(g, kOut).dispatches[0].threadgroups.y, 8u);

  g = geometry(1, 1, 1, 9, 2000, 64);  // nine query rows: prefill
  CHECK_EQ(plan_attention(g, kOut).dispatches[0].kernel, "sdpa_prefill_float_d64");
}

TEST(kernel_output_strides_by_rank) {
  const auto k4 = djl_metal::plan::kernel_output_strides({2, 8, 10, 64}, {10 * 8 * 64, 64, 8 * 64, 1});
  CHECK_EQ(k4.batch, 10 * 8 * 64);
  CHECK_EQ(k4.head, 64);
  CHECK_EQ(k4.row, 512);
  const auto k3 = djl_metal::plan::kernel_output_strides({6, 5, 8}, {40, 8, 1});
  CHECK_EQ(k3.batch, 0);
  CHECK_EQ(k3.head, 40);
  CHECK_EQ(k3.row, 8);
  const auto k2 = djl_metal::plan::kernel_output_strides({5, 8}, {8, 1});
  CHECK_EQ(k2.batch, 0);
  CHECK_EQ(k2.head, 0);
  CHECK_EQ(k2.row, 8);
}

int main() { return check::run_all(); }
