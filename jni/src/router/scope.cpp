#include "router/scope.h"

namespace djl_metal::router {
namespace {

thread_local int t_depth = 0;

}  // namespace

void enter_metal_scope() { ++t_depth; }

void exit_metal_scope() {
  if (t_depth > 0) --t_depth;
}

bool in_metal_scope() { return t_depth > 0; }

}  // namespace djl_metal::router
