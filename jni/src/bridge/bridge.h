// The functions engine-metal's JavaCPP class (ai.djl.metal.jni.MetalLibrary) binds. Everything the JVM hands
// over is checked here: tensor handles must be non-null, enum codes in range.
#pragma once

#include <cstdint>
#include <string>

namespace djl_metal::bridge {

// Log sink: level 0..3 = DEBUG, INFO, WARN, ERROR.
using LogFunction = void (*)(int level, const char* message);

// Finds libtorch's C shim in the process; empty string on success, else why not.
std::string load_torch();

// Chooses the native backend for ai.djl.metal.backend (0 auto, 1 metal, 2 simulator); CPU calls under
// cpu_min_flops (negative: the default) stay on PyTorch with the Metal backend. Returns why the resulting backend (see active_backend)
// was chosen, or why none is available; throws when an explicit request cannot be met.
std::string select_backend(int request, double cpu_min_flops);

// 0 none, 1 simulator, 2 metal.
int active_backend();

// Whether the active backend also runs SDPA calls on MPS tensors.
bool active_backend_reads_mps();

// Sets the router mode (0 auto, 1 native, 2 off) and, unless off, installs the libtorch override (for the MPS
// dispatch keys too when the active backend reads MPS tensors).
// Empty string on success, else why the override could not be installed.
std::string start_router(int mode);

// The circuit breaker (router/breaker.h): failed native calls in a row before suspending (0: never), and for
// how long.
void configure_breaker(int failures, double seconds);

// Shadow mode (router/shadow.h): the fraction of native CPU calls checked against PyTorch, and whether a
// divergence turns native execution off for that call shape.
void configure_shadow(double fraction, bool disable_diverged);

// Around the forwards of engine "Metal"'s models on the calling thread (router/scope.h).
void enter_metal_scope();
void exit_metal_scope();

void set_log_function(LogFunction fn, bool debug);

// The Java API: one SDPA call on PtNDArray handles (at::Tensor*), borrowed. mask may be 0 (None).
// Returns a new at::Tensor* the caller owns.
int64_t scaled_dot_product_attention(int64_t query, int64_t key, int64_t value, int64_t mask, double dropout_p,
                                     bool is_causal, bool has_scale, double scale, bool enable_gqa);

// Counters: [native by backend][fallback by reason][rejected by reason][libraries compiled, their nanoseconds,
// pipelines built, their nanoseconds, build failures]; returns how many were written.
int stats(int64_t* out, int capacity);
// The calls routed on the calling thread: native, fallback, rejected, errors (out holds 4).
void thread_calls(int64_t* out);
int backend_count();
int reason_count();
std::string backend_id(int backend);
std::string reason_id(int reason);

// dtype conversion through libtorch (DJL cannot make bfloat16 arrays itself).
// dtype: 0 float32, 1 float16, 2 bfloat16, 3 float64. Returns a new at::Tensor*.
int64_t to_dtype(int64_t tensor, int dtype);
// Same codes for a tensor's dtype; -1 for anything else.
int dtype_of(int64_t tensor);

}  // namespace djl_metal::bridge
