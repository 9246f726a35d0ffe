// Which SDPA calls the router takes: those made on behalf of engine "Metal". The Java side marks a thread as
// working for the engine around the forwards of its models; the Java Attention API reaches the router directly.
// Every other call in the process (models of other engines, on any thread) passes through to PyTorch as if the
// engine were absent: not counted, not logged, never refused in native mode.
#pragma once

namespace djl_metal::router {

// Nestable, per thread. Each enter must be matched by one exit on the same thread.
void enter_metal_scope();
void exit_metal_scope();
bool in_metal_scope();

}  // namespace djl_metal::router
