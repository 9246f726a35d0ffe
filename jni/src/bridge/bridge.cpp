#include "bridge/bridge.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "backend/registry.h"
#include "log/log.h"
#include "router/breaker.h"
#include "router/override.h"
#include "router/router.h"
#include "router/shadow.h"
#include "router/scope.h"
#include "router/stats.h"
#include "torch/op.h"

namespace djl_metal::bridge {
namespace {

using backend::BackendKind;
using call::Reason;

constexpr int kBreakerStats = 2;  // suspended now, times suspended
constexpr int kShadowStats = 6;   // shadowed calls, divergent ones, their nanoseconds, max error per dtype (double bits)
constexpr int kDeviceStats = 7;   // compile stats (5), then GPU time (2)

torch::AtenTensorHandle handle(int64_t h, const char* what) {
  if (h == 0) throw std::invalid_argument(std::string("scaled_dot_product_attention: ") + what + " is null");
  // DJL gives string arrays, which have no tensor, the handle -1.
  if (h == -1) throw std::invalid_argument(std::string("scaled_dot_product_attention: ") + what + " is not a tensor");
  return reinterpret_cast<torch::AtenTensorHandle>(static_cast<intptr_t>(h));
}

void require_torch() {
  const std::string error = torch::load_shim();
  if (!error.empty()) throw std::runtime_error(error);
}

int32_t dtype_code(int dtype) {
  const torch::Shim& s = torch::shim();
  switch (dtype) {
    case 0: return s.dtype_float32;
    case 1: return s.dtype_float16;
    case 2: return s.dtype_bfloat16;
    case 3: return s.dtype_float64;
    default: throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
  }
}

}  // namespace

std::string load_torch() { return torch::load_shim(); }

std::string select_backend(int request, double cpu_min_flops) {
  if (request < 0 || request > 2) throw std::invalid_argument("unknown backend request " + std::to_string(request));
  if (std::isnan(cpu_min_flops)) throw std::invalid_argument("cpu_min_flops is not a number");
  require_torch();
  backend::Settings settings;
  settings.request = static_cast<backend::Request>(request);
  settings.cpu_min_flops = cpu_min_flops;
  const backend::Selection selection = backend::select_backend(settings);
  router::configure(router::mode(), selection.backend);
  return selection.why;
}

int active_backend() {
  backend::NativeBackend* b = router::active_backend();
  return static_cast<int>(b ? b->kind() : BackendKind::kNone);
}

bool active_backend_reads_mps() {
  backend::NativeBackend* b = router::active_backend();
  return b && b->reads_mps();
}

std::string start_router(int mode) {
  if (mode < 0 || mode > 2) throw std::invalid_argument("unknown SDPA mode " + std::to_string(mode));
  backend::NativeBackend* backend = router::active_backend();
  router::configure(static_cast<router::Mode>(mode), backend);
  if (mode == static_cast<int>(router::Mode::kOff)) return "";
  const std::string error = torch::load_shim();
  return error.empty() ? router::install_override(backend && backend->reads_mps()) : error;
}

void configure_breaker(int failures, double seconds) {
  if (failures < 0) throw std::invalid_argument("breaker failures must be >= 0");
  if (!(seconds >= 0.0 && seconds <= 1e6)) throw std::invalid_argument("breaker seconds must be 0 to 1e6");
  router::configure_breaker({failures, static_cast<int64_t>(seconds * 1e9)});
}

void configure_shadow(double fraction, bool disable_diverged) {
  if (!(fraction >= 0.0 && fraction <= 1.0)) throw std::invalid_argument("shadow fraction must be 0 to 1");
  router::configure_shadow({fraction, disable_diverged});
}

void enter_metal_scope() { router::enter_metal_scope(); }

void exit_metal_scope() { router::exit_metal_scope(); }

void set_log_function(LogFunction fn, bool debug) { log::set_sink(fn, debug); }

int64_t scaled_dot_product_attention(int64_t query, int64_t key, int64_t value, int64_t mask, double dropout_p,
                                     bool is_causal, bool has_scale, double scale, bool enable_gqa) {
  require_torch();
  call::SdpaCall call;
  call.query = torch::Tensor::share(handle(query, "query"));
  call.key = torch::Tensor::share(handle(key, "key"));
  call.value = torch::Tensor::share(handle(value, "value"));
  if (mask != 0) call.attn_mask = torch::Tensor::share(handle(mask, "attn_mask"));
  call.dropout_p = dropout_p;
  call.is_causal = is_causal;
  if (has_scale) call.scale = scale;
  call.enable_gqa = enable_gqa;
  // The Java API enters above autograd, like a PyTorch caller would.
  torch::Tensor out = router::route(call, router::Entry::kAboveAutograd);
  return static_cast<int64_t>(reinterpret_cast<intptr_t>(out.release()));
}

int stats(int64_t* out, int capacity) {
  const router::StatsSnapshot s = router::stats_snapshot();
  const int backends = backend_count(), reasons = reason_count();
  const int needed = backends + 2 * reasons + 1 + kBreakerStats + kShadowStats + kDeviceStats;
  if (!out || capacity < needed) throw std::invalid_argument("stats buffer needs " + std::to_string(needed) + " slots");
  int i = 0;
  for (int b = 0; b < backends; ++b) out[i++] = static_cast<int64_t>(s.native[b]);
  for (int r = 0; r < reasons; ++r) out[i++] = static_cast<int64_t>(s.fallback[r]);
  for (int r = 0; r < reasons; ++r) out[i++] = static_cast<int64_t>(s.rejected[r]);
  out[i++] = static_cast<int64_t>(s.errors);
  const router::BreakerState breaker = router::breaker_state(router::monotonic_nanos());
  out[i++] = breaker.suspended ? 1 : 0;
  out[i++] = static_cast<int64_t>(breaker.trips);
  const router::ShadowStats shadow = router::shadow_stats();
  out[i++] = static_cast<int64_t>(shadow.calls);
  out[i++] = static_cast<int64_t>(shadow.divergences);
  out[i++] = static_cast<int64_t>(shadow.nanos);
  for (double e : shadow.max_error) {
    int64_t bits;
    std::memcpy(&bits, &e, sizeof bits);  // the double's bits: Java reads them with Double.longBitsToDouble
    out[i++] = bits;
  }
  backend::NativeBackend* b = router::active_backend();
  const backend::CompileStats c = b ? b->compile_stats() : backend::CompileStats{};
  const backend::GpuTime g = b ? b->gpu_time() : backend::GpuTime{};
  for (uint64_t v : {c.libraries, c.library_nanos, c.pipelines, c.pipeline_nanos, c.failures, g.command_buffers, g.nanos}) {
    out[i++] = static_cast<int64_t>(v);
  }
  return i;
}

void thread_calls(int64_t* out) {
  if (!out) throw std::invalid_argument("thread_calls needs 4 slots");
  const router::ThreadCalls c = router::thread_calls();
  out[0] = static_cast<int64_t>(c.native);
  out[1] = static_cast<int64_t>(c.fallback);
  out[2] = static_cast<int64_t>(c.rejected);
  out[3] = static_cast<int64_t>(c.errors);
}

int backend_count() { return static_cast<int>(BackendKind::kCount); }

int reason_count() { return static_cast<int>(Reason::kCount); }

std::string backend_id(int backend) {
  if (backend < 0 || backend >= backend_count()) throw std::invalid_argument("unknown backend " + std::to_string(backend));
  return backend::backend_name(static_cast<BackendKind>(backend));
}

std::string reason_id(int reason) {
  if (reason < 0 || reason >= reason_count()) throw std::invalid_argument("unknown reason " + std::to_string(reason));
  return call::reason_id(static_cast<Reason>(reason));
}

int64_t to_dtype(int64_t tensor, int dtype) {
  require_torch();
  using Result = torch::OpCall::Result;
  torch::OpCall to("aten::to", "dtype");
  to.tensor(handle(tensor, "tensor")).i64(dtype_code(dtype)).boolean(false).boolean(false).none();
  to.run({Result::kTensor});
  return static_cast<int64_t>(reinterpret_cast<intptr_t>(to.take_tensor(0).release()));
}

int dtype_of(int64_t tensor) {
  require_torch();
  const int32_t code = torch::TensorInfo::read(handle(tensor, "tensor")).dtype;
  for (int d = 0; d < 4; ++d) {
    if (dtype_code(d) == code) return d;
  }
  return -1;
}

}  // namespace djl_metal::bridge
