#include "router/router.h"

#include <atomic>

#include "log/log.h"
#include "router/breaker.h"
#include "router/shadow.h"
#include "router/fallback.h"
#include "router/stats.h"
#include "router/validate.h"
#include "torch/op.h"

namespace djl_metal::router {
namespace {

using backend::NativeBackend;
using call::CallFacts;
using call::Reason;
using call::SdpaCall;
using call::Verdict;

std::atomic<Mode> g_mode{Mode::kAuto};
std::atomic<NativeBackend*> g_backend{nullptr};

bool grad_required(const SdpaCall& c) {
  if (!torch::shim().grad_mode_is_enabled()) return false;
  return torch::requires_grad(c.query.get()) || torch::requires_grad(c.key.get()) ||
         torch::requires_grad(c.value.get()) || (c.attn_mask && torch::requires_grad(c.attn_mask.get()));
}

// What no backend runs natively comes first; the backend decides the rest.
Verdict decide(const SdpaCall& call, const CallFacts& facts, Entry entry, NativeBackend* backend,
               kernel::AttentionGeometry* geometry) {
  if (!backend) return Reason::kNoBackend;
  if (entry == Entry::kAboveAutograd && grad_required(call)) return Reason::kGradient;
  if (facts.dropout_p != 0.0) return Reason::kDropout;
  if (!breaker_allows()) return Reason::kSuspended;
  if (shadow_disabled(facts)) return Reason::kDiverged;
  return backend->support(facts, geometry);
}

std::string with_detail(const Verdict& v) {
  std::string s = std::string(call::reason_text(v.reason)) + " [" + call::reason_id(v.reason) + "]";
  return v.detail.empty() ? s : s + " (" + v.detail + ")";
}

void log_call(const CallFacts& facts, const std::string& path) {
  if (log::debug_enabled()) log::write(log::Level::kDebug, "SDPA " + facts.describe() + " -> " + path);
}

}  // namespace

void configure(Mode mode, NativeBackend* backend) {
  g_mode.store(mode);
  g_backend.store(backend);
  reset_breaker();
}

Mode mode() { return g_mode.load(std::memory_order_relaxed); }

NativeBackend* active_backend() { return g_backend.load(std::memory_order_relaxed); }

namespace {

// The call's facts, once they pass validation (PyTorch's checks, or clearer ones).
CallFacts valid_facts(const SdpaCall& call) {
  CallFacts facts = CallFacts::read(call);
  const std::string error = validate(facts);
  if (!error.empty()) throw SdpaError(error);
  return facts;
}

torch::Tensor decide_and_run(const SdpaCall& call, Entry entry) {
  const CallFacts facts = valid_facts(call);

  const Mode m = mode();
  NativeBackend* backend = active_backend();
  Verdict verdict = Reason::kDisabled;
  kernel::AttentionGeometry geometry;
  if (m != Mode::kOff) verdict = decide(call, facts, entry, backend, &geometry);

  if (verdict.native()) {
    geometry.output = pytorch_output_layout(call, facts);
    backend::Outcome outcome = backend->run(call, facts, geometry);
    if (outcome.verdict.reason == Reason::kGpuError) breaker_failure(monotonic_nanos(), with_detail(outcome.verdict));
    if (outcome.verdict.native()) {
      breaker_success();
      count_native(backend->kind());
      log_call(facts, std::string("native kernel on ") + backend::backend_name(backend->kind()));
      if (facts.q.device_type == torch::shim().device_cpu && shadow_sample()) {
        torch::Tensor pytorch = shadow_check(call, facts, geometry.element, outcome.output);
        if (pytorch) return pytorch;
      }
      return std::move(outcome.output);
    }
    verdict = std::move(outcome.verdict);
  }
  if (m == Mode::kNative) {
    count_rejected(verdict.reason);
    throw SdpaRefused("scaled_dot_product_attention cannot run natively (ai.djl.metal.sdpa=native): " +
                      with_detail(verdict) + "; call: " + facts.describe());
  }
  // Counted once PyTorch has computed it: a call that fails there is an error, not a fallback.
  torch::Tensor out = pytorch_sdpa(call, facts);
  count_fallback(verdict.reason);
  // No backend is the normal state of a machine without a GPU, said once at start (INFO), not a warning.
  if (first_fallback(verdict.reason) && verdict.reason != Reason::kNoBackend) {
    log::write(log::Level::kWarn, "SDPA falls back to PyTorch: " + with_detail(verdict) + ", first seen for " +
                                      facts.describe() + ". Later calls for this reason are counted in the stats, not logged.");
  }
  log_call(facts, std::string("PyTorch [") + call::reason_id(verdict.reason) + "]");
  return out;
}

}  // namespace

torch::Tensor route(const SdpaCall& call, Entry entry) {
  try {
    return decide_and_run(call, entry);
  } catch (const SdpaRefused&) {
    throw;  // counted as rejected
  } catch (...) {
    count_error();
    throw;
  }
}

torch::Tensor pass_through(const SdpaCall& call) { return pytorch_sdpa(call, valid_facts(call)); }

}  // namespace djl_metal::router
