// The fake's Foundation and Metal classes and functions: exactly the selectors the adapter sends, each with the
// prototype Apple documents (jni/src/metal/api_calls.md), checking what Metal would reject.
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "fake_metal/objects.h"
#include "kernel/shader_sources.h"
#include "sdpa_params.h"

namespace fake_metal {

String::String(std::string t) : Object(find_class("NSString")), text(std::move(t)) {}

Error::Error(long c, std::string d) : Object(find_class("NSError")), code(c), description(make<String>(std::move(d))) {}
void Error::dealloc() { release(description); }

Array::Array(std::vector<Id> i) : Object(find_class("NSArray")), items(std::move(i)) {
  for (Id o : items) retain(o);
}
void Array::dealloc() {
  for (Id o : items) release(o);
}

Buffer::Buffer(void* c, size_t l, bool o)
    : Object(buffer_class()), contents(static_cast<unsigned char*>(c)), length(l), owned(o) {}
void Buffer::dealloc() {
  if (owned) std::free(contents);
}

CompileOptions::CompileOptions() : Object(find_class("MTLCompileOptions")) {}
ConstantValues::ConstantValues() : Object(find_class("MTLFunctionConstantValues")) {}
Library::Library(std::string n, std::set<std::string> f, std::map<std::string, ConstantDecl> c)
    : Object(find_class("MTLLibrary")), name(std::move(n)), functions(std::move(f)), constants(std::move(c)) {}
Function::Function(std::string n, std::vector<msl::FunctionConstant> c)
    : Object(find_class("MTLFunction")), name(std::move(n)), constants(std::move(c)) {}
Pipeline::Pipeline(std::string f, std::vector<msl::FunctionConstant> c)
    : Object(pipeline_class()), function(std::move(f)), constants(std::move(c)) {}
Encoder::Encoder(CommandBuffer* o) : Object(encoder_class()), owner(o) {}
CommandBuffer::CommandBuffer(bool stream) : Object(command_buffer_class()), pytorch_stream(stream) {}
void CommandBuffer::dealloc() {
  if (had_encoder && status == 0 && !pytorch_stream) violation("a command buffer with encoded work was released without commit");
  release(error);
}
Device::Device() : Object(find_class("MTLDevice")), name(make<String>("Fake Metal device (MSL simulator)")) {}

std::atomic<long> g_pipelines_built{0};

namespace {

constexpr NSUInteger kPageSize = 16384;  // Apple silicon's, so page rounding is exercised as on a Mac
constexpr NSUInteger kMaxThreadgroupMemory = 32768;
constexpr NSUInteger kLanguageVersion3_1 = (3u << 16) + 1;
constexpr NSUInteger kDataTypeInt = 29, kDataTypeBool = 53;
constexpr NSUInteger kStatusCommitted = 2;
constexpr int kLibraryErrorCompileFailure = 3;
constexpr int kLibraryErrorFunctionNotFound = 5;

struct OsVersion {
  NSInteger major, minor, patch;
};

Device* the_device() {
  static Device* d = [] {
    define_metal_classes();
    return make<Device>();
  }();
  return d;
}

// ---- NSString, NSError, NSArray, NSProcessInfo

Id string_with_utf8(Id, Sel, const char* text) {
  if (!text) {
    violation("+[NSString stringWithUTF8String:] with NULL (raises NSInvalidArgumentException)");
    return nullptr;
  }
  return autorelease(make<String>(text));
}

const char* string_utf8(Id self, Sel) {
  auto* s = as<String>(self, find_class("NSString"), "-[NSString UTF8String]");
  return s ? s->text.c_str() : nullptr;
}

NSInteger error_code(Id self, Sel) {
  auto* e = as<Error>(self, find_class("NSError"), "-[NSError code]");
  return e ? e->code : 0;
}

Id error_description(Id self, Sel) {
  auto* e = as<Error>(self, find_class("NSError"), "-[NSError localizedDescription]");
  return e ? e->description : nullptr;
}

NSUInteger array_count(Id self, Sel) {
  auto* a = as<Array>(self, find_class("NSArray"), "-[NSArray count]");
  return a ? a->items.size() : 0;
}

Id array_object(Id self, Sel, NSUInteger index) {
  auto* a = as<Array>(self, find_class("NSArray"), "-[NSArray objectAtIndex:]");
  if (!a) return nullptr;
  if (index >= a->items.size()) {
    violation("-[NSArray objectAtIndex:] beyond the end (raises NSRangeException)");
    return nullptr;
  }
  return a->items[index];
}

Id process_info(Id, Sel) {
  static Object* info = [] {
    Object* o = make<Object>(find_class("NSProcessInfo"));
    o->permanent = true;
    return o;
  }();
  return info;
}

bool process_at_least(Id, Sel, OsVersion wanted) {
  const OsVersion running = armed(Fault::kOldOs) ? OsVersion{13, 6, 0} : armed(Fault::kMacOs14) ? OsVersion{14, 5, 0} : OsVersion{15, 1, 0};
  if (running.major != wanted.major) return running.major > wanted.major;
  if (running.minor != wanted.minor) return running.minor > wanted.minor;
  return running.patch >= wanted.patch;
}

// ---- MTLCompileOptions, MTLFunctionConstantValues

Id options_alloc(Id, Sel) { return make<CompileOptions>(); }
Id values_alloc(Id, Sel) { return make<ConstantValues>(); }
Id object_init(Id self, Sel) { return self; }

void options_language(Id self, Sel, NSUInteger version) {
  if (auto* o = as<CompileOptions>(self, find_class("MTLCompileOptions"), "-[MTLCompileOptions setLanguageVersion:]")) {
    o->language_version = version;
  }
}

void options_math_mode(Id self, Sel, NSInteger mode) {
  if (armed(Fault::kMacOs14)) violation("-[MTLCompileOptions setMathMode:]: unrecognized selector on macOS 14");
  if (mode < 0 || mode > 2) violation("setMathMode: " + std::to_string(mode) + " is not an MTLMathMode");
  if (auto* o = as<CompileOptions>(self, find_class("MTLCompileOptions"), "setMathMode:")) o->math_set = true;
}

void options_math_functions(Id self, Sel, NSInteger functions) {
  if (armed(Fault::kMacOs14)) violation("-[MTLCompileOptions setMathFloatingPointFunctions:]: unrecognized selector on macOS 14");
  if (functions < 0 || functions > 1) violation("setMathFloatingPointFunctions: " + std::to_string(functions));
  as<CompileOptions>(self, find_class("MTLCompileOptions"), "setMathFloatingPointFunctions:");
}

void options_fast_math(Id self, Sel, bool) {
  if (auto* o = as<CompileOptions>(self, find_class("MTLCompileOptions"), "setFastMathEnabled:")) o->math_set = true;
}

void values_set(Id self, Sel, const void* value, NSUInteger type, NSUInteger index) {
  auto* v = as<ConstantValues>(self, find_class("MTLFunctionConstantValues"), "setConstantValue:type:atIndex:");
  if (!v) return;
  if (!value) {
    violation("setConstantValue:type:atIndex: with a NULL value");
    return;
  }
  if (type == kDataTypeBool) {
    unsigned char b;
    std::memcpy(&b, value, 1);
    v->values[index] = {type, b != 0};
  } else if (type == kDataTypeInt) {
    int32_t i;
    std::memcpy(&i, value, sizeof i);
    v->values[index] = {type, i};
  } else {
    violation("setConstantValue:type:atIndex: with MTLDataType " + std::to_string(type) + ", which no kernel uses");
  }
}

// ---- MTLDevice

Id device_name(Id self, Sel) {
  auto* d = as<Device>(self, find_class("MTLDevice"), "-[MTLDevice name]");
  return d ? d->name : nullptr;
}

bool device_supports(Id, Sel, NSInteger family) {
  return !armed(Fault::kOldFamily) && family >= 1001 && family <= 1009;  // Apple1..Apple9
}

NSUInteger device_max_threadgroup_memory(Id, Sel) { return kMaxThreadgroupMemory; }

Id device_new_queue(Id self, Sel) {
  if (!as<Device>(self, find_class("MTLDevice"), "-[MTLDevice newCommandQueue]")) return nullptr;
  if (fires(Fault::kNoQueue)) return nullptr;
  return make<Object>(find_class("MTLCommandQueue"));
}

Id fail(Id* error, int code, const std::string& text) {
  if (error) *error = autorelease(make<Error>(code, text));
  return nullptr;
}

// The text between `open` and the next `close` after position `from`, or "" (and npos) when absent.
std::string between(const std::string& text, size_t* from, const std::string& open, const std::string& close) {
  const size_t a = text.find(open, *from);
  const size_t b = a == std::string::npos ? a : text.find(close, a + open.size());
  if (b == std::string::npos) {
    *from = std::string::npos;
    return "";
  }
  *from = b + close.size();
  return text.substr(a + open.size(), b - a - open.size());
}

// What Metal's compiler would see: the function names and function constants a source declares.
void scan_source(const std::string& text, std::set<std::string>* functions, std::map<std::string, ConstantDecl>* constants) {
  std::map<std::string, uint32_t> defines;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string directive, name, value;
    words >> directive >> name >> value;
    if (directive == "#define" && !value.empty() && std::isdigit(static_cast<unsigned char>(value[0]))) {
      defines[name] = static_cast<uint32_t>(std::stoul(value));
    }
    // constant bool has_mask [[function_constant(SDPA_FC_HAS_MASK)]];
    std::istringstream decl(line);
    std::string keyword, type, constant;
    decl >> keyword >> type >> constant;
    size_t at = 0;
    const std::string index = between(line, &at, "[[function_constant(", ")]]");
    if (keyword == "constant" && (type == "bool" || type == "int") && !index.empty()) {
      const uint32_t i = defines.count(index) ? defines[index] : static_cast<uint32_t>(std::stoul(index));
      (*constants)[constant] = {i, type == "bool"};
    }
  }
  for (size_t at = 0; at != std::string::npos;) {
    const std::string name = between(text, &at, "host_name(\"", "\")");
    if (!name.empty()) functions->insert(name);
  }
}

Id device_new_library(Id self, Sel, Id source, Id options, Id* error) {
  if (!as<Device>(self, find_class("MTLDevice"), "newLibraryWithSource:options:error:")) return nullptr;
  auto* src = as<String>(source, find_class("NSString"), "newLibraryWithSource: source");
  auto* opts = options ? as<CompileOptions>(options, find_class("MTLCompileOptions"), "newLibraryWithSource: options") : nullptr;
  if (!src) return fail(error, kLibraryErrorCompileFailure, "no source");
  if (fires(Fault::kCompile)) {
    return fail(error, kLibraryErrorCompileFailure, "program_source:1:1: error: injected compile failure");
  }
  const std::string& text = src->text;
  if (text.find("#include \"") != std::string::npos) {
    return fail(error, kLibraryErrorCompileFailure, "program_source: error: a quoted #include file not found");
  }
  const bool uses_bfloat = text.find("bfloat") != std::string::npos;
  if (uses_bfloat && (!opts || opts->language_version < kLanguageVersion3_1)) {
    return fail(error, kLibraryErrorCompileFailure, "program_source: error: unknown type name 'bfloat' (needs Metal 3.1)");
  }
  if (opts && !opts->math_set) violation("a library compiled without its math mode set explicitly");
  // The fake runs kernels compiled from the sources embedded in the adapter's library: only those compile.
  for (const char* name : {"sdpa_prefill", "sdpa_decode"}) {
    const char* known = djl_metal::kernel::shader_source(name);
    if (known && text == known) {
      std::set<std::string> functions;
      std::map<std::string, ConstantDecl> constants;
      scan_source(text, &functions, &constants);
      return make<Library>(name, std::move(functions), std::move(constants));
    }
  }
  return fail(error, kLibraryErrorCompileFailure, "program_source: error: not a source the fake Metal was built from");
}

// The static threadgroup memory of a kernel, from its name ("..._d64", "..._upto128") and its tile sizes.
NSUInteger static_threadgroup_memory(const std::string& kernel) {
  const size_t digits = kernel.find_last_not_of("0123456789");
  if (digits == std::string::npos || digits + 1 == kernel.size()) return 0;
  const int dmax = std::stoi(kernel.substr(digits + 1));
  if (kernel.rfind("sdpa_decode_reduce_", 0) == 0) return 0;
  // half stays half when staged; float and bfloat (widened) take 4 bytes
  const int staged = kernel.find("_half_") != std::string::npos ? 2 : 4;
  if (kernel.rfind("sdpa_prefill_", 0) == 0) {
    return static_cast<NSUInteger>(sdpa_attend_threadgroup_bytes(dmax, staged, sdpa_prefill_block_q(dmax)));
  }
  if (kernel.rfind("sdpa_decode_", 0) == 0) {
    return static_cast<NSUInteger>(sdpa_attend_threadgroup_bytes(dmax, staged, SDPA_DECODE_ROWS));
  }
  return 0;
}

Id device_new_pipeline(Id self, Sel, Id function, Id* error) {
  if (!as<Device>(self, find_class("MTLDevice"), "newComputePipelineStateWithFunction:error:")) return nullptr;
  auto* f = as<Function>(function, find_class("MTLFunction"), "newComputePipelineStateWithFunction: function");
  if (!f) return fail(error, 1, "no function");
  if (fires(Fault::kPipeline)) return fail(error, 1, "injected pipeline failure: Compiler encountered an internal error");
  auto* p = make<Pipeline>(f->name, f->constants);
  p->static_threadgroup_memory = static_threadgroup_memory(f->name);
  if (armed(Fault::kMaxThreads)) p->max_threads = 64;
  if (armed(Fault::kThreadgroupMemory)) p->static_threadgroup_memory = 48 * 1024;
  if (armed(Fault::kSimdWidth)) p->simd_width = 64;
  ++g_pipelines_built;
  return p;
}

Id device_new_buffer_no_copy(Id self, Sel, void* pointer, NSUInteger length, NSUInteger options, void* deallocator) {
  if (!as<Device>(self, find_class("MTLDevice"), "newBufferWithBytesNoCopy:length:options:deallocator:")) return nullptr;
  const auto address = reinterpret_cast<uintptr_t>(pointer);
  if (!pointer || address % kPageSize != 0 || length == 0 || length % kPageSize != 0) {
    violation("newBufferWithBytesNoCopy: pointer " + std::to_string(address % kPageSize) + " bytes past a page, length " +
              std::to_string(length) + " (both must be whole 16 KB pages)");
    return nullptr;
  }
  if (deallocator) violation("newBufferWithBytesNoCopy: with a deallocator block (the adapter uses no blocks)");
  if ((options & 0xf0) != 0) violation("newBufferWithBytesNoCopy: storage mode other than shared");
  if (fires(Fault::kNoBuffer)) return nullptr;
  return make<Buffer>(pointer, length, false);
}

// ---- MTLLibrary, MTLComputePipelineState

Id library_new_function(Id self, Sel, Id name, Id values, Id* error) {
  auto* lib = as<Library>(self, find_class("MTLLibrary"), "newFunctionWithName:constantValues:error:");
  auto* n = as<String>(name, find_class("NSString"), "newFunctionWithName: name");
  auto* v = as<ConstantValues>(values, find_class("MTLFunctionConstantValues"), "newFunctionWithName: constantValues");
  if (!lib || !n || !v) return fail(error, kLibraryErrorFunctionNotFound, "bad arguments");
  if (fires(Fault::kFunction)) return fail(error, kLibraryErrorFunctionNotFound, "injected: function specialization failed");
  register_kernels();
  if (!lib->functions.count(n->text) || !msl::has_kernel(n->text)) {
    return fail(error, kLibraryErrorFunctionNotFound, "Function " + n->text + " was not found in the library");
  }
  std::vector<msl::FunctionConstant> constants;
  for (const auto& [index, typed] : v->values) {
    const ConstantDecl* decl = nullptr;
    for (const auto& [cname, d] : lib->constants) {
      if (d.index == index) decl = &d;
    }
    if (!decl || decl->is_bool != (typed.first == kDataTypeBool)) {
      return fail(error, kLibraryErrorFunctionNotFound,
                  "function constant " + std::to_string(index) + " is not declared with that type in " + lib->name);
    }
    constants.push_back(decl->is_bool ? msl::FunctionConstant::of_bool(static_cast<uint32_t>(index), typed.second != 0)
                                      : msl::FunctionConstant::of_int(static_cast<uint32_t>(index), typed.second));
  }
  return make<Function>(n->text, std::move(constants));
}

NSUInteger pipeline_max_threads(Id self, Sel) {
  auto* p = as<Pipeline>(self, pipeline_class(), "maxTotalThreadsPerThreadgroup");
  return p ? p->max_threads : 0;
}

NSUInteger pipeline_width(Id self, Sel) {
  auto* p = as<Pipeline>(self, pipeline_class(), "threadExecutionWidth");
  return p ? p->simd_width : 0;
}

NSUInteger pipeline_threadgroup_memory(Id self, Sel) {
  auto* p = as<Pipeline>(self, pipeline_class(), "staticThreadgroupMemoryLength");
  return p ? p->static_threadgroup_memory : 0;
}

// ---- MTLCommandQueue, MTLCommandBuffer, MTLComputeCommandEncoder

Id queue_command_buffer(Id self, Sel) {
  if (!as<Object>(self, find_class("MTLCommandQueue"), "-[MTLCommandQueue commandBuffer]")) return nullptr;
  if (fires(Fault::kNoCommandBuffer)) return nullptr;
  return autorelease(make<CommandBuffer>(false));
}

// The fake GPU's thread writes the status, so every read outside it takes the lock.
NSUInteger status_of(CommandBuffer* cb) {
  std::lock_guard<std::mutex> lock(cb->mutex);
  return cb->status;
}

Id buffer_encoder(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "computeCommandEncoder");
  if (!cb) return nullptr;
  if (cb->open) violation("computeCommandEncoder while another encoder of the command buffer is not ended");
  if (status_of(cb) != 0) violation("computeCommandEncoder on a committed command buffer");
  if (fires(Fault::kNoEncoder)) return nullptr;
  auto* e = make<Encoder>(cb);
  cb->open = e;
  cb->had_encoder = true;
  return autorelease(e);
}

void buffer_commit(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "-[MTLCommandBuffer commit]");
  if (!cb) return;
  if (cb->pytorch_stream) violation("commit sent to PyTorch's MPS command buffer (torch::mps::commit() commits it)");
  gpu_commit(cb);
}

void buffer_wait(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "-[MTLCommandBuffer waitUntilCompleted]");
  if (!cb) return;
  if (status_of(cb) < kStatusCommitted) {
    violation("waitUntilCompleted on a command buffer that was never committed (waits forever)");
    return;
  }
  gpu_wait(cb);
}

NSUInteger buffer_status(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "-[MTLCommandBuffer status]");
  return cb ? status_of(cb) : 0;
}

Id buffer_error(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "-[MTLCommandBuffer error]");
  if (!cb) return nullptr;
  std::lock_guard<std::mutex> lock(cb->mutex);
  return cb->error;
}

double buffer_gpu_start(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "-[MTLCommandBuffer GPUStartTime]");
  if (!cb) return 0;
  std::lock_guard<std::mutex> lock(cb->mutex);
  return cb->gpu_start;
}

double buffer_gpu_end(Id self, Sel) {
  auto* cb = as<CommandBuffer>(self, command_buffer_class(), "-[MTLCommandBuffer GPUEndTime]");
  if (!cb) return 0;
  std::lock_guard<std::mutex> lock(cb->mutex);
  return cb->gpu_end;
}

Encoder* open_encoder(Id self, const char* what) {
  auto* e = as<Encoder>(self, encoder_class(), what);
  if (e && e->ended) {
    violation(std::string(what) + " after endEncoding");
    return nullptr;
  }
  return e;
}

void encoder_set_pipeline(Id self, Sel, Id pipeline) {
  Encoder* e = open_encoder(self, "setComputePipelineState:");
  auto* p = as<Pipeline>(pipeline, pipeline_class(), "setComputePipelineState: pipeline");
  if (e && p) e->pipeline = p;
}

void encoder_set_buffer(Id self, Sel, Id buffer, NSUInteger offset, NSUInteger index) {
  Encoder* e = open_encoder(self, "setBuffer:offset:atIndex:");
  auto* b = as<Buffer>(buffer, buffer_class(), "setBuffer:offset:atIndex: buffer");
  if (!e || !b) return;
  if (index > 30) violation("setBuffer: index " + std::to_string(index) + " (0..30)");
  if (offset >= b->length) violation("setBuffer: offset " + std::to_string(offset) + " past the buffer's end");
  e->bindings[index] = Binding{b, offset, {}};
}

void encoder_set_bytes(Id self, Sel, const void* bytes, NSUInteger length, NSUInteger index) {
  Encoder* e = open_encoder(self, "setBytes:length:atIndex:");
  if (!e) return;
  if (!bytes || length == 0 || length > 4096) violation("setBytes: of " + std::to_string(length) + " bytes (1..4096)");
  if (index > 30) violation("setBytes: index " + std::to_string(index) + " (0..30)");
  if (!bytes || length > 4096) return;
  const auto* first = static_cast<const unsigned char*>(bytes);
  e->bindings[index] = Binding{nullptr, 0, std::vector<unsigned char>(first, first + length)};
}

void encoder_dispatch(Id self, Sel, MTLSize groups, MTLSize threads) {
  Encoder* e = open_encoder(self, "dispatchThreadgroups:threadsPerThreadgroup:");
  if (!e) return;
  Command c;
  c.kind = Command::Kind::kDispatch;
  c.pipeline = e->pipeline;
  c.bindings = e->bindings;
  c.groups = groups;
  c.threads = threads;
  if (!check_dispatch(e, c)) return;
  retain(c.pipeline);
  for (auto& [index, b] : c.bindings) retain(b.buffer);
  e->owner->commands.push_back(std::move(c));
}

void encoder_barrier(Id self, Sel, NSUInteger scope) {
  Encoder* e = open_encoder(self, "memoryBarrierWithScope:");
  if (!e) return;
  if ((scope & 1) == 0) violation("memoryBarrierWithScope: without MTLBarrierScopeBuffers");
  e->written_since_barrier.clear();
  Command c;
  c.kind = Command::Kind::kBarrier;
  e->owner->commands.push_back(std::move(c));
}

void encoder_end(Id self, Sel) {
  Encoder* e = open_encoder(self, "endEncoding");
  if (!e) return;
  e->ended = true;
  if (e->owner->open == e) e->owner->open = nullptr;
}

// The classes exist from the moment the library is loaded, as Foundation's and Metal's do.
__attribute__((constructor)) void define_at_load() { define_metal_classes(); }

}  // namespace

const Class* buffer_class() { return find_class("MTLBuffer"); }
const Class* pipeline_class() { return find_class("MTLComputePipelineState"); }
const Class* command_buffer_class() { return find_class("MTLCommandBuffer"); }
const Class* encoder_class() { return find_class("MTLComputeCommandEncoder"); }

void define_metal_classes() {
  static std::once_flag once;
  std::call_once(once, [] {
    const Class* root = find_class("NSObject");
    auto fn = [](auto f) { return reinterpret_cast<void*>(f); };
    Class* c = define_class("NSString", root);
    class_method(c, "stringWithUTF8String:", fn(&string_with_utf8));
    method(c, "UTF8String", fn(&string_utf8));
    c = define_class("NSError", root);
    method(c, "code", fn(&error_code));
    method(c, "localizedDescription", fn(&error_description));
    c = define_class("NSArray", root);
    method(c, "count", fn(&array_count));
    method(c, "objectAtIndex:", fn(&array_object));
    c = define_class("NSProcessInfo", root);
    class_method(c, "processInfo", fn(&process_info));
    method(c, "isOperatingSystemAtLeastVersion:", fn(&process_at_least));
    c = define_class("MTLCompileOptions", root);
    class_method(c, "alloc", fn(&options_alloc));
    method(c, "init", fn(&object_init));
    method(c, "setLanguageVersion:", fn(&options_language));
    method(c, "setMathMode:", fn(&options_math_mode));
    method(c, "setMathFloatingPointFunctions:", fn(&options_math_functions));
    method(c, "setFastMathEnabled:", fn(&options_fast_math));
    c = define_class("MTLFunctionConstantValues", root);
    class_method(c, "alloc", fn(&values_alloc));
    method(c, "init", fn(&object_init));
    method(c, "setConstantValue:type:atIndex:", fn(&values_set));
    c = define_class("MTLDevice", root);
    method(c, "name", fn(&device_name));
    method(c, "supportsFamily:", fn(&device_supports));
    method(c, "maxThreadgroupMemoryLength", fn(&device_max_threadgroup_memory));
    method(c, "newCommandQueue", fn(&device_new_queue));
    method(c, "newLibraryWithSource:options:error:", fn(&device_new_library));
    method(c, "newComputePipelineStateWithFunction:error:", fn(&device_new_pipeline));
    method(c, "newBufferWithBytesNoCopy:length:options:deallocator:", fn(&device_new_buffer_no_copy));
    c = define_class("MTLLibrary", root);
    method(c, "newFunctionWithName:constantValues:error:", fn(&library_new_function));
    define_class("MTLFunction", root);
    c = define_class("MTLComputePipelineState", root);
    method(c, "maxTotalThreadsPerThreadgroup", fn(&pipeline_max_threads));
    method(c, "threadExecutionWidth", fn(&pipeline_width));
    method(c, "staticThreadgroupMemoryLength", fn(&pipeline_threadgroup_memory));
    define_class("MTLBuffer", root);
    c = define_class("MTLCommandQueue", root);
    method(c, "commandBuffer", fn(&queue_command_buffer));
    c = define_class("MTLCommandBuffer", root);
    method(c, "computeCommandEncoder", fn(&buffer_encoder));
    method(c, "commit", fn(&buffer_commit));
    method(c, "waitUntilCompleted", fn(&buffer_wait));
    method(c, "status", fn(&buffer_status));
    method(c, "error", fn(&buffer_error));
    method(c, "GPUStartTime", fn(&buffer_gpu_start));
    method(c, "GPUEndTime", fn(&buffer_gpu_end));
    c = define_class("MTLComputeCommandEncoder", root);
    method(c, "setComputePipelineState:", fn(&encoder_set_pipeline));
    method(c, "setBuffer:offset:atIndex:", fn(&encoder_set_buffer));
    method(c, "setBytes:length:atIndex:", fn(&encoder_set_bytes));
    method(c, "dispatchThreadgroups:threadsPerThreadgroup:", fn(&encoder_dispatch));
    method(c, "memoryBarrierWithScope:", fn(&encoder_barrier));
    method(c, "endEncoding", fn(&encoder_end));
  });
}

long pipelines_built() { return g_pipelines_built.load(); }

void* new_buffer(size_t bytes) {
  the_device();
  const size_t length = (bytes + kPageSize - 1) / kPageSize * kPageSize;
  void* memory = std::aligned_alloc(kPageSize, length ? length : kPageSize);
  return make<Buffer>(memory, length ? length : kPageSize, true);
}

void* buffer_contents(void* buffer) {
  auto* b = as<Buffer>(static_cast<Id>(buffer), buffer_class(), "buffer_contents");
  return b ? b->contents : nullptr;
}

}  // namespace fake_metal

extern "C" {

__attribute__((visibility("default"))) unsigned long vm_page_size = fake_metal::kPageSize;

__attribute__((visibility("default"))) fake_metal::Id MTLCreateSystemDefaultDevice() {
  if (fake_metal::armed(fake_metal::Fault::kNoDevice) || fake_metal::armed(fake_metal::Fault::kNoDefaultDevice)) {
    return nullptr;
  }
  return fake_metal::retain(fake_metal::the_device());
}

__attribute__((visibility("default"))) fake_metal::Id MTLCopyAllDevices() {
  fake_metal::define_metal_classes();
  std::vector<fake_metal::Id> devices;
  if (!fake_metal::armed(fake_metal::Fault::kNoDevice)) devices.push_back(fake_metal::the_device());
  return fake_metal::make<fake_metal::Array>(std::move(devices));
}

}  // extern "C"
