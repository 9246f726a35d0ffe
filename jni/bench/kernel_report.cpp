// What the SDPA kernels do, counted exactly by the MSL simulator (a counting build: DJL_METAL_COUNTING): per
// kernel and shape, 8x8 matrix products, threadgroup-memory traffic and bank conflicts, device traffic
// (requested and distinct) and barriers, each per key, and the threadgroup memory that decides how many
// threadgroups a GPU core holds. Not a timing: these are the operation counts that make a kernel fast or
// slow on a GPU, and a roofline estimate from them for published chips (an estimate, not a measurement).
//
// Per key means per key and per 32 query rows for prefill (whatever the kernel's own tile), and per key and
// KV head for decode (where the point is reading each K/V row once). The plan is made for the full shape
// (so decode splits as it would), and the simulator runs the threadgroups of its first head only (one query
// head of prefill, the query heads of the first KV head in decode): per-key figures do not depend on the head
// count, and the roofline scales the totals to the full shape.
//
// Usage: kernel_report [--markdown FILE]   (TSV on standard output)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "encoder/plan_runner.h"
#include "encoder/simulator_encoder.h"
#include "plan/attention_plan.h"
#include "sdpa_params.h"
#include "simulator/launch.h"

using djl_metal::kernel::AttentionGeometry;
using djl_metal::kernel::Element;

namespace {

struct Shape {
  const char* name;
  int64_t heads_q, heads_kv, len_q, len_k, head_dim;  // the full shape (B = 1)
  Element element;
  int64_t simulated_heads_q;  // the first query heads, those of the first KV head
};

// Published peaks of Apple GPUs (../shared/notes/kernel-performance.md): FP32 = FP16 TFLOPS, memory GB/s.
struct Chip {
  const char* name;
  double tflops, gbps;
};
constexpr Chip kChips[] = {{"M1 Max", 10.6, 400}, {"M2 Max", 13.6, 400}, {"M3 Max", 14.3, 400}, {"M4 Max", 17.0, 546}};

const char* element_name(Element e) { return e == Element::kFloat32 ? "f32" : e == Element::kFloat16 ? "f16" : "bf16"; }

struct Row {
  std::string kernel;
  const Shape* shape;
  msl::Counters counts;
  double units;
};

uint64_t device_bytes(const uint64_t* by_buffer) {
  uint64_t n = 0;
  for (int b = 0; b < 31; ++b) {
    if (b != SDPA_BUFFER_PARAMS) n += by_buffer[b];
  }
  return n;
}

// Runs one shape through the plan and the simulator encoder, counted; returns a row per dispatch.
std::vector<Row> run(const Shape& s, double* seconds) {
  AttentionGeometry g;
  g.batch = 1, g.heads_q = s.heads_q, g.heads_kv = s.heads_kv, g.len_q = s.len_q, g.len_k = s.len_k;
  g.head_dim = s.head_dim;
  g.element = s.element;
  g.scale = 1.0 / std::sqrt(static_cast<double>(s.head_dim));
  const int64_t eb = djl_metal::kernel::element_bytes(s.element);
  g.q_stride[0] = s.heads_q * s.len_q * s.head_dim, g.q_stride[1] = s.len_q * s.head_dim, g.q_stride[2] = s.head_dim;
  g.k_stride[0] = g.v_stride[0] = s.heads_kv * s.len_k * s.head_dim;
  g.k_stride[1] = g.v_stride[1] = s.len_k * s.head_dim;
  g.k_stride[2] = g.v_stride[2] = s.head_dim;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  // Finite values of any element type: random bytes with the exponent's top bit cleared.
  auto random = [&](int64_t elements) {
    std::vector<unsigned char> v(static_cast<size_t>(elements * eb));
    for (size_t i = 0; i < v.size(); ++i) {
      const bool top = static_cast<int64_t>(i % static_cast<size_t>(eb)) == eb - 1;
      v[i] = static_cast<unsigned char>(byte(rng) & (top ? 0x3f : 0xff));
    }
    return v;
  };
  // Memory for the simulated heads only: no threadgroup that runs reads or writes beyond them.
  auto q = random(s.simulated_heads_q * s.len_q * s.head_dim);
  auto k = random(s.len_k * s.head_dim);
  auto v = random(s.len_k * s.head_dim);
  std::vector<unsigned char> out(q.size());
  djl_metal::plan::Plan plan =
      djl_metal::plan::plan_attention(g, {s.heads_q * s.len_q * s.head_dim, s.len_q * s.head_dim, s.head_dim});
  // The grids, cut to the threadgroups of those heads: prefill's y is the query head, decode's z the KV head,
  // the reduction's z the query head.
  for (djl_metal::plan::Dispatch& d : plan.dispatches) {
    if (d.kernel.rfind("sdpa_prefill", 0) == 0) d.threadgroups.y = static_cast<uint32_t>(s.simulated_heads_q);
    if (d.kernel.rfind("sdpa_decode_reduce", 0) == 0) {
      d.threadgroups.z = static_cast<uint32_t>(s.simulated_heads_q);
    } else if (d.kernel.rfind("sdpa_decode", 0) == 0) {
      d.threadgroups.z = 1;
    }
  }
  std::vector<unsigned char> partials(plan.partials_bytes);
  djl_metal::encoder::HostOperands ops;
  ops.query = {q.data(), q.size()};
  ops.key = {k.data(), k.size()};
  ops.value = {v.data(), v.size()};
  ops.output = {out.data(), out.size()};
  if (!partials.empty()) ops.partials = {partials.data(), partials.size()};
  std::vector<msl::Counters> counts;
  const auto start = std::chrono::steady_clock::now();
  djl_metal::encoder::SimulatorEncoder encoder(ops, &counts);
  djl_metal::encoder::encode_plan(plan, encoder);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const bool decode = plan.dispatches[0].kernel.rfind("sdpa_decode", 0) == 0;
  const double units = decode ? static_cast<double>(s.len_k)
                              : static_cast<double>(s.simulated_heads_q * ((s.len_q + 31) / 32) * s.len_k);
  std::vector<Row> rows;
  for (size_t i = 0; i < plan.dispatches.size(); ++i) rows.push_back({plan.dispatches[i].kernel, &s, counts[i], units});
  return rows;
}

std::string fixed(double v, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", digits, v);
  return buffer;
}

}  // namespace

int main(int argc, char** argv) {
  std::string markdown;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--markdown" && i + 1 < argc) markdown = argv[++i];
  }
  std::vector<Shape> shapes;
  for (Element e : {Element::kFloat16, Element::kFloat32}) {
    for (int64_t d : {64, 128}) {
      shapes.push_back({"prefill L=2048 H=16", 16, 16, 2048, 2048, d, e, 1});
      shapes.push_back({"decode Lk=4096 GQA 32/8", 32, 8, 1, 4096, d, e, 4});
      shapes.push_back({"decode Lk=32768 GQA 32/8", 32, 8, 1, 32768, d, e, 4});
    }
  }

  const char* header =
      "shape\tkernel\tdtype\thead_dim\tlen_q\tlen_k\tgroup\tthreadgroups\tthreadgroup_bytes\t"
      "resident_threadgroups_per_core\tmma_per_key\ttg_bytes_per_key\tbank_conflicts_per_key\t"
      "matrix_bank_conflicts_per_key\t"
      "device_bytes_per_key\tdevice_distinct_bytes_per_key\tbarriers_per_key\tsimd_barriers_per_key";
  std::printf("%s\n", header);
  std::ostringstream md;
  md << "| Shape | Kernel | Type | D | TG bytes | TG/core | MMA/key | TG bytes/key | Conflicts/key (matrix) | "
        "Device bytes/key | Distinct/key | Barriers/key |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  std::ostringstream roof;
  roof << "shape\tdtype\thead_dim\tgflop\tdevice_mb_distinct\tdevice_mb_requested";
  for (const Chip& c : kChips) roof << "\t" << c.name << "_us";
  roof << "\n";
  double simulated = 0;
  for (const Shape& s : shapes) {
    double seconds = 0;
    const std::vector<Row> rows = run(s, &seconds);
    simulated += seconds;
    double mma = 0, distinct = 0, requested = 0;
    for (const Row& r : rows) {
      const msl::Counts& t = r.counts.total;
      const double u = r.units;
      const size_t tg = r.counts.threadgroup_memory_bytes;
      const std::string cells[] = {
          s.name, r.kernel, element_name(s.element), std::to_string(s.head_dim), std::to_string(s.len_q),
          std::to_string(s.len_k), std::to_string(s.heads_q / s.heads_kv), std::to_string(r.counts.threadgroups),
          std::to_string(tg), std::to_string(tg ? 32768 / tg : 0), fixed(t.mma / u, 3),
          fixed((t.threadgroup_read_bytes + t.threadgroup_write_bytes) / u, 1), fixed(t.bank_conflicts / u, 3),
          fixed(t.matrix_bank_conflicts / u, 3),
          fixed((device_bytes(r.counts.read_bytes) + device_bytes(r.counts.write_bytes)) / u, 1),
          fixed((device_bytes(r.counts.distinct_read_bytes) + device_bytes(r.counts.distinct_write_bytes)) / u, 1),
          fixed(t.threadgroup_barriers / u, 4), fixed(t.simdgroup_barriers / u, 4)};
      std::string line;
      for (const std::string& c : cells) line += (line.empty() ? "" : "\t") + c;
      std::printf("%s\n", line.c_str());
      md << "| " << s.name << " | `" << r.kernel << "` | " << cells[2] << " | " << cells[3] << " | " << cells[8]
         << " | " << cells[9] << " | " << cells[10] << " | " << cells[11] << " | " << cells[12] << " (" << cells[13]
         << ") | " << cells[14] << " | " << cells[15] << " | " << cells[16] << " |\n";
      mma += t.mma;
      distinct += device_bytes(r.counts.distinct_read_bytes) + device_bytes(r.counts.distinct_write_bytes);
      requested += device_bytes(r.counts.read_bytes) + device_bytes(r.counts.write_bytes);
    }
    // The full shape: every head, at the counted cost per head.
    const double scale = static_cast<double>(s.heads_q) / static_cast<double>(s.simulated_heads_q);
    const double flop = mma * 1024 * scale;  // an 8x8x8 product is 512 multiply-adds
    roof << s.name << "\t" << element_name(s.element) << "\t" << s.head_dim << "\t" << fixed(flop / 1e9, 2) << "\t"
         << fixed(distinct * scale / 1e6, 2) << "\t" << fixed(requested * scale / 1e6, 2);
    for (const Chip& c : kChips) {
      roof << "\t" << fixed(std::max(flop / (c.tflops * 1e12), requested * scale / (c.gbps * 1e9)) * 1e6, 1);
    }
    roof << "\n";
  }
  std::printf("\n# Roofline ESTIMATE from these counts (not a measurement): microseconds at published peak "
              "compute and bandwidth, device traffic as requested (caches would cut it toward distinct)\n%s",
              roof.str().c_str());
  std::printf("\n# simulated in %.1f s\n", simulated);
  if (!markdown.empty()) {
    std::ofstream file(markdown);
    file << md.str();
  }
  return 0;
}
