// The SDPA kernels (shaders/*.metal) run through the same launch plan and plan runner as the engine, against
// the independent float64 reference, on fresh random inputs, with the output poisoned before every run: by the
// simulator encoder, and by the Metal backend (the embedded sources, no-copy host buffers, pipelines, command
// buffers) on the fake Metal, which runs the dispatches on the simulator and reports any misuse, or, built on a
// Mac (DJL_METAL_REAL_DEVICE), on the real GPU. Where there is neither (DJL_METAL_SIMULATOR_ONLY: Linux arm64
// under qemu), by the simulator encoder alone.
//
// Default: a fixed set of cases covering every kernel variant, mask kind, layout and edge, through both. With
// DJL_METAL_KERNEL_SWEEP=full: every pair of values of the sweep's parameters, plus 100 random combinations
// (simulator encoder; on a real GPU, through both). DJL_METAL_KERNEL_SEED=N draws other inputs (failures name
// the seed).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <sstream>

#include "backend/metal_backend.h"
#include "check.h"
#include "encoder/plan_runner.h"
#include "encoder/simulator_encoder.h"
// Which Metal the Metal executor runs on: the fake (default), the real GPU, or none.
#ifndef DJL_METAL_REAL_DEVICE
#define DJL_METAL_REAL_DEVICE 0
#endif
#ifndef DJL_METAL_SIMULATOR_ONLY
#define DJL_METAL_SIMULATOR_ONLY 0
#endif
#if !DJL_METAL_REAL_DEVICE && !DJL_METAL_SIMULATOR_ONLY
#include "fake_metal/fake_metal.h"
#endif
#include "kernels/reference.h"
#include "msl/scalar.h"
#include "plan/attention_plan.h"

using djl_metal::kernel::AttentionGeometry;
using djl_metal::kernel::Element;
using djl_metal::kernel::MaskKind;

namespace {

enum class Layout { kContiguous, kTransposed, kCacheSlice };
enum class MaskShape { kNone, kFull, kHeadsBroadcast, kRowBroadcast, kKeysOnly };
// One non-finite value put at a random place of an input (the mask cases need an additive mask).
enum class Bad { kNone, kQueryNaN, kKeyPosInf, kKeyNegInf, kValueNaN, kValueInf, kMaskNaN, kMaskPosInf };

struct Case {
  int64_t batch = 1, heads_q = 1, heads_kv = 1, len_q = 1, len_k = 1, head_dim = 64;
  Element element = Element::kFloat32;
  MaskKind mask = MaskKind::kNone;
  MaskShape mask_shape = MaskShape::kNone;
  bool fully_masked_rows = false;
  bool lowest_masked = false;  // additive masks mask with the lowest finite value (as Hugging Face does), not -inf
  bool causal = false;
  double scale = 0;  // 0 = 1/sqrt(head_dim)
  Layout layout = Layout::kContiguous;
  bool kv_batch_broadcast = false;
  bool output_like_query = true;  // [B, L, H, D] memory for a transposed query, as PyTorch's flash attention
  bool flags = true;              // the threadgroups report non-finite reads (CPU-tensor backends); off on MPS
  Bad bad = Bad::kNone;

  std::string describe() const {
    static const char* el[] = {"f32", "f16", "bf16"};
    static const char* mk[] = {"none", "bool", "add_f32", "add_el"};
    static const char* ms[] = {"", "full", "heads_bcast", "row_bcast", "keys_only"};
    static const char* ly[] = {"contiguous", "transposed", "cache_slice"};
    static const char* bd[] = {"", " q_nan", " k_+inf", " k_-inf", " v_nan", " v_inf", " mask_nan", " mask_+inf"};
    std::ostringstream o;
    o << "B" << batch << " H" << heads_q << "/" << heads_kv << " Lq" << len_q << " Lk" << len_k << " D" << head_dim
      << " " << el[static_cast<int>(element)] << " mask=" << mk[static_cast<int>(mask)] << ms[static_cast<int>(mask_shape)]
      << (fully_masked_rows ? "+empty_rows" : "") << (lowest_masked ? "+lowest" : "") << (causal ? " causal" : "") << (scale != 0 ? " scale" : "") << " "
      << ly[static_cast<int>(layout)] << (kv_batch_broadcast ? " kv_bcast" : "")
      << (output_like_query ? " out_like_query" : " out_contiguous") << (flags ? "" : " no_flags")
      << bd[static_cast<int>(bad)];
    return o.str();
  }
};

double tolerance(Element e) {
  switch (e) {
    case Element::kFloat32: return 1e-5;
    case Element::kFloat16: return 3e-3;
    case Element::kBFloat16: return 2e-2;
  }
  return 0;
}

// The lowest finite value of an element type (torch.finfo(dtype).min), exactly representable in it.
float lowest(Element e) {
  switch (e) {
    case Element::kFloat32: return -3.40282347e38f;
    case Element::kFloat16: return -65504.0f;
    case Element::kBFloat16: return -3.38953139e38f;
  }
  return 0;
}

// Writes float values as the element type (round to nearest even).
void store(void* base, size_t index, float value, Element e) {
  switch (e) {
    case Element::kFloat32: static_cast<float*>(base)[index] = value; break;
    case Element::kFloat16: static_cast<uint16_t*>(base)[index] = metal::detail::float_to_half(value); break;
    case Element::kBFloat16: static_cast<uint16_t*>(base)[index] = metal::detail::float_to_bfloat(value); break;
  }
}

// Inputs are drawn anew for every case from one generator; DJL_METAL_KERNEL_SEED draws a different set.
uint64_t seed() {
  const char* s = std::getenv("DJL_METAL_KERNEL_SEED");
  return s ? std::strtoull(s, nullptr, 10) : 20261122;
}

std::mt19937_64 rng(seed());

std::vector<unsigned char> random_elements(size_t n, Element e) {
  std::vector<unsigned char> bytes(n * element_bytes(e));
  std::normal_distribution<float> normal;
  for (size_t i = 0; i < n; ++i) store(bytes.data(), i, normal(rng), e);
  return bytes;
}

enum class Executor { kSimulator, kMetal };

const djl_metal::metal::Device* metal_device(std::string* why) {
  return djl_metal::metal::Device::get(&djl_metal::metal::process_symbol, why);
}

djl_metal::backend::MetalBackend& metal_backend() {
  static djl_metal::backend::MetalBackend* backend = [] {
    std::string why;
    const djl_metal::metal::Device* device = metal_device(&why);
    if (!device) throw std::runtime_error("no Metal device: " + why);
    djl_metal::backend::MetalBackend::Settings settings;
    settings.libtorch_symbol = &djl_metal::metal::process_symbol;
    return new djl_metal::backend::MetalBackend(*device, settings);
  }();
  return *backend;
}

// Runs one case; returns an empty string or what went wrong.
std::string run_case(const Case& c, Executor executor) {
  AttentionGeometry g;
  g.batch = c.batch;
  g.heads_q = c.heads_q;
  g.heads_kv = c.heads_kv;
  g.len_q = c.len_q;
  g.len_k = c.len_k;
  g.head_dim = c.head_dim;
  g.element = c.element;
  g.is_causal = c.causal;
  g.scale = c.scale != 0 ? c.scale : 1.0 / std::sqrt(static_cast<double>(c.head_dim));
  const int64_t B = c.batch, Hq = c.heads_q, Hk = c.heads_kv, Lq = c.len_q, Lk = c.len_k, D = c.head_dim;
  const int64_t kv_batches = c.kv_batch_broadcast ? 1 : B;

  // Query: [B, Hq, Lq, D] or transposed memory [B, Lq, Hq, D].
  auto q = random_elements(static_cast<size_t>(B * Hq * Lq * D), c.element);
  if (c.layout == Layout::kTransposed) {
    g.q_stride[0] = Lq * Hq * D, g.q_stride[1] = D, g.q_stride[2] = Hq * D;
  } else {
    g.q_stride[0] = Hq * Lq * D, g.q_stride[1] = Lq * D, g.q_stride[2] = D;
  }
  // Keys and values: the same layouts, or the first Lk rows of a longer cache.
  const int64_t cache = c.layout == Layout::kCacheSlice ? Lk + 5 : Lk;
  auto k = random_elements(static_cast<size_t>(kv_batches * Hk * cache * D), c.element);
  auto v = random_elements(static_cast<size_t>(kv_batches * Hk * cache * D), c.element);
  int64_t kv_stride[3];
  if (c.layout == Layout::kTransposed) {
    kv_stride[0] = Lk * Hk * D, kv_stride[1] = D, kv_stride[2] = Hk * D;
  } else {
    kv_stride[0] = Hk * cache * D, kv_stride[1] = cache * D, kv_stride[2] = D;
  }
  if (c.kv_batch_broadcast) kv_stride[0] = 0;
  for (int i = 0; i < 3; ++i) g.k_stride[i] = g.v_stride[i] = kv_stride[i];

  // Mask over [B, Hq, Lq, Lk] with some dimensions broadcast (stride 0).
  std::vector<unsigned char> mask;
  if (c.mask != MaskKind::kNone) {
    g.mask = c.mask;
    int64_t mb = B, mh = Hq, mr = Lq;
    if (c.mask_shape == MaskShape::kHeadsBroadcast) mh = 1;
    if (c.mask_shape == MaskShape::kRowBroadcast) mh = 1, mr = 1;
    if (c.mask_shape == MaskShape::kKeysOnly) mb = 1, mh = 1, mr = 1;
    g.mask_stride[3] = 1;
    g.mask_stride[2] = mr == 1 ? 0 : Lk;
    g.mask_stride[1] = mh == 1 ? 0 : mr * Lk;
    g.mask_stride[0] = mb == 1 ? 0 : mh * mr * Lk;
    const size_t n = static_cast<size_t>(mb * mh * mr * Lk);
    const Element me = c.mask == MaskKind::kAddElement ? c.element : Element::kFloat32;
    mask.resize(c.mask == MaskKind::kBool ? n : n * element_bytes(me));
    std::uniform_int_distribution<int> pick(0, 4);
    std::normal_distribution<float> bias;
    for (size_t i = 0; i < n; ++i) {
      const size_t row = i / static_cast<size_t>(Lk);
      const bool masked = (c.fully_masked_rows && row % 3 == 1) || pick(rng) == 0;
      if (c.mask == MaskKind::kBool) {
        mask[i] = masked ? 0 : 1;
      } else {
        store(mask.data(), i, masked ? (c.lowest_masked ? lowest(me) : -INFINITY) : bias(rng), me);
      }
    }
  }

  // The non-finite value, at a random element the call reads.
  if (c.bad != Bad::kNone) {
    auto at = [&](int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(rng); };
    const float nan = std::nanf(""), inf = INFINITY;
    const int64_t row_b = at(B), d = at(D);
    switch (c.bad) {
      case Bad::kQueryNaN:
        store(q.data(), static_cast<size_t>(row_b * g.q_stride[0] + at(Hq) * g.q_stride[1] + at(Lq) * g.q_stride[2] + d), nan, c.element);
        break;
      case Bad::kKeyPosInf:
      case Bad::kKeyNegInf:
      case Bad::kValueNaN:
      case Bad::kValueInf: {
        const bool key = c.bad == Bad::kKeyPosInf || c.bad == Bad::kKeyNegInf;
        const size_t i = static_cast<size_t>((c.kv_batch_broadcast ? 0 : row_b * kv_stride[0]) + at(Hk) * kv_stride[1] +
                                             at(Lk) * kv_stride[2] + d);
        store(key ? k.data() : v.data(), i, c.bad == Bad::kValueNaN ? nan : c.bad == Bad::kKeyNegInf ? -inf : inf, c.element);
        break;
      }
      case Bad::kMaskNaN:
      case Bad::kMaskPosInf:
        store(mask.data(), static_cast<size_t>(at(static_cast<int64_t>(mask.size()) / element_bytes(c.mask == MaskKind::kAddElement ? c.element : Element::kFloat32))),
              c.bad == Bad::kMaskNaN ? nan : inf, c.mask == MaskKind::kAddElement ? c.element : Element::kFloat32);
        break;
      case Bad::kNone: break;
    }
  }
  g.report_non_finite = c.flags;

  const std::vector<int64_t> out_sizes = {B, Hq, Lq, D};
  const bool transposed_out = c.output_like_query && c.layout == Layout::kTransposed;
  const std::vector<int64_t> out_strides = transposed_out ? std::vector<int64_t>{Lq * Hq * D, D, Hq * D, 1}
                                                          : std::vector<int64_t>{Hq * Lq * D, Lq * D, D, 1};
  std::vector<unsigned char> out(static_cast<size_t>(B * Hq * Lq * D) * element_bytes(c.element));
  std::memset(out.data(), 0xcd, out.size());

  const auto plan = djl_metal::plan::plan_attention(g, djl_metal::plan::kernel_output_strides(out_sizes, out_strides));
  std::vector<float> partials(plan.partials_bytes / 4);
  if (!partials.empty()) std::memset(partials.data(), 0xcd, partials.size() * 4);
  std::vector<uint32_t> flags(plan.flags_bytes / 4, 0xcdcdcdcdu);  // poisoned: each must be written 0 or 1
  djl_metal::encoder::HostOperands ops;
  ops.query = {q.data(), q.size()};
  ops.key = {k.data(), k.size()};
  ops.value = {v.data(), v.size()};
  if (!mask.empty()) ops.mask = {mask.data(), mask.size()};
  ops.output = {out.data(), out.size()};
  if (!partials.empty()) ops.partials = {partials.data(), partials.size() * 4};
  if (!flags.empty()) ops.flags = {flags.data(), flags.size() * 4};
  if (executor == Executor::kSimulator) {
    djl_metal::encoder::SimulatorEncoder encoder(ops);
    djl_metal::encoder::encode_plan(plan, encoder);
  } else {
    const djl_metal::call::Verdict verdict = metal_backend().run_on_host(plan, ops);
    std::string problems;
#if !DJL_METAL_REAL_DEVICE && !DJL_METAL_SIMULATOR_ONLY
    for (const std::string& v : fake_metal::take_violations()) problems += "\n  fake Metal: " + v;
#endif
    if (!verdict.native()) problems += std::string("\n  Metal backend: ") + djl_metal::call::reason_id(verdict.reason) + " " + verdict.detail;
    if (!problems.empty()) return c.describe() + " on Metal:" + problems;
  }

  const std::string where = c.describe() + " [" + plan.dispatches[0].kernel + (executor == Executor::kMetal ? " on Metal" : "") +
                            ", seed " + std::to_string(seed()) + "]";
  size_t flagged = 0;
  for (uint32_t f : flags) {
    if (f > 1) return where + ": a threadgroup's non-finite flag was not written";
    flagged += f;
  }
  // Where the reference is non-finite, every element of the row must be, and some threadgroup must have said
  // so; elsewhere a finite element must match it (a threadgroup that read the bad value may poison rows that
  // did not need it; a value no row may see, past every row under causal masking, is not read at all).
  const std::vector<double> expected = reference::sdpa(g, q.data(), k.data(), v.data(), mask.data());
  const bool any_non_finite = std::any_of(expected.begin(), expected.end(), [](double x) { return !std::isfinite(x); });
  if (c.bad == Bad::kNone && flagged) return where + ": a threadgroup flagged a non-finite read in finite inputs";
  if (any_non_finite && c.flags && !flagged) return where + ": no threadgroup flagged the non-finite input";
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t h = 0; h < Hq; ++h) {
      for (int64_t i = 0; i < Lq; ++i) {
        const double* want_row = &expected[static_cast<size_t>(((b * Hq + h) * Lq + i) * D)];
        const bool row_non_finite = std::any_of(want_row, want_row + D, [](double x) { return !std::isfinite(x); });
        for (int64_t d = 0; d < D; ++d) {
          const int64_t at = b * out_strides[0] + h * out_strides[1] + i * out_strides[2] + d;
          const double got = reference::load(out.data(), at, c.element);
          const double want = want_row[d];
          const double error = std::fabs(got - want);
          const bool poisoned = c.bad != Bad::kNone && std::isnan(got);
          if (row_non_finite ? std::isfinite(got) : !(error <= tolerance(c.element) || poisoned)) {
            std::ostringstream o;
            o << where << ": out[" << b << "," << h << "," << i << "," << d << "] = " << got << ", reference " << want;
            return o.str();
          }
        }
      }
    }
  }
  return "";
}

// The fixed cases run through both executors; the sweep through the simulator encoder only, unless on a real
// GPU (where it is fast).
void check_cases(const std::vector<Case>& cases, bool on_metal = true) {
  for (const Case& c : cases) {
    for (Executor e : {Executor::kSimulator, Executor::kMetal}) {
      if (e == Executor::kMetal && ((!on_metal && !DJL_METAL_REAL_DEVICE) || DJL_METAL_SIMULATOR_ONLY)) continue;
      const std::string problem = run_case(c, e);
      if (!problem.empty()) check::fail(__FILE__, __LINE__, problem);
    }
  }
}

Case make(int64_t b, int64_t hq, int64_t hk, int64_t lq, int64_t lk, int64_t d, Element e) {
  Case c;
  c.batch = b, c.heads_q = hq, c.heads_kv = hk, c.len_q = lq, c.len_k = lk, c.head_dim = d, c.element = e;
  return c;
}

}  // namespace

TEST(prefill_fast_head_dims_every_dtype) {
  std::vector<Case> cases;
  for (Element e : {Element::kFloat32, Element::kFloat16, Element::kBFloat16}) {
    for (int64_t d : {64, 80, 96, 128, 256}) cases.push_back(make(1, 2, 2, 37, 45, d, e));
  }
  check_cases(cases);
}

TEST(prefill_generic_head_dims) {
  std::vector<Case> cases;
  for (int64_t d : {1, 7, 16, 33, 48, 100, 200}) {
    Case c = make(1, 1, 1, 33, 40, d, d % 2 ? Element::kFloat32 : Element::kFloat16);
    c.scale = 0.3;
    cases.push_back(c);
  }
  check_cases(cases);
}

TEST(prefill_masks_causal_and_layouts) {
  std::vector<Case> cases;
  for (MaskKind m : {MaskKind::kBool, MaskKind::kAddFloat32, MaskKind::kAddElement}) {
    for (MaskShape s : {MaskShape::kFull, MaskShape::kHeadsBroadcast, MaskShape::kRowBroadcast, MaskShape::kKeysOnly}) {
      Case c = make(2, 3, 3, 20, 33, 64, m == MaskKind::kAddElement ? Element::kBFloat16 : Element::kFloat32);
      c.mask = m;
      c.mask_shape = s;
      c.fully_masked_rows = s == MaskShape::kFull || s == MaskShape::kHeadsBroadcast;
      cases.push_back(c);
    }
  }
  Case causal_short = make(1, 2, 2, 11, 40, 64, Element::kFloat32);
  causal_short.causal = true;
  Case causal_long = make(1, 2, 2, 70, 33, 48, Element::kFloat16);
  causal_long.causal = true;
  Case transposed = make(2, 4, 4, 13, 21, 32, Element::kFloat16);
  transposed.layout = Layout::kTransposed;
  Case transposed_gqa = make(1, 8, 2, 13, 21, 64, Element::kFloat32);  // PyTorch's math kernel: contiguous output
  transposed_gqa.layout = Layout::kTransposed;
  transposed_gqa.output_like_query = false;
  Case cache = make(1, 4, 4, 9, 12, 64, Element::kFloat32);
  cache.layout = Layout::kCacheSlice;
  cache.causal = true;
  Case gqa = make(1, 8, 2, 19, 23, 64, Element::kFloat32);
  Case mqa = make(2, 6, 1, 16, 30, 80, Element::kBFloat16);
  Case broadcast = make(3, 2, 2, 10, 7, 16, Element::kFloat32);
  broadcast.kv_batch_broadcast = true;
  Case lowest_f32 = make(1, 2, 2, 40, 50, 64, Element::kFloat32);
  lowest_f32.mask = MaskKind::kAddFloat32;
  lowest_f32.mask_shape = MaskShape::kFull;
  lowest_f32.lowest_masked = true;
  Case lowest_bf16 = make(2, 2, 2, 33, 70, 128, Element::kBFloat16);
  lowest_bf16.mask = MaskKind::kAddElement;
  lowest_bf16.mask_shape = MaskShape::kHeadsBroadcast;
  lowest_bf16.lowest_masked = true;
  Case aligned = make(1, 1, 1, 64, 64, 64, Element::kFloat32);
  aligned.causal = true;
  Case negative = make(1, 1, 1, 9, 9, 16, Element::kFloat32);
  negative.scale = -0.5;
  negative.mask = MaskKind::kBool;
  negative.mask_shape = MaskShape::kFull;
  negative.fully_masked_rows = true;
  check_cases({causal_short, causal_long, transposed, transposed_gqa, cache, gqa, mqa, broadcast, lowest_f32, lowest_bf16, aligned,
               negative});
}

TEST(decode_and_split_decode) {
  std::vector<Case> cases;
  for (Element e : {Element::kFloat32, Element::kFloat16, Element::kBFloat16}) {
    cases.push_back(make(3, 8, 1, 1, 300, 128, e));
  }
  Case two_rows = make(1, 4, 2, 2, 64, 16, Element::kFloat32);
  two_rows.mask = MaskKind::kAddFloat32;
  two_rows.mask_shape = MaskShape::kFull;
  two_rows.fully_masked_rows = true;
  Case causal = make(1, 2, 2, 7, 7, 1, Element::kFloat32);
  causal.causal = true;
  Case split = make(1, 4, 4, 2, 1100, 64, Element::kFloat32);
  Case split_masked = make(2, 2, 1, 1, 1024, 256, Element::kBFloat16);
  split_masked.mask = MaskKind::kBool;
  split_masked.mask_shape = MaskShape::kKeysOnly;
  Case d80 = make(1, 4, 4, 3, 40, 80, Element::kFloat16);
  d80.mask = MaskKind::kAddElement;
  d80.mask_shape = MaskShape::kFull;
  d80.lowest_masked = true;
  Case d96_split = make(1, 2, 2, 1, 700, 96, Element::kFloat32);
  d96_split.mask = MaskKind::kAddFloat32;
  d96_split.mask_shape = MaskShape::kKeysOnly;
  d96_split.lowest_masked = true;
  Case generic_split = make(2, 3, 1, 4, 900, 100, Element::kBFloat16);
  generic_split.causal = true;
  cases.insert(cases.end(), {two_rows, causal, split, split_masked, d80, d96_split, generic_split});
  check_cases(cases);
}

TEST(non_finite_inputs_give_non_finite_rows_and_flags) {
  std::vector<Case> cases;
  const Bad kv[] = {Bad::kQueryNaN, Bad::kKeyPosInf, Bad::kKeyNegInf, Bad::kValueNaN, Bad::kValueInf};
  const Element elements[] = {Element::kFloat32, Element::kFloat16, Element::kBFloat16};
  for (int n = 0; n < 5; ++n) {
    Case prefill = make(2, 4, 2, 40, 50, n % 2 ? 64 : 33, elements[n % 3]);
    prefill.bad = kv[n];
    prefill.causal = n % 2 == 0;
    Case decode = make(1, 8, 2, 1 + n, 700, n % 2 ? 128 : 48, elements[(n + 1) % 3]);  // split decode
    decode.bad = kv[n];
    decode.causal = n == 4;
    Case unflagged = decode;  // the MPS path: no flags, rows poisoned all the same
    unflagged.flags = false;
    cases.insert(cases.end(), {prefill, decode, unflagged});
  }
  for (Bad b : {Bad::kMaskNaN, Bad::kMaskPosInf}) {
    for (MaskKind m : {MaskKind::kAddFloat32, MaskKind::kAddElement}) {
      Case prefill = make(1, 2, 2, 30, 40, 64, m == MaskKind::kAddElement ? Element::kFloat16 : Element::kFloat32);
      prefill.mask = m;
      prefill.mask_shape = MaskShape::kFull;
      prefill.fully_masked_rows = true;
      prefill.bad = b;
      Case decode = make(1, 4, 1, 2, 300, 64, Element::kBFloat16);
      decode.mask = m;
      decode.mask_shape = MaskShape::kKeysOnly;
      decode.bad = b;
      cases.insert(cases.end(), {prefill, decode});
    }
  }
  // A NaN in a boolean mask's place cannot exist; -inf in an additive mask and the lowest value are covered
  // by the mask cases above. Clean inputs must leave every flag at zero there, and here without flags.
  Case clean = make(1, 2, 2, 20, 30, 64, Element::kFloat16);
  clean.flags = false;
  cases.push_back(clean);
  check_cases(cases);
}

namespace {

// The sweep's parameters; value indices per parameter.
constexpr int kParams = 10;
const std::vector<int> kValues = {2, 4, 6, 5, 7, 3, 7, 4, 2, 2};

Case sweep_case(const std::vector<int>& v) {
  static const int64_t batches[] = {1, 3};
  static const int64_t heads[][2] = {{1, 1}, {8, 8}, {8, 2}, {6, 1}};
  static const int64_t lq[] = {1, 2, 7, 64, 129, 300};
  static const int64_t lk[] = {1, 7, 64, 300, 1024};
  static const int64_t dims[] = {1, 16, 64, 80, 96, 128, 256};
  static const Element elements[] = {Element::kFloat32, Element::kFloat16, Element::kBFloat16};
  Case c = make(batches[v[0]], heads[v[1]][0], heads[v[1]][1], lq[v[2]], lk[v[3]], dims[v[4]], elements[v[5]]);
  switch (v[6]) {
    case 1: c.causal = true; break;
    case 2: c.mask = MaskKind::kBool, c.mask_shape = MaskShape::kFull, c.fully_masked_rows = true; break;
    case 3: c.mask = MaskKind::kAddFloat32, c.mask_shape = MaskShape::kHeadsBroadcast; break;
    case 4: c.mask = MaskKind::kAddElement, c.mask_shape = MaskShape::kRowBroadcast; break;
    case 5: c.mask = MaskKind::kBool, c.mask_shape = MaskShape::kKeysOnly; break;
    case 6: c.mask = MaskKind::kAddFloat32, c.mask_shape = MaskShape::kFull, c.lowest_masked = true; break;
    default: break;
  }
  if (v[7] == 1) c.layout = Layout::kTransposed;
  if (v[7] == 2) c.layout = Layout::kCacheSlice;
  if (v[7] == 3) c.kv_batch_broadcast = true;
  if (v[8] == 1) c.scale = 0.2;
  if (v[9] == 1) c.output_like_query = false;
  return c;
}

// Cases covering every pair of values of every two parameters (greedy covering array).
std::vector<std::vector<int>> all_pairs() {
  std::vector<std::vector<std::vector<std::vector<bool>>>> covered(kParams);
  size_t uncovered = 0;
  for (int a = 0; a < kParams; ++a) {
    covered[a].resize(kParams);
    for (int b = a + 1; b < kParams; ++b) {
      covered[a][b].assign(kValues[a], std::vector<bool>(kValues[b], false));
      uncovered += static_cast<size_t>(kValues[a] * kValues[b]);
    }
  }
  std::mt19937 pick(99);
  std::vector<std::vector<int>> rows;
  while (uncovered > 0) {
    std::vector<int> best;
    size_t best_gain = 0;
    for (int attempt = 0; attempt < 200; ++attempt) {
      std::vector<int> row(kParams);
      for (int p = 0; p < kParams; ++p) row[p] = static_cast<int>(pick() % kValues[p]);
      size_t gain = 0;
      for (int a = 0; a < kParams; ++a) {
        for (int b = a + 1; b < kParams; ++b) gain += !covered[a][b][row[a]][row[b]];
      }
      if (gain > best_gain) best_gain = gain, best = row;
    }
    if (best_gain == 0) continue;
    for (int a = 0; a < kParams; ++a) {
      for (int b = a + 1; b < kParams; ++b) {
        if (!covered[a][b][best[a]][best[b]]) covered[a][b][best[a]][best[b]] = true, --uncovered;
      }
    }
    rows.push_back(best);
  }
  return rows;
}

}  // namespace

TEST(sweep_every_pair_of_parameter_values) {
  const char* mode = std::getenv("DJL_METAL_KERNEL_SWEEP");
  if (!mode || std::string(mode) != "full") {
    std::fprintf(stderr, "(sweep skipped: set DJL_METAL_KERNEL_SWEEP=full, or mvn -Psweep)\n");
    return;
  }
  std::vector<Case> cases;
  for (const auto& row : all_pairs()) cases.push_back(sweep_case(row));
  // And random combinations beyond pairs.
  std::mt19937 pick(2026);
  for (int extra = 0; extra < 100; ++extra) {
    std::vector<int> row(kParams);
    for (int p = 0; p < kParams; ++p) row[p] = static_cast<int>(pick() % kValues[p]);
    cases.push_back(sweep_case(row));
  }
  std::fprintf(stderr, "sweep: %zu cases\n", cases.size());
  check_cases(cases, false);
}

int main() {
#if DJL_METAL_REAL_DEVICE
  std::string why;
  if (!metal_device(&why)) {
    std::fprintf(stderr, "SKIPPED: no Metal device here (%s); the kernels need one on a Mac\n", why.c_str());
    return 77;  // ctest's SKIP_RETURN_CODE
  }
#endif
  return check::run_all();
}
