// The fake Objective-C runtime: objects with reference counts, classes as tables of selector -> C function with
// the method's exact prototype, autorelease pools per thread, and violations. Released objects are kept a while
// as zombies, so a message to one, or a second release, is reported instead of reading freed memory.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fake_metal/fake_metal.h"

namespace fake_metal {

struct Class;

struct Object {
  explicit Object(const Class* isa) : isa(isa) {}
  virtual ~Object() = default;
  // Releases what this object holds; runs once, when its count reaches zero.
  virtual void dealloc() {}

  const Class* isa;  // null for class objects
  std::atomic<long> refs{1};
  bool permanent = false;  // the fake's own singletons: not counted as live objects
};

using Id = Object*;
using Sel = const char*;  // interned: equal names are equal pointers

struct Class : Object {
  Class(std::string name, const Class* super) : Object(nullptr), name(std::move(name)), super(super) {}
  std::string name;
  const Class* super;
  std::map<std::string, void*> methods;        // instance methods
  std::map<std::string, void*> class_methods;  // sent to the class object
};

// Defines a class; `super` may be null (NSObject). Classes live forever.
Class* define_class(const std::string& name, const Class* super);
const Class* find_class(const std::string& name);
void method(Class* c, const char* selector, void* implementation);
void class_method(Class* c, const char* selector, void* implementation);

// Registers an object made with new (refcount 1).
void track(Object* object);

template <typename T, typename... A>
T* make(A&&... args) {
  T* object = new T(std::forward<A>(args)...);
  track(object);
  return object;
}

Sel intern(const char* name);

// Reference counting as Foundation does it. autorelease() puts the object in the thread's innermost pool.
Id retain(Id object);
void release(Id object);
Id autorelease(Id object);

// The object behind an id, if it is a live object of class `c` (or a subclass); else records a violation
// naming `what` and returns null.
template <typename T>
T* as(Id object, const Class* c, const char* what);
bool is_live_instance(Id object, const Class* c);

// Records something Metal would reject or leave undefined.
void violation(const std::string& text);

// Fault bookkeeping: whether a fault fires now (consuming one occurrence), and its code.
bool fires(Fault fault, long* code = nullptr);
bool armed(Fault fault);

// Every selector implemented by some class.
std::vector<std::string> selectors();

template <typename T>
T* as(Id object, const Class* c, const char* what) {
  return is_live_instance(object, c) ? static_cast<T*>(object) : (violation(std::string(what) + ": not a live " + c->name), nullptr);
}

}  // namespace fake_metal
