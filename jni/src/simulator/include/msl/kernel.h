// What the pre-pass turns kernel syntax into: parameter attributes become default arguments read from the
// running thread's launch, function constants become lazily read globals, and function-scope threadgroup
// variables become storage shared by the threadgroup.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "msl/vector.h"
#include "simulator/runtime.h"

namespace msl {

// [[buffer(n)]]: converts to the parameter's pointer or reference type.
struct BufferArgument {
  uint32_t index;
  template <typename T>
  operator T*() const {  // NOLINT: implicit by design
    return static_cast<T*>(rt::buffer(index));
  }
  template <typename T>
  operator T&() const {  // NOLINT: implicit by design
    return *static_cast<T*>(rt::buffer(index));
  }
};

inline BufferArgument buffer_argument(uint32_t index) { return {index}; }

// [[buffer(n), function_constant(c)]]: the argument exists only when c is true; unbound, it is null.
struct OptionalBufferArgument {
  uint32_t index;
  template <typename T>
  operator T*() const {  // NOLINT: implicit by design
    return static_cast<T*>(rt::optional_buffer(index));
  }
};

inline OptionalBufferArgument optional_buffer_argument(uint32_t index) { return {index}; }

// [[threadgroup(n)]]
struct ThreadgroupArgument {
  uint32_t index;
  template <typename T>
  operator T*() const {  // NOLINT: implicit by design
    return static_cast<T*>(rt::threadgroup_argument(index));
  }
};

inline ThreadgroupArgument threadgroup_argument(uint32_t index) { return {index}; }

// Position attributes: convert to the declared scalar or vector type (leading components).
struct PositionArgument {
  rt::Position p;
  template <typename T, typename = std::enable_if_t<std::is_arithmetic<T>::value>>
  operator T() const {  // NOLINT: implicit by design
    return static_cast<T>(p.x);
  }
  template <typename T>
  operator metal::vec<T, 2>() const {  // NOLINT
    return metal::vec<T, 2>(static_cast<T>(p.x), static_cast<T>(p.y));
  }
  template <typename T>
  operator metal::vec<T, 3>() const {  // NOLINT
    return metal::vec<T, 3>(static_cast<T>(p.x), static_cast<T>(p.y), static_cast<T>(p.z));
  }
};

inline PositionArgument scalar_argument(uint32_t v) { return {{v, 0, 0}}; }
inline PositionArgument position_argument(rt::Position p) { return {p}; }

// `constant T name [[function_constant(n)]];` — the launch's specialisation value, read when used.
template <typename T>
class function_constant {
 public:
  constexpr function_constant(uint32_t index, const char* name) : index_(index), name_(name) {}
  bool defined() const { return rt::function_constant(index_) != nullptr; }
  operator T() const {  // NOLINT: implicit by design
    const FunctionConstant* c = rt::function_constant(index_);
    if (!c) {
      rt::fail((std::string("function constant ") + name_ + " (" + std::to_string(index_) + ") is not defined").c_str(),
               nullptr, 0);
    }
    switch (c->type) {
      case FunctionConstant::Type::kBool: return static_cast<T>(c->value.b);
      case FunctionConstant::Type::kInt: return static_cast<T>(c->value.i);
    }
    return T();
  }

 private:
  uint32_t index_;
  const char* name_;
};

// `threadgroup T name[N];` inside a kernel: one object per threadgroup, keyed by the declaration.
template <typename T>
T& threadgroup_variable(const void* key) {
  static_assert(std::is_trivially_destructible<T>::value, "threadgroup variables must be trivial");
  return *static_cast<T*>(rt::threadgroup_variable(key, sizeof(T), alignof(T) < 16 ? 16 : alignof(T)));
}

}  // namespace msl

namespace metal {

template <typename T>
bool is_function_constant_defined(const msl::function_constant<T>& c) {
  return c.defined();
}

enum class mem_flags { mem_none = 0, mem_device = 1, mem_threadgroup = 2, mem_texture = 4 };
inline mem_flags operator|(mem_flags a, mem_flags b) {
  return static_cast<mem_flags>(static_cast<int>(a) | static_cast<int>(b));
}

inline void threadgroup_barrier(mem_flags, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
  msl::rt::threadgroup_barrier(file, line);
}

}  // namespace metal
