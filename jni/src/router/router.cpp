#include "router/router.h"

#include <atomic>

#include "router/fallback.h"
#include "router/log.h"
#include "router/stats.h"
#include "router/support.h"
#include "router/validate.h"
#include "torch/op.h"

namespace djl_metal::router {
namespace {

std::atomic<Mode> g_mode{Mode::kAuto};
std::atomic<NativeBackend*> g_backend{nullptr};

// The shim has no requires_grad getter. A fresh alias of a tensor that requires grad records a backward node
// (grad mode is on here), so it is not a leaf; an alias of anything else is.
bool requires_grad(torch::AtenTensorHandle t) {
  using Result = torch::OpCall::Result;
  torch::OpCall alias("aten::alias", "");
  alias.tensor(t).run({Result::kTensor});
  torch::Tensor view = alias.take_tensor(0);
  torch::OpCall leaf("aten::is_leaf", "");
  leaf.tensor(view.get()).run({Result::kBool});
  return !leaf.bool_result(0);
}

bool grad_required(const SdpaCall& c) {
  if (!torch::shim().grad_mode_is_enabled()) return false;
  return requires_grad(c.query.get()) || requires_grad(c.key.get()) || requires_grad(c.value.get()) ||
         (c.attn_mask && requires_grad(c.attn_mask.get()));
}

void log_call(const CallFacts& facts, const std::string& path) {
  if (debug_enabled()) log(LogLevel::kDebug, "SDPA " + facts.describe() + " -> " + path);
}

}  // namespace

void configure(Mode mode, NativeBackend* backend) {
  g_mode.store(mode);
  g_backend.store(backend);
}

Mode mode() { return g_mode.load(std::memory_order_relaxed); }

NativeBackend* active_backend() { return g_backend.load(std::memory_order_relaxed); }

torch::Tensor route(const SdpaCall& call, Entry entry) {
  CallFacts facts = CallFacts::read(call);
  const std::string error = validate(facts);
  if (!error.empty()) throw SdpaError(error);

  const Mode m = mode();
  NativeBackend* backend = active_backend();
  Reason reason = Reason::kDisabled;
  AttentionGeometry geometry;
  if (m != Mode::kOff) {
    facts.grad_required = entry == Entry::kAboveAutograd && backend && grad_required(call);
    reason = support(facts, backend, &geometry);
  }

  if (reason == Reason::kNone) {
    if (facts.q.dim() == 4 && pytorch_kernel(call, facts) == PyTorchKernel::kFlashAttention) {
      geometry.output = OutputLayout::kLikeQuery;
    }
    torch::Tensor out = backend->run(call, facts, geometry);
    count_native(backend->kind());
    log_call(facts, std::string("native kernel on ") + backend_name(backend->kind()));
    return out;
  }
  if (m == Mode::kNative) {
    count_rejected(reason);
    throw SdpaError(std::string("scaled_dot_product_attention cannot run natively (ai.djl.metal.sdpa=native): ") +
                    reason_text(reason) + " [" + reason_id(reason) + "]; call: " + facts.describe());
  }
  count_fallback(reason);
  if (first_fallback(reason)) {
    log(LogLevel::kWarn, std::string("SDPA falls back to PyTorch: ") + reason_text(reason) + " [" +
                             reason_id(reason) + "], first seen for " + facts.describe() +
                             ". Later calls for this reason are counted in the stats, not logged.");
  }
  log_call(facts, std::string("PyTorch [") + reason_id(reason) + "]");
  return pytorch_sdpa(call, facts);
}

}  // namespace djl_metal::router
