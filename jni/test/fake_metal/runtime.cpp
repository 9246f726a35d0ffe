#include "fake_metal/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <set>
#include <sstream>
#include <unordered_map>

#include <unistd.h>

namespace fake_metal {
namespace {

struct State {
  std::mutex mutex;
  std::map<std::string, Class*> classes;
  std::set<std::string> names;                 // interned selector and class names
  std::unordered_map<Object*, bool> objects;   // every tracked object: alive (true) or zombie (false)
  std::deque<Object*> zombies;                 // freed once this many newer ones have died
  std::vector<std::string> violations;
  std::map<Fault, std::pair<int, long>> faults;  // remaining occurrences (-1: until cleared), code
  std::string report;                            // DJL_FAKE_METAL_REPORT/fake-metal-<pid>.txt
};

constexpr size_t kZombies = 4096;

State& state() {
  static State* s = [] {
    auto* st = new State();
    if (const char* report = std::getenv("DJL_FAKE_METAL_REPORT")) {
      st->report = std::string(report) + "/fake-metal-" + std::to_string(getpid()) + ".txt";
    }
    return st;
  }();
  return *s;
}

struct Pools {
  std::vector<std::vector<Object*>> stack;
};
thread_local Pools t_pools;

void do_release(Object* object);

void* find_method(const Class* c, const std::string& selector, bool class_side) {
  for (; c; c = c->super) {
    const auto& table = class_side ? c->class_methods : c->methods;
    auto it = table.find(selector);
    if (it != table.end()) return it->second;
  }
  return nullptr;
}

// NSObject, the root of every fake class.
Id object_retain(Id self, Sel) { return retain(self); }
void object_release(Id self, Sel) { release(self); }
Id object_autorelease(Id self, Sel) { return autorelease(self); }

bool object_responds(Id self, Sel, Sel selector) {
  if (!selector || !self->isa) return false;
  // macOS 14's MTLCompileOptions has no setMathMode: / setMathFloatingPointFunctions: (added in macOS 15).
  if (armed(Fault::kMacOs14) && self->isa->name == "MTLCompileOptions" &&
      (std::strcmp(selector, "setMathMode:") == 0 || std::strcmp(selector, "setMathFloatingPointFunctions:") == 0)) {
    return false;
  }
  return find_method(self->isa, selector, false) != nullptr;
}

Class* root() {
  static Class* c = [] {
    Class* r = define_class("NSObject", nullptr);
    method(r, "retain", reinterpret_cast<void*>(&object_retain));
    method(r, "release", reinterpret_cast<void*>(&object_release));
    method(r, "autorelease", reinterpret_cast<void*>(&object_autorelease));
    method(r, "respondsToSelector:", reinterpret_cast<void*>(&object_responds));
    return r;
  }();
  return c;
}

// What an unknown selector or a message to something dead runs: records nothing more, returns zero.
uint64_t nothing() { return 0; }

}  // namespace

Class* define_class(const std::string& name, const Class* super) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Class*& c = s.classes[name];
  if (!c) {
    c = new Class(name, super);
    c->permanent = true;
    s.objects[c] = true;
  }
  return c;
}

const Class* find_class(const std::string& name) {
  root();
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.classes.find(name);
  return it == s.classes.end() ? nullptr : it->second;
}

void method(Class* c, const char* selector, void* implementation) { c->methods[selector] = implementation; }

void class_method(Class* c, const char* selector, void* implementation) {
  c->class_methods[selector] = implementation;
}

void track(Object* object) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.objects[object] = true;
}

Sel intern(const char* name) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.names.insert(name).first->c_str();
}

bool is_live_instance(Id object, const Class* c) {
  if (!object) return false;
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.objects.find(object);
    if (it == s.objects.end() || !it->second) return false;
  }
  for (const Class* k = object->isa; k; k = k->super) {
    if (k == c) return true;
  }
  return false;
}

Id retain(Id object) {
  if (!object) return nullptr;
  if (object->refs.fetch_add(1) <= 0) violation("retain of a released object");
  return object;
}

void release(Id object) {
  if (!object) return;
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.objects.find(object);
    if (it == s.objects.end() || !it->second) {
      s.violations.push_back("release of a released or unknown object (over-release)");
      return;
    }
  }
  if (object->permanent && !object->isa) return;  // classes
  const long left = object->refs.fetch_sub(1) - 1;
  if (left == 0) do_release(object);
  if (left < 0) violation("release of an object with no references left");
}

namespace {

void do_release(Object* object) {
  object->dealloc();
  State& s = state();
  Object* evicted = nullptr;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.objects[object] = false;
    s.zombies.push_back(object);
    if (s.zombies.size() > kZombies) {
      evicted = s.zombies.front();
      s.zombies.pop_front();
      s.objects.erase(evicted);
    }
  }
  delete evicted;
}

}  // namespace

Id autorelease(Id object) {
  if (!object) return nullptr;
  if (t_pools.stack.empty()) {
    violation("an object was autoreleased with no autorelease pool in place (it leaks)");
    return object;
  }
  t_pools.stack.back().push_back(object);
  return object;
}

void violation(const std::string& text) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.violations.push_back(text);
  if (!s.report.empty()) {
    if (FILE* f = std::fopen(s.report.c_str(), "a")) {
      std::fprintf(f, "%s\n", text.c_str());
      std::fclose(f);
    }
  }
  std::fprintf(stderr, "fake Metal: %s\n", text.c_str());
}

bool fires(Fault fault, long* code) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.faults.find(fault);
  if (it == s.faults.end() || it->second.first == 0) return false;
  if (code) *code = it->second.second;
  if (it->second.first > 0) --it->second.first;
  return true;
}

bool armed(Fault fault) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.faults.find(fault);
  return it != s.faults.end() && it->second.first != 0;
}

std::vector<std::string> selectors() {
  root();
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::set<std::string> all;
  for (const auto& [name, c] : s.classes) {
    for (const auto& [selector, fn] : c->methods) all.insert(selector);
    for (const auto& [selector, fn] : c->class_methods) all.insert(selector);
  }
  // NSObject's autorelease is the fake's own means of returning +0 objects; the adapter never sends it.
  all.erase("autorelease");
  return {all.begin(), all.end()};
}

void inject(Fault fault, int times, long code) {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.faults[fault] = {times, code};
}

void clear_faults() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.faults.clear();
}

std::vector<std::string> take_violations() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::vector<std::string> out;
  out.swap(s.violations);
  return out;
}

long live_objects() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  long n = 0;
  for (const auto& [object, alive] : s.objects) n += alive && !object->permanent;
  return n;
}

std::string live_object_classes() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::multiset<std::string> names;
  for (const auto& [object, alive] : s.objects) {
    if (alive && !object->permanent) names.insert(object->isa ? object->isa->name : "class");
  }
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

void release(void* object) { release(static_cast<Id>(object)); }

// The method to run for a message; called by objc_msgSend with the receiver and selector it was given.
extern "C" __attribute__((visibility("hidden"))) void* fake_objc_lookup(Id self, Sel selector) {
  root();
  bool alive = false, known = false;
  {
    State& s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.objects.find(self);
    known = it != s.objects.end();
    alive = known && it->second;
  }
  const char* name = selector ? selector : "(null selector)";
  if (!known) {
    violation(std::string("message ") + name + " sent to something that is not an object");
    return reinterpret_cast<void*>(&nothing);
  }
  const Class* c = self->isa ? self->isa : static_cast<const Class*>(self);
  if (!alive) {
    violation(std::string("message ") + name + " sent to a released " + c->name);
    return reinterpret_cast<void*>(&nothing);
  }
  void* m = find_method(self->isa ? self->isa : static_cast<const Class*>(self), name, self->isa == nullptr);
  if (!m && self->isa == nullptr) m = find_method(root(), name, false);  // class objects are NSObjects too
  if (!m) {
    violation(std::string(self->isa ? "-[" : "+[") + c->name + " " + name + "]: unrecognized selector");
    return reinterpret_cast<void*>(&nothing);
  }
  return m;
}

}  // namespace fake_metal

using fake_metal::Id;
using fake_metal::Sel;

extern "C" {

__attribute__((visibility("default"))) Sel sel_registerName(const char* name) {
  return name ? fake_metal::intern(name) : nullptr;
}

__attribute__((visibility("default"))) Id objc_getClass(const char* name) {
  return name ? const_cast<fake_metal::Class*>(fake_metal::find_class(name)) : nullptr;
}

__attribute__((visibility("default"))) void* objc_autoreleasePoolPush() {
  fake_metal::t_pools.stack.emplace_back();
  return reinterpret_cast<void*>(fake_metal::t_pools.stack.size());
}

__attribute__((visibility("default"))) void objc_autoreleasePoolPop(void* token) {
  auto& stack = fake_metal::t_pools.stack;
  if (stack.empty() || reinterpret_cast<size_t>(token) != stack.size()) {
    fake_metal::violation("autorelease pool popped out of order");
    return;
  }
  std::vector<Id> objects;
  objects.swap(stack.back());
  stack.pop_back();
  for (Id o : objects) fake_metal::release(o);
}

}  // extern "C"
