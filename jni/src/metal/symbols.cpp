#include "metal/symbols.h"

#include <dlfcn.h>

namespace djl_metal::metal {
namespace {

const char* const kNames[] = {
#define DJL_METAL_FUNCTION_NAME(name, symbol, declaration) symbol,
    DJL_METAL_FUNCTIONS(DJL_METAL_FUNCTION_NAME)
#undef DJL_METAL_FUNCTION_NAME
};

}  // namespace

const char* function_name(F f) { return kNames[static_cast<int>(f)]; }

void* process_symbol(const char* name) { return dlsym(RTLD_DEFAULT, name); }

}  // namespace djl_metal::metal
