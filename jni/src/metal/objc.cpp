#include "metal/objc.h"

#include <atomic>
#include <mutex>
#include <stdexcept>


namespace djl_metal::metal::objc {
namespace {

const char* const kSelectorNames[] = {
#define DJL_METAL_SELECTOR_NAME(name, text, ...) text,
    DJL_METAL_SELECTORS(DJL_METAL_SELECTOR_NAME)
#undef DJL_METAL_SELECTOR_NAME
};

Runtime g_runtime;
std::string g_error = "the Objective-C runtime is not loaded";
std::once_flag g_once;
std::atomic<bool> g_loaded{false};

void do_load(SymbolLookup lookup) {
  Runtime r;
  std::string missing;
  auto find = [&](F f) {
    void* p = lookup(function_name(f));
    if (!p) missing += std::string(missing.empty() ? "" : ", ") + function_name(f);
    return p;
  };
  r.msg_send = find(F::kMsgSend);
  r.sel_register_name = reinterpret_cast<Sel (*)(const char*)>(find(F::kSelRegisterName));
  r.get_class = reinterpret_cast<Id (*)(const char*)>(find(F::kGetClass));
  r.pool_push = reinterpret_cast<void* (*)()>(find(F::kPoolPush));
  r.pool_pop = reinterpret_cast<void (*)(void*)>(find(F::kPoolPop));
  if (!missing.empty()) {
    g_error = "no Objective-C runtime in this process (missing " + missing + ")";
    return;
  }
  for (int i = 0; i < static_cast<int>(S::kSelectorCount); ++i) {
    r.selectors[i] = r.sel_register_name(kSelectorNames[i]);
    if (!r.selectors[i]) {
      g_error = std::string("the Objective-C runtime refused the selector ") + kSelectorNames[i];
      return;
    }
  }
  g_runtime = r;
  g_error.clear();
  g_loaded.store(true);
}

}  // namespace

const char* selector_name(S s) { return kSelectorNames[static_cast<int>(s)]; }

std::string load(SymbolLookup lookup) {
  std::call_once(g_once, [lookup] { do_load(lookup); });
  return g_error;
}

bool loaded() { return g_loaded.load(); }

const Runtime& runtime() {
  if (!g_loaded.load()) throw std::logic_error("Objective-C runtime used before it loaded: " + g_error);
  return g_runtime;
}

Id cls(const char* name) { return runtime().get_class(name); }

Sel sel(S s) { return runtime().selectors[static_cast<int>(s)]; }

Owned& Owned::operator=(Owned&& o) noexcept {
  if (this != &o) {
    if (object_) send<S::kRelease>(object_);
    object_ = o.object_;
    o.object_ = nullptr;
  }
  return *this;
}

Owned::~Owned() {
  if (object_) send<S::kRelease>(object_);
}

Owned retain(Id object) { return Owned(object ? send<S::kRetain>(object) : nullptr); }

Id string(const std::string& utf8) {
  return send<S::kStringWithUTF8String>(cls("NSString"), utf8.c_str());
}

std::string text(Id nsstring) {
  if (!nsstring) return "";
  const char* s = send<S::kUTF8String>(nsstring);
  return s ? s : "";
}

std::string error_text(Id nserror) {
  if (!nserror) return "";
  return "code " + std::to_string(send<S::kCode>(nserror)) + ": " + text(send<S::kLocalizedDescription>(nserror));
}

}  // namespace djl_metal::metal::objc
