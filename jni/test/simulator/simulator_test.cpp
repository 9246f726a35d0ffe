// The MSL simulator on real .metal test kernels, against results computed here independently.
// Outputs are poisoned before each launch so that elements a kernel failed to write show.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "check.h"
#include "simulator/launch.h"

void register_simulator_test_kernels();

namespace {

std::mt19937 rng(7);

template <typename T>
std::vector<T> poisoned(size_t n) {
  std::vector<T> v(n);
  std::memset(v.data(), 0xcd, n * sizeof(T));
  return v;
}

template <typename T>
msl::BufferBinding bind(uint32_t index, std::vector<T>& v) {
  return {index, v.data(), v.size() * sizeof(T)};
}

msl::Launch launch(const char* kernel, msl::Size3 groups, msl::Size3 threads) {
  msl::Launch l;
  l.kernel = kernel;
  l.threadgroups = groups;
  l.threads_per_threadgroup = threads;
  return l;
}

std::string error_of(const msl::Launch& l) {
  try {
    msl::run(l);
  } catch (const msl::SimulatorError& e) {
    return e.what();
  }
  return "";
}

// IEEE binary16 of a float, rounded to nearest even, computed via double arithmetic (not the simulator's code).
uint16_t reference_half(float f) {
  if (std::isnan(f)) return 0x7e00;
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  double a = std::fabs(static_cast<double>(f));
  if (a >= 65520.0) return sign | 0x7c00;
  if (a < std::ldexp(1.0, -14)) {
    return sign | static_cast<uint16_t>(std::nearbyint(a / std::ldexp(1.0, -24)));  // subnormal units
  }
  int e;
  std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1)
  const double unit = std::ldexp(1.0, e - 11);  // 10 mantissa bits
  const double q = std::nearbyint(a / unit) * unit;
  int e2;
  const double m2 = std::frexp(q, &e2);
  const int exponent = e2 - 1 + 15;
  const uint16_t mantissa = static_cast<uint16_t>(std::lround((m2 * 2 - 1) * 1024));
  return sign | static_cast<uint16_t>(exponent << 10) | mantissa;
}

uint16_t reference_bfloat(float f) {
  if (std::isnan(f)) return 0x7fc0;
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  const double a = std::fabs(static_cast<double>(f));
  if (a == 0) return sign;
  int e;
  std::frexp(a, &e);
  const double unit = std::ldexp(1.0, std::max(e - 8, -133));
  const double q = std::nearbyint(a / unit) * unit;
  const float rounded = static_cast<float>(q);
  uint32_t bits;
  std::memcpy(&bits, &rounded, sizeof bits);
  return sign | static_cast<uint16_t>(bits >> 16);
}

float half_value(uint16_t h) {
  const int e = (h >> 10) & 31, m = h & 1023;
  const double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
  return static_cast<float>((h & 0x8000) ? -v : v);
}

}  // namespace

TEST(threadgroup_reduction_with_barriers) {
  const uint32_t groups = 5, threads = 256;
  std::vector<float> in(groups * threads);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& x : in) x = u(rng);
  std::vector<float> out = poisoned<float>(groups);
  msl::Launch l = launch("tg_reduce", {groups, 1, 1}, {threads, 1, 1});
  l.buffers = {bind(0, in), bind(1, out)};
  msl::run(l);
  for (uint32_t g = 0; g < groups; ++g) {
    double sum = 0;
    for (uint32_t t = 0; t < threads; ++t) sum += in[g * threads + t];
    CHECK(std::fabs(out[g] - sum) < 1e-4);
  }
}

TEST(position_attributes_of_a_3d_launch) {
  const msl::Size3 groups{3, 2, 2}, threads{8, 4, 2};
  const uint32_t width = 24, height = 8, depth = 4;
  std::vector<uint32_t> out = poisoned<uint32_t>(width * height * depth * 8);
  msl::Launch l = launch("positions", groups, threads);
  l.buffers = {bind(0, out)};
  l.workers = 2;
  msl::run(l);
  for (uint32_t z = 0; z < depth; ++z) {
    for (uint32_t y = 0; y < height; ++y) {
      for (uint32_t x = 0; x < width; ++x) {
        const uint32_t* o = &out[((z * height + y) * width + x) * 8];
        const uint32_t lx = x % 8, ly = y % 4, lz = z % 2;
        const uint32_t index = lx + 8 * ly + 32 * lz;
        CHECK_EQ(o[0], x);
        CHECK_EQ(o[1], y);
        CHECK_EQ(o[2], z);
        CHECK_EQ(o[3], lx + 100 * ly + 10000 * lz);
        CHECK_EQ(o[4], x / 8 + 100 * (y / 4) + 10000 * (z / 2));
        CHECK_EQ(o[5], index);
        CHECK_EQ(o[6], index % 32 + 100 * (index / 32));
        CHECK_EQ(o[7], 2u);
      }
    }
  }
}

TEST(function_constants_defined_and_not) {
  std::vector<int32_t> out = poisoned<int32_t>(2);
  msl::Launch l = launch("constants", {1, 1, 1}, {1, 1, 1});
  l.buffers = {bind(0, out)};
  msl::run(l);
  CHECK_EQ(out[0], 3);
  l.constants = {msl::FunctionConstant::of_bool(0, false)};
  msl::run(l);
  CHECK_EQ(out[0], 2);
  l.constants = {msl::FunctionConstant::of_bool(0, true), msl::FunctionConstant::of_int(1, -42)};
  msl::run(l);
  CHECK_EQ(out[0], 1);
  CHECK_EQ(out[1], -42);
}

TEST(template_instantiations_by_host_name) {
  std::vector<float> in = {1.5f, -2.0f, 3.25f, 0.1f};
  std::vector<float> out = poisoned<float>(4);
  msl::Launch l = launch("scale_copy_float_2", {1, 1, 1}, {4, 1, 1});
  l.buffers = {bind(0, in), bind(1, out)};
  msl::run(l);
  for (int i = 0; i < 4; ++i) CHECK_EQ(out[i], in[i] * 2);
  std::vector<uint16_t> halves = {0x3e00 /* 1.5 */, 0xc000 /* -2 */, 0x3a80 /* 0.8125 */, 0x7c00 /* inf */};
  l = launch("scale_copy_half_3", {1, 1, 1}, {4, 1, 1});
  l.buffers = {bind(0, halves), bind(1, out)};
  msl::run(l);
  CHECK_EQ(out[0], 4.5f);
  CHECK_EQ(out[1], -6.0f);
  CHECK_EQ(out[2], 2.4375f);
  CHECK(std::isinf(out[3]));
  CHECK(msl::has_kernel("scale_copy_float_2"));
  CHECK(!msl::has_kernel("scale_copy"));
}

TEST(half_and_bfloat_round_like_the_real_types) {
  std::vector<float> in = {1.0f, 1.0009765625f /* 1 + 2^-10 */, 1.00048828125f /* tie, rounds to even 1 */,
                           1.00146484375f /* tie, rounds up */, 65504.0f, 65519.0f, 65520.0f, -1e9f,
                           5.9604644775390625e-8f /* smallest subnormal */, 2.98e-8f, 3.0e-8f, 1e-10f, -0.0f,
                           std::numeric_limits<float>::quiet_NaN(), 3.14159265f, -2.71828182f, 1.00390625f,
                           1.005859375f, 3.3895314e38f};
  std::uniform_real_distribution<float> u(-70000, 70000);
  std::uniform_real_distribution<float> small(-1e-4f, 1e-4f);
  for (int i = 0; i < 200; ++i) in.push_back(i % 2 ? u(rng) : small(rng));
  const uint32_t n = static_cast<uint32_t>(in.size());
  std::vector<uint16_t> halves = poisoned<uint16_t>(n), bfloats = poisoned<uint16_t>(n), sums = poisoned<uint16_t>(n);
  msl::Launch l = launch("rounding", {1, 1, 1}, {n, 1, 1});
  l.buffers = {bind(0, in), bind(1, halves), bind(2, bfloats), bind(3, sums)};
  msl::run(l);
  for (uint32_t i = 0; i < n; ++i) {
    CHECK_EQ(halves[i], reference_half(in[i]));
    CHECK_EQ(bfloats[i], reference_bfloat(in[i]));
    // a + a * 2 with every operation rounded to half.
    const float a = half_value(reference_half(in[i]));
    const float twice = half_value(reference_half(a * 2.0f));
    CHECK_EQ(sums[i], reference_half(half_value(reference_half(a)) + twice));
  }
}

TEST(vectors_swizzles_and_conversions) {
  std::vector<float> in = {1, 2, 3, 4};
  std::vector<float> out = poisoned<float>(16);
  msl::Launch l = launch("vectors", {1, 1, 1}, {1, 1, 1});
  l.buffers = {bind(0, in), bind(1, out)};
  msl::run(l);
  const float expected[16] = {3, 4, 1, 2, 4, 3, 3, 4, 1.5f, 2, 2.5f, 3, 14, 2, 4, 1};
  for (int i = 0; i < 16; ++i) CHECK_EQ(out[i], expected[i]);
}

TEST(simd_collectives_across_lanes) {
  const uint32_t threads = 96;  // three simdgroups
  std::vector<float> in(threads);
  for (uint32_t i = 0; i < threads; ++i) in[i] = static_cast<float>((i * 37) % 101) - 50;
  std::vector<float> out = poisoned<float>(threads * 8);
  msl::Launch l = launch("simd_ops", {1, 1, 1}, {threads, 1, 1});
  l.buffers = {bind(0, in), bind(1, out)};
  msl::run(l);
  for (uint32_t i = 0; i < threads; ++i) {
    const uint32_t base = i / 32 * 32, lane = i % 32;
    float sum = 0, max = -1e30f, min = 1e30f, prefix = 0;
    for (uint32_t k = 0; k < 32; ++k) {
      sum += in[base + k];
      max = std::max(max, in[base + k]);
      min = std::min(min, in[base + k]);
      if (k < lane) prefix += in[base + k];
    }
    const float* o = &out[i * 8];
    CHECK_EQ(o[0], sum);
    CHECK_EQ(o[1], max);
    CHECK_EQ(o[2], min);
    CHECK_EQ(o[3], in[base + (lane ^ 1)]);
    CHECK_EQ(o[4], lane + 3 < 32 ? in[i + 3] : in[i]);
    CHECK_EQ(o[5], in[base + 5]);
    CHECK_EQ(o[6], prefix);
    CHECK_EQ(o[7], 496.0f);  // 0 + 1 + ... + 31
  }
}

template <typename T>
void check_matmul(const char* kernel, double tolerance, T (*make)(float), float (*value)(T)) {
  const uint32_t m = 16, n = 64, k = 24;
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<T> a(m * k), bt(n * k);
  for (T& x : a) x = make(u(rng));
  for (T& x : bt) x = make(u(rng));
  std::vector<T> c = poisoned<T>(m * n);
  std::vector<uint32_t> mnk = {m, n, k, 0};
  msl::Launch l = launch(kernel, {n / 32, m / 8, 1}, {128, 1, 1});
  l.buffers = {bind(0, a), bind(1, bt), bind(2, c), bind(3, mnk)};
  msl::run(l);
  for (uint32_t i = 0; i < m; ++i) {
    for (uint32_t j = 0; j < n; ++j) {
      double expected = 0;
      for (uint32_t p = 0; p < k; ++p) expected += static_cast<double>(value(a[i * k + p])) * value(bt[j * k + p]);
      CHECK(std::fabs(value(c[i * n + j]) - expected) <= tolerance);
    }
  }
}

TEST(simdgroup_matrix_products) {
  check_matmul<float>("matmul_float", 1e-5, [](float x) { return x; }, [](float x) { return x; });
  check_matmul<uint16_t>("matmul_half", 1e-2, [](float x) { return reference_half(x); }, &half_value);
  check_matmul<uint16_t>(
      "matmul_bfloat", 8e-2, [](float x) { return reference_bfloat(x); },
      [](uint16_t b) {
        const uint32_t bits = static_cast<uint32_t>(b) << 16;
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return f;
      });
}

TEST(misuse_is_reported_and_the_executor_recovers) {
  std::vector<float> out = poisoned<float>(1024);
  msl::Launch l = launch("divergent_simd", {1, 1, 1}, {64, 1, 1});
  l.buffers = {bind(0, out)};
  CHECK_CONTAINS(error_of(l), "kernel divergent_simd: lanes of simdgroup 0 are at different SIMD operations");
  l.kernel = "early_exit";
  CHECK_CONTAINS(error_of(l), "threadgroup_barrier at misuse.metal:21 reached by 40 of 64 threads (24 exited)");
  l.kernel = "lane_exit";
  CHECK_CONTAINS(error_of(l), "simd_sum at misuse.metal:30 reached by 31 of 32 lanes of simdgroup 0 (1 exited");
  l.kernel = "too_much_memory";
  CHECK_CONTAINS(error_of(l), "threadgroup memory needs 36864 bytes, over the 32 KB limit");
  l.kernel = "needs_bindings";
  CHECK_CONTAINS(error_of(l), "buffer(1) is not bound");
  std::vector<float> more = {1.0f};
  l.buffers.push_back(bind(1, more));
  CHECK_CONTAINS(error_of(l), "function constant required_value (7) is not defined");
  l.kernel = "no_such_kernel";
  CHECK_CONTAINS(error_of(l), "no kernel named no_such_kernel");
  l = launch("tg_reduce", {1, 1, 1}, {2048, 1, 1});
  CHECK_CONTAINS(error_of(l), "2048 threads per threadgroup");
  // Still fully working.
  std::vector<float> in(64, 1.0f), sums = poisoned<float>(1);
  l = launch("tg_reduce", {1, 1, 1}, {64, 1, 1});
  l.buffers = {bind(0, in), bind(1, sums)};
  msl::run(l);
  CHECK_EQ(sums[0], 64.0f);
}

int main() {
  register_simulator_test_kernels();
  return check::run_all();
}
