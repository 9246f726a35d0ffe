// Validation, the kernel contract's support decision and geometry, on hand-made call facts (no libtorch needed).
#include <cmath>

#include "backend/kernel_support.h"
#include "backend/simulator_backend.h"
#include "check.h"
#include "router/breaker.h"
#include "router/validate.h"

using djl_metal::call::CallFacts;
using djl_metal::call::Reason;
using djl_metal::kernel::AttentionGeometry;
using djl_metal::router::validate;
using djl_metal::torch::TensorInfo;

namespace {

// Codes as libtorch 2.7 numbers them; the logic must only compare them, never assume them.
constexpr int32_t kF16 = 5, kF32 = 6, kF64 = 7, kBool = 11, kBF16 = 15, kCpu = 0, kMps = 13;

void install_test_shim() {
  {
    djl_metal::torch::Shim s;
    s.dtype_bool = kBool;
    s.dtype_float16 = kF16;
    s.dtype_bfloat16 = kBF16;
    s.dtype_float32 = kF32;
    s.dtype_float64 = kF64;
    s.device_cpu = kCpu;
    s.dtype_names = {{kBool, "bool"}, {4, "int64"}, {kF16, "float16"}, {kBF16, "bfloat16"}, {kF32, "float32"},
                     {kF64, "float64"}};
    djl_metal::torch::install_shim_for_testing(s);
  }
}

float dummy_storage;

TensorInfo tensor(std::vector<int64_t> sizes, int32_t dtype = kF32, int32_t device = kCpu) {
  TensorInfo t;
  t.sizes = sizes;
  t.strides.resize(sizes.size());
  int64_t stride = 1;
  for (int i = static_cast<int>(sizes.size()) - 1; i >= 0; --i) {
    t.strides[i] = stride;
    stride *= sizes[i];
  }
  t.dtype = dtype;
  t.device_type = device;
  t.data = &dummy_storage;
  return t;
}

// [B, L, H, D] memory viewed as [B, H, L, D], as attention code produces with transpose(1, 2).
TensorInfo transposed(int64_t b, int64_t h, int64_t l, int64_t d) {
  TensorInfo t = tensor({b, h, l, d});
  t.strides = {l * h * d, d, h * d, 1};
  return t;
}

CallFacts call(TensorInfo q, TensorInfo k, TensorInfo v) {
  CallFacts f;
  f.q = std::move(q);
  f.k = std::move(k);
  f.v = std::move(v);
  return f;
}

CallFacts basic() { return call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 8})); }

djl_metal::backend::SimulatorBackend cpu_backend;

Reason reason_of(const CallFacts& f) {
  AttentionGeometry g;
  return cpu_backend.support(f, &g).reason;
}

AttentionGeometry geometry_of(const CallFacts& f) {
  AttentionGeometry g;
  const Reason r = djl_metal::backend::kernel_support(f, &g);
  CHECK(r == Reason::kNone);
  return g;
}

}  // namespace

TEST(validate_accepts_what_pytorch_accepts) {
  CHECK_EQ(validate(basic()), "");
  // 3-D, 2-D and 5-D inputs, broadcast batch, key/value heads of 1, a different value head dim.
  CHECK_EQ(validate(call(tensor({8, 5, 16}), tensor({8, 7, 16}), tensor({8, 7, 16}))), "");
  CHECK_EQ(validate(call(tensor({5, 16}), tensor({7, 16}), tensor({7, 16}))), "");
  CHECK_EQ(validate(call(tensor({1, 2, 4, 5, 8}), tensor({1, 2, 4, 7, 8}), tensor({1, 2, 4, 7, 8}))), "");
  CHECK_EQ(validate(call(tensor({2, 4, 5, 8}), tensor({1, 4, 7, 8}), tensor({1, 4, 7, 8}))), "");
  CHECK_EQ(validate(call(tensor({2, 4, 5, 8}), tensor({2, 1, 7, 8}), tensor({2, 1, 7, 8}))), "");
  CHECK_EQ(validate(call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 6}))), "");
  // Empty sequences are PyTorch's business (it returns empty or zero rows).
  CHECK_EQ(validate(call(tensor({2, 4, 0, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 8}))), "");
  CHECK_EQ(validate(call(tensor({2, 4, 5, 8}), tensor({2, 4, 0, 8}), tensor({2, 4, 0, 8}))), "");
  // Masks: 2-D, padding-style [B, 1, 1, S], float32 with a float16 query, the query's dtype.
  for (const auto& m : {tensor({5, 7}, kBool), tensor({2, 1, 1, 7}, kBool), tensor({4, 5, 7}), tensor({2, 4, 5, 7})}) {
    CallFacts f = basic();
    f.mask = m;
    CHECK_EQ(validate(f), "");
  }
  CallFacts half = call(tensor({2, 4, 5, 8}, kF16), tensor({2, 4, 7, 8}, kF16), tensor({2, 4, 7, 8}, kF16));
  half.mask = tensor({5, 7}, kF32);
  CHECK_EQ(validate(half), "");
  half.mask = tensor({5, 7}, kF16);
  CHECK_EQ(validate(half), "");
  // Grouped heads with enable_gqa.
  CallFacts gqa = call(tensor({2, 8, 5, 8}), tensor({2, 2, 7, 8}), tensor({2, 2, 7, 8}));
  gqa.enable_gqa = true;
  CHECK_EQ(validate(gqa), "");
}

TEST(validate_rejects_with_pytorch_wording) {
  CHECK_EQ(validate(call(tensor({2, 4, 5, 8}, kF16), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 8}))),
           "Expected query, key, and value to have the same dtype, but got query.dtype: float16 key.dtype: float32 "
           "and value.dtype: float32 instead.");
  CHECK_CONTAINS(validate(call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 8}, kF32, kMps), tensor({2, 4, 7, 8}))),
                 "Expected query, key, and value to have the same device type, but got query.device: cpu key.device: mps");
  CHECK_EQ(validate(call(tensor({8}), tensor({2, 8}), tensor({2, 8}))),
           "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 key.dim: 2 and "
           "value.dim: 2 instead.");
  CallFacts f = basic();
  f.mask = tensor({5, 7}, kF64);
  CHECK_EQ(validate(f),
           "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: float64 "
           "and  query.dtype: float32 instead.");
  CallFacts gqa = call(tensor({2, 4, 5, 8}), tensor({2, 3, 7, 8}), tensor({2, 3, 7, 8}));
  gqa.enable_gqa = true;
  CHECK_EQ(validate(gqa), "Number of heads in key and value must divide the number of heads in query");
  CallFacts dropout = basic();
  dropout.dropout_p = 1.5;
  CHECK_EQ(validate(dropout), "dropout probability has to be between 0 and 1, but got 1.5");
  dropout.dropout_p = -0.5;
  CHECK_EQ(validate(dropout), "dropout probability has to be between 0 and 1, but got -0.5");
  dropout.dropout_p = std::nan("");
  CHECK_EQ(validate(dropout), "dropout probability has to be between 0 and 1, but got nan");
}

TEST(validate_never_divides_by_zero_heads) {
  CallFacts none = call(tensor({1, 4, 5, 8}), tensor({1, 0, 7, 8}), tensor({1, 0, 7, 8}));
  none.enable_gqa = true;
  CHECK_CONTAINS(validate(none), "having no heads for the 4 heads of query");
  CallFacts v_none = call(tensor({1, 4, 5, 8}), tensor({1, 2, 7, 8}), tensor({1, 0, 7, 8}));
  v_none.enable_gqa = true;
  CHECK_CONTAINS(validate(v_none), "having no heads");
  CallFacts empty = call(tensor({1, 0, 5, 8}), tensor({1, 0, 7, 8}), tensor({1, 0, 7, 8}));
  empty.enable_gqa = true;
  CHECK_EQ(validate(empty), "");
}

TEST(validate_rejects_integer_inputs) {
  constexpr int32_t kI64 = 4;
  CallFacts ints = call(tensor({2, 4, 5, 8}, kI64), tensor({2, 4, 7, 8}, kI64), tensor({2, 4, 7, 8}, kI64));
  CHECK_EQ(validate(ints), "scaled_dot_product_attention: query, key and value must be floating point, but got int64");
}

TEST(validate_rejects_bad_shapes_clearly) {
  CHECK_CONTAINS(validate(call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 6}), tensor({2, 4, 7, 8}))),
                 "same head dimension");
  CHECK_CONTAINS(validate(call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 6, 8}))),
                 "same sequence length");
  CHECK_CONTAINS(validate(call(tensor({2, 4, 5, 8}), tensor({2, 2, 7, 8}), tensor({2, 2, 7, 8}))),
                 "for grouped heads pass enable_gqa=True");
  CHECK_CONTAINS(validate(call(tensor({2, 4, 5, 8}), tensor({3, 4, 7, 8}), tensor({3, 4, 7, 8}))),
                 "do not broadcast");
  CallFacts gqa2d = call(tensor({5, 8}), tensor({7, 8}), tensor({7, 8}));
  gqa2d.enable_gqa = true;
  CHECK_CONTAINS(validate(gqa2d), "Dimension out of range");
  for (const auto& m : {tensor({5, 6}, kBool), tensor({1, 2, 4, 5, 7}, kBool), tensor({3, 1, 5, 7})}) {
    CallFacts f = basic();
    f.mask = m;
    CHECK_CONTAINS(validate(f), "does not broadcast to the attention scores' shape [2, 4, 5, 7]");
  }
}

TEST(support_reasons) {
  CHECK(reason_of(basic()) == Reason::kNone);
  CHECK(reason_of(call(tensor({2, 4, 5, 8}, kF32, kMps), tensor({2, 4, 7, 8}, kF32, kMps),
                       tensor({2, 4, 7, 8}, kF32, kMps))) == Reason::kDevice);
  CallFacts mask_elsewhere = basic();
  mask_elsewhere.mask = tensor({5, 7}, kBool, kMps);
  CHECK(reason_of(mask_elsewhere) == Reason::kDevice);
  CHECK(reason_of(call(tensor({2, 4, 5, 8}, kF64), tensor({2, 4, 7, 8}, kF64), tensor({2, 4, 7, 8}, kF64))) ==
        Reason::kDtype);
  for (int32_t dt : {kF32, kF16, kBF16}) {
    CHECK(reason_of(call(tensor({1, 1, 3, 8}, dt), tensor({1, 1, 3, 8}, dt), tensor({1, 1, 3, 8}, dt))) ==
          Reason::kNone);
  }
  CallFacts causal_mask = basic();
  causal_mask.is_causal = true;
  causal_mask.mask = tensor({5, 7}, kBool);
  CHECK(reason_of(causal_mask) == Reason::kCausalMask);
  CHECK(reason_of(call(tensor({1, 1, 3, 257}), tensor({1, 1, 3, 257}), tensor({1, 1, 3, 257}))) ==
        Reason::kHeadDim);
  CHECK(reason_of(call(tensor({1, 1, 3, 256}), tensor({1, 1, 3, 256}), tensor({1, 1, 3, 256}))) == Reason::kNone);
  CHECK(reason_of(call(tensor({1, 1, 3, 1}), tensor({1, 1, 3, 1}), tensor({1, 1, 3, 1}))) == Reason::kNone);
  CHECK(reason_of(call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 6}))) == Reason::kHeadDim);
  TensorInfo strided_last = tensor({2, 4, 5, 8});
  strided_last.strides = {320, 80, 16, 2};
  CHECK(reason_of(call(strided_last, tensor({2, 4, 7, 8}), tensor({2, 4, 7, 8}))) == Reason::kLayout);
  TensorInfo no_data = tensor({2, 4, 7, 8});
  no_data.data = nullptr;
  CHECK(reason_of(call(tensor({2, 4, 5, 8}), tensor({2, 4, 7, 8}), no_data)) == Reason::kLayout);
  CHECK(reason_of(call(tensor({1, 2, 4, 5, 8}), tensor({1, 2, 4, 7, 8}), tensor({1, 2, 4, 7, 8}))) ==
        Reason::kShape);
  CHECK(reason_of(call(tensor({1, 4, 5, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 8}))) == Reason::kShape);
  CHECK(reason_of(call(tensor({2, 4, 5, 8}), tensor({4, 7, 8}), tensor({4, 7, 8}))) == Reason::kShape);
  CHECK(reason_of(call(tensor({2, 4, 0, 8}), tensor({2, 4, 7, 8}), tensor({2, 4, 7, 8}))) == Reason::kSize);
  CHECK(reason_of(call(tensor({2, 4, 5, 8}), tensor({2, 4, 0, 8}), tensor({2, 4, 0, 8}))) == Reason::kSize);
  // No key/value heads: an empty call for PyTorch, never a division by zero here.
  CHECK(reason_of(call(tensor({2, 1, 5, 8}), tensor({2, 0, 7, 8}), tensor({2, 0, 7, 8}))) == Reason::kSize);
  CHECK(reason_of(call(tensor({2, 0, 5, 8}), tensor({2, 0, 7, 8}), tensor({2, 0, 7, 8}))) == Reason::kSize);
  for (const auto& m : {tensor({7}, kBool), tensor({}, kF32)}) {
    CallFacts f = basic();
    f.mask = m;
    CHECK(reason_of(f) == Reason::kShape);
  }
  for (double scale : {std::nan(""), static_cast<double>(INFINITY), 1e300}) {
    CallFacts f = basic();
    f.scale = scale;
    CHECK(reason_of(f) == Reason::kScale);
  }
  // Causal: only a positive scale (PyTorch's CPU kernel turns masked scores into NaN or +inf otherwise).
  for (double scale : {0.0, -0.0, -0.5, 1e-30}) {
    CallFacts f = basic();
    f.is_causal = true;
    f.scale = scale;
    CHECK(reason_of(f) == (scale > 0 ? Reason::kNone : Reason::kScale));
  }
  {
    CallFacts f = basic();
    f.scale = 0.0;
    CHECK(reason_of(f) == Reason::kNone);
  }
  // A head dim of 1 needs no unit stride along it.
  TensorInfo q1 = tensor({1, 2, 5, 1}), k1 = tensor({1, 2, 7, 1});
  q1.strides = {10, 5, 1, 5};
  k1.strides = {14, 7, 1, 7};
  CHECK(reason_of(call(q1, k1, k1)) == Reason::kNone);
}

TEST(geometry_of_contiguous_and_transposed_views) {
  AttentionGeometry g = geometry_of(basic());
  CHECK_EQ(g.batch, 2);
  CHECK_EQ(g.heads_q, 4);
  CHECK_EQ(g.heads_kv, 4);
  CHECK_EQ(g.len_q, 5);
  CHECK_EQ(g.len_k, 7);
  CHECK_EQ(g.head_dim, 8);
  CHECK_EQ(g.q_stride[0], 160);
  CHECK_EQ(g.q_stride[1], 40);
  CHECK_EQ(g.q_stride[2], 8);
  CHECK(std::fabs(g.scale - 1.0 / std::sqrt(8.0)) < 1e-15);
  CHECK(g.mask == djl_metal::kernel::MaskKind::kNone);
  CHECK(g.element == djl_metal::kernel::Element::kFloat32);

  g = geometry_of(call(transposed(2, 4, 5, 8), transposed(2, 4, 7, 8), transposed(2, 4, 7, 8)));
  CHECK_EQ(g.q_stride[0], 160);
  CHECK_EQ(g.q_stride[1], 8);
  CHECK_EQ(g.q_stride[2], 32);
  CHECK_EQ(g.k_stride[2], 32);
}

TEST(geometry_of_broadcast_and_grouped_heads) {
  AttentionGeometry g = geometry_of(call(tensor({2, 4, 5, 8}), tensor({1, 4, 7, 8}), tensor({1, 4, 7, 8})));
  CHECK_EQ(g.k_stride[0], 0);
  CHECK_EQ(g.v_stride[0], 0);
  CHECK_EQ(g.q_stride[0], 160);

  g = geometry_of(call(tensor({2, 4, 5, 8}), tensor({2, 1, 7, 8}), tensor({2, 1, 7, 8})));
  CHECK_EQ(g.heads_kv, 1);

  CallFacts gqa = call(tensor({2, 8, 5, 8}), tensor({2, 2, 7, 8}), tensor({2, 2, 7, 8}));
  gqa.enable_gqa = true;
  g = geometry_of(gqa);
  CHECK_EQ(g.heads_q, 8);
  CHECK_EQ(g.heads_kv, 2);
  CHECK_EQ(g.k_stride[1], 56);

  g = geometry_of(call(tensor({6, 5, 8}), tensor({6, 7, 8}), tensor({6, 7, 8})));
  CHECK_EQ(g.batch, 1);
  CHECK_EQ(g.heads_q, 6);
  CHECK_EQ(g.q_stride[1], 40);

  g = geometry_of(call(tensor({5, 8}), tensor({7, 8}), tensor({7, 8})));
  CHECK_EQ(g.batch, 1);
  CHECK_EQ(g.heads_q, 1);
  CHECK_EQ(g.len_k, 7);
}

TEST(geometry_of_masks) {
  CallFacts f = basic();
  f.mask = tensor({2, 1, 1, 7}, kBool);
  AttentionGeometry g = geometry_of(f);
  CHECK(g.mask == djl_metal::kernel::MaskKind::kBool);
  CHECK_EQ(g.mask_stride[0], 7);
  CHECK_EQ(g.mask_stride[1], 0);
  CHECK_EQ(g.mask_stride[2], 0);
  CHECK_EQ(g.mask_stride[3], 1);

  f.mask = tensor({5, 7});
  g = geometry_of(f);
  CHECK(g.mask == djl_metal::kernel::MaskKind::kAddFloat32);
  CHECK_EQ(g.mask_stride[0], 0);
  CHECK_EQ(g.mask_stride[1], 0);
  CHECK_EQ(g.mask_stride[2], 7);
  CHECK_EQ(g.mask_stride[3], 1);

  f.mask = tensor({2, 4, 5, 7});
  g = geometry_of(f);
  CHECK_EQ(g.mask_stride[0], 140);
  CHECK_EQ(g.mask_stride[1], 35);

  CallFacts half = call(tensor({1, 2, 5, 8}, kBF16), tensor({1, 2, 7, 8}, kBF16), tensor({1, 2, 7, 8}, kBF16));
  half.mask = tensor({5, 7}, kBF16);
  g = geometry_of(half);
  CHECK(g.mask == djl_metal::kernel::MaskKind::kAddElement);
  CHECK(g.element == djl_metal::kernel::Element::kBFloat16);
  half.mask = tensor({5, 7}, kF32);
  CHECK(geometry_of(half).mask == djl_metal::kernel::MaskKind::kAddFloat32);

  CallFacts scaled = basic();
  scaled.scale = -0.5;
  CHECK_EQ(geometry_of(scaled).scale, -0.5);
}

TEST(dims_inline_and_on_the_heap) {
  djl_metal::torch::Dims d;
  for (int64_t i = 0; i < 12; ++i) d.push_back(i * 3);
  CHECK_EQ(d.size(), 12u);
  for (int64_t i = 0; i < 12; ++i) CHECK_EQ(d[static_cast<size_t>(i)], i * 3);
  d.resize(5);
  CHECK(d == djl_metal::torch::Dims({0, 3, 6, 9, 12}));
  d.resize(7, -1);
  CHECK(d == djl_metal::torch::Dims({0, 3, 6, 9, 12, -1, -1}));
  const std::vector<int64_t> nine = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  djl_metal::torch::Dims nd(nine);
  CHECK(std::vector<int64_t>(nd.begin(), nd.end()) == nine);
  CHECK(nd != d);
}

TEST(the_breaker_suspends_after_failures_in_a_row_and_resumes_on_success) {
  using namespace djl_metal::router;
  configure_breaker({3, 1000});  // 3 failures, suspended for 1000 ns
  CHECK(breaker_allows(0));
  breaker_failure(10, "a");
  breaker_failure(20, "b");
  breaker_success();  // not in a row any more
  breaker_failure(30, "c");
  breaker_failure(40, "d");
  CHECK(breaker_allows(40));
  const uint64_t trips = breaker_state(40).trips;
  breaker_failure(50, "e");  // third in a row: suspended until 1050
  CHECK(!breaker_allows(51));
  CHECK(!breaker_allows(1049));
  CHECK(breaker_state(60).suspended);
  CHECK_EQ(breaker_state(60).trips, trips + 1);
  CHECK(breaker_allows(1050));  // time to try again
  breaker_failure(1100, "f");   // the retry failed: suspended again at once
  CHECK(!breaker_allows(1101));
  CHECK_EQ(breaker_state(1101).trips, trips + 2);
  CHECK(breaker_allows(2100));
  breaker_success();  // a retry ran natively: closed
  CHECK(breaker_allows(2101));
  CHECK_EQ(breaker_state(2101).consecutive, 0);
  CHECK(!breaker_state(2101).suspended);
  configure_breaker({0, 1000});  // 0: never suspends
  for (int i = 0; i < 100; ++i) breaker_failure(i, "x");
  CHECK(breaker_allows(100));
  configure_breaker({});
}

int main() {
  install_test_shim();
  return check::run_all();
}
