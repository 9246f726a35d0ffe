// The fake's Foundation and Metal objects, shared by its classes (metal.cpp), its GPU (gpu.cpp) and PyTorch's
// MPS stream (mps.cpp).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "fake_metal/runtime.h"
#include "simulator/launch.h"

namespace fake_metal {

using NSUInteger = unsigned long;
using NSInteger = long;

struct MTLSize {
  NSUInteger width, height, depth;
};

struct String : Object {
  explicit String(std::string text);
  std::string text;
};

struct Error : Object {
  Error(long code, std::string description);
  void dealloc() override;
  long code;
  String* description;
};

struct Array : Object {
  explicit Array(std::vector<Id> items);
  void dealloc() override;
  std::vector<Id> items;  // retained
};

struct Buffer : Object {
  Buffer(void* contents, size_t length, bool owned);
  void dealloc() override;
  unsigned char* contents;
  size_t length;
  bool owned;  // memory of the fake's own (new_buffer), freed with the buffer
};

struct CompileOptions : Object {
  CompileOptions();
  NSUInteger language_version = 0;  // 0: the default (not set)
  bool math_set = false;
};

struct ConstantValues : Object {
  ConstantValues();
  std::map<NSUInteger, std::pair<NSUInteger, int32_t>> values;  // index -> (MTLDataType, value)
};

// A function constant the library's source declares: its index and whether it is a bool (else an int).
struct ConstantDecl {
  uint32_t index;
  bool is_bool;
};

struct Library : Object {
  Library(std::string name, std::set<std::string> functions, std::map<std::string, ConstantDecl> constants);
  std::string name;
  std::set<std::string> functions;
  std::map<std::string, ConstantDecl> constants;
};

struct Function : Object {
  Function(std::string name, std::vector<msl::FunctionConstant> constants);
  std::string name;
  std::vector<msl::FunctionConstant> constants;
};

struct Pipeline : Object {
  Pipeline(std::string function, std::vector<msl::FunctionConstant> constants);
  std::string function;
  std::vector<msl::FunctionConstant> constants;
  NSUInteger max_threads = 1024, simd_width = 32, static_threadgroup_memory = 0;
};

// One bound argument at dispatch time: a buffer and offset, or setBytes data.
struct Binding {
  Buffer* buffer = nullptr;  // retained by the command that holds it
  uint64_t offset = 0;
  std::vector<unsigned char> bytes;
};

struct Command {
  enum class Kind { kDispatch, kBarrier, kCopy } kind = Kind::kDispatch;
  Pipeline* pipeline = nullptr;  // retained
  std::map<NSUInteger, Binding> bindings;
  MTLSize groups{}, threads{};
  // kCopy (a PyTorch operator on the MPS stream)
  Buffer* src = nullptr;
  Buffer* dst = nullptr;
  uint64_t src_offset = 0, dst_offset = 0, bytes = 0;
};

struct CommandBuffer;

struct Encoder : Object {
  explicit Encoder(CommandBuffer* owner);
  CommandBuffer* owner;  // not retained: the command buffer outlives its encoder's use
  bool ended = false;
  Pipeline* pipeline = nullptr;  // current, not retained (the command retains what it dispatches)
  std::map<NSUInteger, Binding> bindings;
  std::set<Buffer*> written_since_barrier;
};

struct CommandBuffer : Object {
  explicit CommandBuffer(bool pytorch_stream);
  void dealloc() override;
  bool pytorch_stream;  // PyTorch's MPS command buffer: committed by torch::mps::commit(), never by us
  bool had_encoder = false;
  Encoder* open = nullptr;
  std::vector<Command> commands;
  std::mutex mutex;
  std::condition_variable done;
  NSUInteger status = 0;  // MTLCommandBufferStatus
  Error* error = nullptr;
  double gpu_start = 0, gpu_end = 0;  // seconds of the host's monotonic clock around its execution
};

struct Device : Object {
  Device();
  String* name;
};

// Commits a command buffer to the fake GPU, which runs command buffers one after another in commit order.
void gpu_commit(CommandBuffer* buffer);
// Blocks until the command buffer has completed or failed.
void gpu_wait(CommandBuffer* buffer);

// Checks a dispatch as Metal would need it (pipeline, bindings present, inside their buffers, aligned) and
// records what the dispatch will read and write; false when it must not run.
bool check_dispatch(Encoder* encoder, const Command& command);

// The class objects, for as<>().
const Class* buffer_class();
const Class* pipeline_class();
const Class* command_buffer_class();
const Class* encoder_class();
void define_metal_classes();

// Registers the fake's kernels with its simulator (once).
void register_kernels();

// Lines of the executed-command log.
void executed(const std::string& what);

}  // namespace fake_metal
