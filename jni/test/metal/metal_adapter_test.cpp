// The Metal adapter (src/metal, the Metal encoder and the Metal backend below libtorch) executed against the
// fake Metal: the list of every call it makes, the Objective-C runtime, the device, pipelines, no-copy buffers,
// command buffers, and PyTorch's MPS stream. Every test also fails on any violation the fake records and on
// objects left alive.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "backend/metal_backend.h"
#include "check.h"
#include "fake_metal/fake_metal.h"
#include "kernels/reference.h"
#include "log/log.h"
#include "metal/host_buffer.h"
#include "metal/plans.h"
#include "metal/symbols.h"

namespace metal = djl_metal::metal;
using djl_metal::backend::MetalBackend;
using djl_metal::call::Reason;
using djl_metal::call::Verdict;
using djl_metal::kernel::AttentionGeometry;
using djl_metal::kernel::Element;
using metal::objc::S;

namespace {

using metal::process_symbol;
using test_plans::geometry_for;
using test_plans::plan_for;
void* no_symbol(const char*) { return nullptr; }

const metal::Device& device() {
  std::string why;
  const metal::Device* d = metal::Device::get(&process_symbol, &why);
  if (!d) throw std::runtime_error("no fake Metal device: " + why);
  return *d;
}

// Fails the test on anything the fake recorded.
void expect_no_violations(const char* where) {
  for (const std::string& v : fake_metal::take_violations()) check::fail(where, 0, "fake Metal: " + v);
}

// Holds the count of live fake objects at construction and checks it again at the end of the scope.
struct NoLeaks {
  explicit NoLeaks(const char* where) : where(where), before((fake_metal::wait_idle(), fake_metal::live_objects())) {}
  ~NoLeaks() {
    fake_metal::wait_idle();
    const long after = fake_metal::live_objects();
    if (after != before) {
      check::fail(where, 0, "live fake objects " + std::to_string(before) + " -> " + std::to_string(after) + ": " +
                                fake_metal::live_object_classes());
    }
    expect_no_violations(where);
  }
  const char* where;
  long before;
};

// The first backticked name of every table row in a section of api_calls.md.
std::set<std::string> table_entries(const std::string& section) {
  std::ifstream in(DJL_METAL_API_TABLE);
  std::set<std::string> out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) inside = line == "## " + section;
    if (!inside || line.rfind("| `", 0) != 0) continue;
    const size_t open = line.find('`'), close = line.find('`', open + 1);
    out.insert(line.substr(open + 1, close - open - 1));
  }
  return out;
}

std::string joined(const std::set<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : " ") + n;
  return s;
}

void check_same(const std::set<std::string>& a, const char* a_name, const std::set<std::string>& b, const char* b_name) {
  std::set<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(only_a, only_a.end()));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::inserter(only_b, only_b.end()));
  if (!only_a.empty()) check::fail(__FILE__, __LINE__, std::string("only in ") + a_name + ": " + joined(only_a));
  if (!only_b.empty()) check::fail(__FILE__, __LINE__, std::string("only in ") + b_name + ": " + joined(only_b));
}

}  // namespace

TEST(api_table_lists_exactly_what_the_adapter_sends_and_the_fake_implements) {
  const std::set<std::string> table = table_entries("Selectors");
  CHECK(!table.empty());
  std::set<std::string> adapter;
  for (int i = 0; i < static_cast<int>(S::kSelectorCount); ++i) adapter.insert(metal::objc::selector_name(static_cast<S>(i)));
  const std::vector<std::string> implemented = fake_metal::implemented_selectors();
  check_same(table, "api_calls.md", adapter, "the adapter's DJL_METAL_SELECTORS");
  check_same(table, "api_calls.md", {implemented.begin(), implemented.end()}, "the fake");

  const std::set<std::string> functions = table_entries("Functions");
  std::set<std::string> looked_up;
  for (int i = 0; i < static_cast<int>(metal::F::kFunctionCount); ++i) looked_up.insert(metal::function_name(static_cast<metal::F>(i)));
  const std::vector<std::string> provided = fake_metal::provided_functions();
  check_same(functions, "api_calls.md", looked_up, "the adapter's DJL_METAL_FUNCTIONS");
  check_same(functions, "api_calls.md", {provided.begin(), provided.end()}, "the fake");
  for (const std::string& f : provided) {
    if (!dlsym(RTLD_DEFAULT, f.c_str())) check::fail(__FILE__, __LINE__, "the fake does not export " + f);
  }
}

TEST(unknown_selectors_and_dead_receivers_are_violations_not_crashes) {
  CHECK_EQ(metal::objc::load(&process_symbol), "");
  const metal::objc::Runtime& r = metal::objc::runtime();
  auto frobnicate = reinterpret_cast<long (*)(metal::objc::Id, metal::objc::Sel, long)>(r.msg_send);
  CHECK_EQ(frobnicate(metal::objc::cls("NSString"), r.sel_register_name("frobnicate:"), 7), 0);
  std::vector<std::string> v = fake_metal::take_violations();
  CHECK_EQ(v.size(), 1u);
  if (!v.empty()) CHECK_CONTAINS(v[0], "+[NSString frobnicate:]: unrecognized selector");

  metal::objc::Id released;
  {
    metal::objc::Owned options(metal::objc::send<S::kInit>(metal::objc::send<S::kAlloc>(metal::objc::cls("MTLCompileOptions"))));
    released = options.get();
  }
  metal::objc::send<S::kSetLanguageVersion>(released, 1ul);
  v = fake_metal::take_violations();
  CHECK_EQ(v.size(), 1u);
  if (!v.empty()) CHECK_CONTAINS(v[0], "setLanguageVersion: sent to a released MTLCompileOptions");
  // A nil receiver answers zero, as in Objective-C.
  CHECK_EQ(metal::objc::send<S::kCount>(nullptr), 0ul);
  expect_no_violations(__FILE__);
}

TEST(device_is_found_once_and_described) {
  NoLeaks no_leaks(__FILE__);
  const metal::Device& d = device();
  CHECK(&d == metal::Device::get(&process_symbol, nullptr));
  CHECK_CONTAINS(d.description(), "Fake Metal device (MSL simulator), GPU family Apple9");
  CHECK_EQ(d.page_size(), 16384u);
  CHECK_EQ(d.max_threadgroup_memory(), 32768u);
  CHECK(metal::os_at_least(15, 0));
  CHECK(!metal::os_at_least(15, 2));
}

TEST(device_is_refused_with_the_reason) {
  NoLeaks no_leaks(__FILE__);
  const struct {
    fake_metal::Fault fault;
    const char* why;
  } cases[] = {{fake_metal::Fault::kNoDevice, "no Metal device"},
               {fake_metal::Fault::kOldOs, "needs macOS 14 or later"},
               {fake_metal::Fault::kOldFamily, "is not of GPU family Apple7 or later"},
               {fake_metal::Fault::kNoQueue, "gave no command queue"}};
  for (const auto& c : cases) {
    fake_metal::inject(c.fault);
    std::string why;
    CHECK(!metal::Device::open(&process_symbol, &why));
    CHECK_CONTAINS(why, c.why);
    fake_metal::clear_faults();
  }
  std::string why;
  CHECK(metal::Device::open(&process_symbol, &why) != nullptr);
  // Without a window server connection there is no default device; the list of all devices still has it.
  fake_metal::inject(fake_metal::Fault::kNoDefaultDevice);
  std::unique_ptr<metal::Device> listed = metal::Device::open(&process_symbol, &why);
  fake_metal::clear_faults();
  CHECK(listed && listed->description() == device().description());
}

TEST(pipelines_are_built_once_even_under_concurrent_first_calls) {
  NoLeaks no_leaks(__FILE__);
  metal::Pipelines pipelines(device());
  const djl_metal::plan::Plan plan = plan_for(1, 2, 40, 50, 64);
  const long built = fake_metal::pipelines_built();
  std::atomic<int> ready{0};
  std::vector<metal::objc::Id> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < 8) {
      }
      metal::objc::Pool pool;
      std::string error;
      got[t] = pipelines.get(plan.dispatches[0], &error);
    });
  }
  for (auto& t : threads) t.join();
  for (metal::objc::Id p : got) CHECK(p && p == got[0]);
  CHECK_EQ(fake_metal::pipelines_built() - built, 1);
  const metal::CompileStats stats = pipelines.stats();
  CHECK_EQ(stats.libraries, 1u);
  CHECK_EQ(stats.pipelines, 1u);
  CHECK_EQ(stats.failures, 0u);
  CHECK(stats.library_nanos > 0 && stats.pipeline_nanos > 0);
}

TEST(a_failed_build_stays_disabled_with_apples_text) {
  NoLeaks no_leaks(__FILE__);
  const djl_metal::plan::Plan plan = plan_for(1, 1, 40, 40, 64);
  const struct {
    fake_metal::Fault fault;
    const char* text;
  } cases[] = {{fake_metal::Fault::kCompile, "did not compile sdpa_prefill.metal: code 3: program_source:1:1: error: injected compile failure"},
               {fake_metal::Fault::kFunction, "injected: function specialization failed"},
               {fake_metal::Fault::kPipeline, "injected pipeline failure"},
               {fake_metal::Fault::kThreadgroupMemory, "49152 bytes of threadgroup memory, the device has 32768"},
               {fake_metal::Fault::kSimdWidth, "SIMD width 64, the kernels need 32"},
               {fake_metal::Fault::kMaxThreads, "takes at most 64 threads per threadgroup, the plan launches 128"}};
  for (const auto& c : cases) {
    metal::Pipelines pipelines(device());
    metal::objc::Pool pool;
    fake_metal::inject(c.fault, 1);
    std::string error;
    CHECK(pipelines.get(plan.dispatches[0], &error) == nullptr);
    CHECK_CONTAINS(error, c.text);
    fake_metal::clear_faults();
    std::string again;
    CHECK(pipelines.get(plan.dispatches[0], &again) == nullptr);
    if (c.fault != fake_metal::Fault::kMaxThreads) CHECK_EQ(again, error);
  }
}

TEST(builds_are_logged_once_each_with_their_time_or_apples_text) {
  NoLeaks no_leaks(__FILE__);
  static std::vector<std::string> lines;
  lines.clear();
  djl_metal::log::set_sink([](int level, const char* message) { lines.push_back(std::to_string(level) + " " + message); }, true);
  {
    metal::Pipelines pipelines(device());
    metal::objc::Pool pool;
    std::string error;
    djl_metal::plan::Plan plan = plan_for(1, 1, 40, 40, 64);
    CHECK(pipelines.get(plan.dispatches[0], &error) != nullptr);
    CHECK(pipelines.get(plan.dispatches[0], &error) != nullptr);
    plan.dispatches[0].library = "sdpa_nonexistent";
    plan.dispatches[0].kernel = "sdpa_nonexistent_float_d64";
    CHECK(pipelines.get(plan.dispatches[0], &error) == nullptr);
    CHECK_CONTAINS(error, "no shader source named sdpa_nonexistent is embedded in this library");
  }
  djl_metal::log::set_sink(nullptr, false);
  CHECK_EQ(lines.size(), 3u);
  if (lines.size() == 3) {
    CHECK_CONTAINS(lines[0], "0 Metal: compiled sdpa_prefill.metal in ");
    CHECK_CONTAINS(lines[1], "0 Metal: built pipeline sdpa_prefill_float_d64|0=0|1=0|2=0|6=0|3=0|4=0 in ");
    CHECK_CONTAINS(lines[2], "2 Metal: no shader source named sdpa_nonexistent");
    CHECK_CONTAINS(lines[2], "its kernels run on PyTorch for the rest of the process");
  }
}

TEST(the_metal_encoder_refuses_what_metal_would_raise_on) {
  NoLeaks no_leaks(__FILE__);
  metal::objc::Pool pool;
  metal::objc::Id command_buffer = metal::objc::send<S::kCommandBuffer>(device().queue());
  const djl_metal::plan::Plan plan = plan_for(1, 1, 40, 40, 64);
  {
    djl_metal::encoder::MetalEncoder encoder(command_buffer, {}, {});
    CHECK_THROWS(encoder.set_pipeline(plan.dispatches[0]), "no pipeline was resolved for sdpa_prefill_float_d64");
    CHECK_THROWS(encoder.set_bytes(5, &plan, 5000), "setBytes of 5000 bytes");
    CHECK_THROWS(encoder.set_buffer(31, djl_metal::plan::Operand::kQuery), "buffer index 31");
    CHECK_THROWS(encoder.set_buffer(0, djl_metal::plan::Operand::kMask), "an operand this call does not have");
    CHECK_THROWS(encoder.dispatch({1, 1, 1}, {2048, 1, 1}), "dispatch of 2048 threads");
    CHECK_THROWS(encoder.dispatch({0, 1, 1}, {128, 1, 1}), "dispatch of 128 threads");
  }  // ended by its destructor
  metal::objc::send<S::kCommit>(command_buffer);
  metal::objc::send<S::kWaitUntilCompleted>(command_buffer);
}

TEST(compile_options_use_the_setters_the_os_has) {
  NoLeaks no_leaks(__FILE__);
  fake_metal::inject(fake_metal::Fault::kMacOs14);
  {
    metal::Pipelines pipelines(device());
    metal::objc::Pool pool;
    std::string error;
    CHECK(pipelines.get(plan_for(1, 1, 9, 9, 16).dispatches[0], &error) != nullptr);
    CHECK_EQ(error, "");
  }
  fake_metal::clear_faults();
}

TEST(host_memory_is_wrapped_in_whole_pages) {
  NoLeaks no_leaks(__FILE__);
  metal::PageSpan s = metal::page_span(reinterpret_cast<void*>(16384 * 3 + 100), 50, 16384);
  CHECK_EQ(s.start, 16384u * 3);
  CHECK_EQ(s.length, 16384u);
  s = metal::page_span(reinterpret_cast<void*>(16384 * 3 + 16380), 8, 16384);
  CHECK_EQ(s.length, 2 * 16384u);
  s = metal::page_span(reinterpret_cast<void*>(16384 * 2), 16384, 16384);
  CHECK_EQ(s.start, 16384u * 2);
  CHECK_EQ(s.length, 16384u);
  std::vector<float> memory(10000);
  metal::objc::Pool pool;
  metal::HostBuffer b = metal::wrap_host_memory(device(), memory.data() + 3, 400);
  CHECK(b.buffer);
  CHECK_EQ(b.offset, (reinterpret_cast<uintptr_t>(memory.data() + 3)) % 16384);
  fake_metal::inject(fake_metal::Fault::kNoBuffer, 1);
  CHECK(!metal::wrap_host_memory(device(), memory.data(), 400).buffer);
}

TEST(metal_failures_leave_the_call_to_pytorch_with_gpu_error) {
  NoLeaks no_leaks(__FILE__);
  MetalBackend::Settings settings;
  settings.libtorch_symbol = &process_symbol;
  MetalBackend backend(device(), settings);
  const djl_metal::plan::Plan plan = plan_for(1, 2, 33, 40, 64);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> q(2 * 33 * 64), k(2 * 40 * 64), v(2 * 40 * 64), out(2 * 33 * 64);
  for (auto* x : {&q, &k, &v}) {
    for (float& e : *x) e = normal(rng);
  }
  djl_metal::encoder::HostOperands ops;
  ops.query = {q.data(), q.size() * 4};
  ops.key = {k.data(), k.size() * 4};
  ops.value = {v.data(), v.size() * 4};
  ops.output = {out.data(), out.size() * 4};
  CHECK(backend.run_on_host(plan, ops).native());
  const std::vector<double> want = reference::sdpa(geometry_for(1, 2, 33, 40, 64), q.data(), k.data(), v.data(), nullptr);
  double worst = 0;
  for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(out[i] - want[i]));
  CHECK(worst <= 1e-5);
  // The completed command buffer's GPU time is counted, from its timestamps.
  CHECK_EQ(backend.gpu_time().command_buffers, 1u);
  CHECK(backend.gpu_time().nanos > 0);
  const struct {
    fake_metal::Fault fault;
    long code;
    const char* detail;
  } cases[] = {{fake_metal::Fault::kCommandBufferError, 3, "command buffer error (code 3: Command buffer execution failed"},
               {fake_metal::Fault::kCommandBufferError, 8, "code 8"},
               {fake_metal::Fault::kNoCommandBuffer, 0, "Metal gave no command buffer"},
               {fake_metal::Fault::kNoEncoder, 0, "encoding failed: Metal gave no compute command encoder"},
               {fake_metal::Fault::kNoBuffer, 0, "Metal would not wrap"}};
  for (const auto& c : cases) {
    fake_metal::inject(c.fault, 1, c.code);
    const Verdict verdict = backend.run_on_host(plan, ops);
    CHECK(verdict.reason == Reason::kGpuError);
    CHECK_CONTAINS(verdict.detail, c.detail);
    fake_metal::clear_faults();
  }
  CHECK(backend.run_on_host(plan, ops).native());
  CHECK_EQ(backend.gpu_time().command_buffers, 2u);  // failed ones are not
}

TEST(mps_operands_are_the_tensor_buffer_and_its_offset) {
  char storage[64] = {};
  const djl_metal::encoder::MetalOperand o = djl_metal::backend::mps_operand(storage + 12, 3, 4);
  CHECK(reinterpret_cast<char*>(o.buffer) == storage);
  CHECK_EQ(o.offset, 12u);
}

namespace {

// An MPS-stream call: q, k, v at element offsets inside their buffers (views into larger MPS tensors), written by
// PyTorch copies encoded before the kernels, and the output read by a PyTorch copy encoded after them.
// expected_order: what the GPU runs once torch::mps::commit() has committed PyTorch's command buffer (its
// copies and our kernels), then "copy", PyTorch's work after ours.
void run_on_stream(int64_t h, int64_t lq, int64_t lk, int64_t d, std::vector<std::string> expected_order) {
  MetalBackend::Settings settings;
  settings.libtorch_symbol = &process_symbol;
  MetalBackend backend(device(), settings);
  const djl_metal::plan::Plan plan = plan_for(1, h, lq, lk, d);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  auto fill = [&](size_t n) {
    std::vector<float> x(n);
    for (float& e : x) e = normal(rng);
    return x;
  };
  const size_t nq = static_cast<size_t>(h * lq * d), nk = static_cast<size_t>(h * lk * d);
  const std::vector<float> q = fill(nq), k = fill(nk), v = fill(nk);
  constexpr uint64_t kOffset = 48;  // elements: the tensors are views at a storage offset
  auto staged = [&](const std::vector<float>& x) {
    void* b = fake_metal::new_buffer(x.size() * 4);
    std::memcpy(fake_metal::buffer_contents(b), x.data(), x.size() * 4);
    return b;
  };
  void* q_stage = staged(q);
  void* k_stage = staged(k);
  void* v_stage = staged(v);
  void* q_mps = fake_metal::new_buffer((kOffset + nq) * 4);
  void* k_mps = fake_metal::new_buffer((kOffset + nk) * 4);
  void* v_mps = fake_metal::new_buffer((kOffset + nk) * 4);
  void* out_mps = fake_metal::new_buffer(nq * 4);
  void* result = fake_metal::new_buffer(nq * 4);
  void* partials = plan.partials_bytes ? fake_metal::new_buffer(plan.partials_bytes) : nullptr;
  std::memset(fake_metal::buffer_contents(q_mps), 0xff, (kOffset + nq) * 4);  // stale until PyTorch's copy runs
  fake_metal::take_executed();

  fake_metal::mps_encode_copy(q_stage, 0, q_mps, kOffset * 4, nq * 4);
  fake_metal::mps_encode_copy(k_stage, 0, k_mps, kOffset * 4, nk * 4);
  fake_metal::mps_encode_copy(v_stage, 0, v_mps, kOffset * 4, nk * 4);
  djl_metal::encoder::MetalOperands ops;
  ops.query = {static_cast<metal::objc::Id>(q_mps), kOffset * 4};
  ops.key = {static_cast<metal::objc::Id>(k_mps), kOffset * 4};
  ops.value = {static_cast<metal::objc::Id>(v_mps), kOffset * 4};
  ops.output = {static_cast<metal::objc::Id>(out_mps), 0};
  if (partials) ops.partials = {static_cast<metal::objc::Id>(partials), 0};
  CHECK(backend.run_on_mps_stream(plan, ops).native());
  fake_metal::wait_idle();
  CHECK(fake_metal::take_executed() == expected_order);  // committed by us the PyTorch way, not yet synchronised
  fake_metal::mps_encode_copy(out_mps, 0, result, 0, nq * 4);
  fake_metal::mps_synchronize();
  CHECK(fake_metal::take_executed() == std::vector<std::string>{"copy"});

  const std::vector<double> want = reference::sdpa(geometry_for(1, h, lq, lk, d), q.data(), k.data(), v.data(), nullptr);
  const auto* got = static_cast<const float*>(fake_metal::buffer_contents(result));
  double worst = 0;
  for (size_t i = 0; i < nq; ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
  if (!(worst <= 1e-5)) check::fail(__FILE__, __LINE__, "MPS stream result off by " + std::to_string(worst));
  for (void* b : {q_stage, k_stage, v_stage, q_mps, k_mps, v_mps, out_mps, result, partials}) {
    if (b) fake_metal::release(b);
  }
}

}  // namespace

TEST(mps_kernels_run_between_pytorch_work_before_and_after) {
  NoLeaks no_leaks(__FILE__);
  run_on_stream(2, 40, 50, 64, {"copy", "copy", "copy", "sdpa_prefill_float_d64"});
  run_on_stream(2, 1, 700, 64,
                {"copy", "copy", "copy", "sdpa_decode_float_d64", "barrier", "sdpa_decode_reduce_float_upto64"});
}

TEST(mps_encoding_failures_give_gpu_error) {
  NoLeaks no_leaks(__FILE__);
  MetalBackend::Settings settings;
  settings.libtorch_symbol = &process_symbol;
  MetalBackend backend(device(), settings);
  void* buffer = fake_metal::new_buffer(1 << 16);
  const djl_metal::encoder::MetalOperand o{static_cast<metal::objc::Id>(buffer), 0};
  djl_metal::encoder::MetalOperands ops;
  ops.query = ops.key = ops.value = ops.output = o;
  fake_metal::inject(fake_metal::Fault::kNoEncoder, 1);
  const Verdict verdict = backend.run_on_mps_stream(plan_for(1, 1, 9, 9, 16), ops);
  CHECK(verdict.reason == Reason::kGpuError);
  CHECK_CONTAINS(verdict.detail, "encoding on the MPS stream failed: Metal gave no compute command encoder");
  fake_metal::mps_synchronize();
  fake_metal::release(buffer);
}

TEST(the_backend_reads_cpu_and_mps_tensors_and_decides_by_device) {
  djl_metal::torch::Shim shim;  // dtype and device codes as libtorch 2.7 numbers them
  shim.dtype_bool = 11, shim.dtype_float16 = 5, shim.dtype_bfloat16 = 15, shim.dtype_float32 = 6, shim.dtype_float64 = 7;
  shim.device_cpu = 0;
  djl_metal::torch::install_shim_for_testing(shim);
  auto facts = [](int32_t device, int64_t length) {
    djl_metal::call::CallFacts f;
    for (djl_metal::torch::TensorInfo* t : {&f.q, &f.k, &f.v}) {
      t->sizes = {1, 4, length, 64};
      t->strides = {4 * length * 64, length * 64, 64, 1};
      t->dtype = 6;
      t->device_type = device;
      t->data = &f;
    }
    return f;
  };
  MetalBackend::Settings settings;
  settings.libtorch_symbol = &process_symbol;
  MetalBackend backend(device(), settings);
  AttentionGeometry g;
  CHECK(backend.support(facts(13, 8), &g).native());  // MPS: no round trip to repay
  CHECK(backend.support(facts(0, 8), &g).reason == Reason::kSmallCall);
  CHECK(backend.support(facts(0, 512), &g).native());  // 4 * 4 * 512 * 512 * 64 FLOPs
  CHECK(backend.support(facts(1, 512), &g).reason == Reason::kDevice);  // CUDA
  settings.libtorch_symbol = &no_symbol;
  MetalBackend without_stream(device(), settings);
  const Verdict verdict = without_stream.support(facts(13, 8), &g);
  CHECK(verdict.reason == Reason::kMpsUnavailable);
  CHECK_CONTAINS(verdict.detail, "libtorch lacks _ZN5torch3mps18get_dispatch_queueEv");
  CHECK(without_stream.support(facts(0, 512), &g).native());
}

TEST(mps_calls_fall_back_where_libtorch_lacks_the_stream_functions) {
  NoLeaks no_leaks(__FILE__);
  MetalBackend::Settings settings;
  settings.libtorch_symbol = &no_symbol;
  MetalBackend backend(device(), settings);
  const Verdict verdict = backend.run_on_mps_stream(plan_for(1, 1, 9, 9, 16), {});
  CHECK(verdict.reason == Reason::kMpsUnavailable);
  CHECK_CONTAINS(verdict.detail, "_ZN5torch3mps18get_dispatch_queueEv, _ZN5torch3mps18get_command_bufferEv");
  CHECK_CONTAINS(backend.describe(), "MPS tensors stay on PyTorch");
}

int main() {
  // The process's device and queue live as long as the process; leak checks count from after them.
  device();
  return check::run_all();
}
