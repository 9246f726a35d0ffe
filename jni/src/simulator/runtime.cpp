// The executor: threadgroups on a pool of OS threads, the threads of a threadgroup as fibers.
//
// Fibers of one threadgroup run one at a time, round-robin, each until it blocks at a barrier or a SIMD
// collective or finishes; the last thread to arrive at a rendezvous releases the others. When no fiber
// can run and some have not finished, the threadgroup is stuck (a barrier or collective not reached by
// every thread): that is reported, and the blocked fibers are resumed with an exception that unwinds them.
//
// Under ThreadSanitizer fibers switch without creating happens-before edges; only barriers and collectives
// do (release on arrival, acquire on leaving), so a missing barrier between a threadgroup-memory write and
// another thread's read is reported. The executor's own bookkeeping is excluded from race detection.
#include <sys/mman.h>
#include <unistd.h>

// Fibers switch by a few instructions of our own where we have them (see context_switch), else by ucontext.
#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define MSL_FAST_SWITCH 1
#else
#define MSL_FAST_SWITCH 0
#include <ucontext.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "simulator/runtime.h"

#if defined(__SANITIZE_THREAD__)
extern "C" {
void* __tsan_get_current_fiber();
void* __tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void* fiber);
void __tsan_switch_to_fiber(void* fiber, unsigned flags);
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
void AnnotateIgnoreReadsBegin(const char* file, int line);
void AnnotateIgnoreReadsEnd(const char* file, int line);
void AnnotateIgnoreWritesBegin(const char* file, int line);
void AnnotateIgnoreWritesEnd(const char* file, int line);
}
#endif
#if defined(__SANITIZE_ADDRESS__)
extern "C" {
void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom, size_t size);
void __sanitizer_finish_switch_fiber(void* fake_stack_save, const void** bottom_old, size_t* size_old);
}
#endif

namespace msl {
namespace {

// Fiber contexts. Without sanitizers a fiber switch is a few instructions (callee-saved registers and the
// stack pointer); swapcontext would also make a signal-mask system call on every switch, which dominates
// simulation time, and macOS deprecates it. Sanitizer builds use ucontext, whose switches the sanitizers
// know.
#if MSL_FAST_SWITCH
extern "C" void msl_switch_stack(void** save_sp, void* load_sp);
#if defined(__APPLE__)
#define MSL_SWITCH_SYMBOL "_msl_switch_stack"
#define MSL_SWITCH_PROLOGUE ".private_extern " MSL_SWITCH_SYMBOL "\n"
#define MSL_SWITCH_EPILOGUE ""
#else
#define MSL_SWITCH_SYMBOL "msl_switch_stack"
#define MSL_SWITCH_PROLOGUE ".hidden " MSL_SWITCH_SYMBOL "\n.type " MSL_SWITCH_SYMBOL ", @function\n"
#define MSL_SWITCH_EPILOGUE ".size " MSL_SWITCH_SYMBOL ", .-" MSL_SWITCH_SYMBOL "\n"
#endif
#if defined(__x86_64__)
// Saves rbp, rbx, r12-r15 on the old stack, switches stacks, restores them and returns on the new one.
asm(".text\n.globl " MSL_SWITCH_SYMBOL "\n" MSL_SWITCH_PROLOGUE MSL_SWITCH_SYMBOL ":\n"
    R"(
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
)" MSL_SWITCH_EPILOGUE);
constexpr int kSavedWords = 6;  // then the return address
#else
// AArch64 (AAPCS64 and Apple's arm64 ABI alike): saves x19-x28, the frame pointer, the link register and the
// low halves of v8-v15 on the old stack, switches stacks, restores them and returns to the new link register.
// x18 is the platform register on Apple and is left alone.
asm(".text\n.globl " MSL_SWITCH_SYMBOL "\n" MSL_SWITCH_PROLOGUE ".p2align 2\n" MSL_SWITCH_SYMBOL ":\n"
    R"(
  sub sp, sp, #160
  stp x19, x20, [sp, #0]
  stp x21, x22, [sp, #16]
  stp x23, x24, [sp, #32]
  stp x25, x26, [sp, #48]
  stp x27, x28, [sp, #64]
  stp x29, x30, [sp, #80]
  stp d8, d9, [sp, #96]
  stp d10, d11, [sp, #112]
  stp d12, d13, [sp, #128]
  stp d14, d15, [sp, #144]
  mov x9, sp
  str x9, [x0]
  mov sp, x1
  ldp x19, x20, [sp, #0]
  ldp x21, x22, [sp, #16]
  ldp x23, x24, [sp, #32]
  ldp x25, x26, [sp, #48]
  ldp x27, x28, [sp, #64]
  ldp x29, x30, [sp, #80]
  ldp d8, d9, [sp, #96]
  ldp d10, d11, [sp, #112]
  ldp d12, d13, [sp, #128]
  ldp d14, d15, [sp, #144]
  add sp, sp, #160
  ret
)" MSL_SWITCH_EPILOGUE);
constexpr int kSavedWords = 20;  // x30 (the return address) is word 11
#endif

struct Context {
  void* sp = nullptr;
};

// A context that starts `entry` (which must never return) on the given stack: a frame as msl_switch_stack
// leaves it, all saved registers zero and the return address `entry`.
void context_init(Context* c, void* stack, size_t bytes, void (*entry)()) {
  auto* top = reinterpret_cast<void**>((reinterpret_cast<uintptr_t>(stack) + bytes) & ~uintptr_t{15});
#if defined(__x86_64__)
  *--top = nullptr;  // entry's own return address: it never returns
  *--top = reinterpret_cast<void*>(entry);
  for (int i = 0; i < kSavedWords; ++i) *--top = nullptr;
#else
  top -= kSavedWords;
  for (int i = 0; i < kSavedWords; ++i) top[i] = nullptr;
  top[11] = reinterpret_cast<void*>(entry);
#endif
  c->sp = top;
}

void context_switch(Context* from, Context* to) { msl_switch_stack(&from->sp, to->sp); }
#else
struct Context {
  ucontext_t uc{};
};

void context_init(Context* c, void* stack, size_t bytes, void (*entry)()) {
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = stack;
  c->uc.uc_stack.ss_size = bytes;
  c->uc.uc_link = nullptr;
  makecontext(&c->uc, entry, 0);
}

void context_switch(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }
#endif

FunctionConstant constant_of(uint32_t index, FunctionConstant::Type type) {
  FunctionConstant c;
  c.index = index;
  c.type = type;
  return c;
}

}  // namespace

FunctionConstant FunctionConstant::of_bool(uint32_t index, bool v) {
  FunctionConstant c = constant_of(index, Type::kBool);
  c.value.b = v;
  return c;
}

FunctionConstant FunctionConstant::of_int(uint32_t index, int32_t v) {
  FunctionConstant c = constant_of(index, Type::kInt);
  c.value.i = v;
  return c;
}

namespace {

// Synchronisation that ThreadSanitizer sees; no-ops otherwise.
void sync_release(void* object) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(object);
#else
  (void)object;
#endif
}

void sync_acquire(void* object) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(object);
#else
  (void)object;
#endif
}

// Executor bookkeeping shared between fibers is not kernel memory: keep it out of race detection.
struct Untracked {
#if defined(__SANITIZE_THREAD__)
  Untracked() {
    AnnotateIgnoreReadsBegin(__FILE__, __LINE__);
    AnnotateIgnoreWritesBegin(__FILE__, __LINE__);
  }
  ~Untracked() {
    AnnotateIgnoreWritesEnd(__FILE__, __LINE__);
    AnnotateIgnoreReadsEnd(__FILE__, __LINE__);
  }
#else
  Untracked() {}  // a scope marker: user-provided so that unused instances do not warn
#endif
};

// AddressSanitizer clears a stack's shadow on every swapcontext, so its stacks stay as small as the kernels
// allow; ThreadSanitizer's instrumented frames need more room.
#if defined(__SANITIZE_THREAD__)
constexpr size_t kStackBytes = 1 << 20;
#else
constexpr size_t kStackBytes = 256 << 10;
#endif

struct Kernel {
  void (*thunk)();
};

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::map<std::string, Kernel>& registry() {
  static std::map<std::string, Kernel> kernels;
  return kernels;
}

// Thrown inside a simulated thread to unwind it once its threadgroup has failed.
struct Abort {};

enum class Wait { kNone, kBarrier, kCollective };

struct Fiber {
  Context context;
  void* stack = nullptr;
  uint32_t index = 0;
  rt::Position local{};
  uint32_t lane = 0, simdgroup = 0;
  bool done = false;
  bool runnable = true;
  Wait wait = Wait::kNone;
  const char* wait_op = "";
  const char* wait_file = "";
  int wait_line = 0;
  void* tsan_fiber = nullptr;
  void* asan_fake_stack = nullptr;
  int counting_paused = 0;  // CountingPause depth: inside a matrix operation, which counts itself
};

struct Simdgroup {
  uint32_t lanes = 0;
  uint32_t arrived = 0;
  alignas(16) unsigned char inputs[kSimdWidth][rt::kMaxCollectiveBytes];
  alignas(16) unsigned char outputs[kSimdWidth][rt::kMaxCollectiveBytes];
  int32_t args[kSimdWidth];
};

// Which bytes of one buffer were read or written (counting only): a bit per byte, set by any thread.
struct ByteSet {
  explicit ByteSet(size_t bytes) : words((bytes + 63) / 64), bits(new std::atomic<uint64_t>[words]) {
    for (size_t i = 0; i < words; ++i) bits[i].store(0, std::memory_order_relaxed);
  }
  void mark(size_t offset, size_t bytes) {
    for (size_t i = offset; i < offset + bytes && i / 64 < words; ++i) {
      bits[i / 64].fetch_or(uint64_t{1} << (i % 64), std::memory_order_relaxed);
    }
  }
  uint64_t count() const {
    uint64_t n = 0;
    for (size_t i = 0; i < words; ++i) n += static_cast<uint64_t>(__builtin_popcountll(bits[i].load()));
    return n;
  }
  size_t words;
  std::unique_ptr<std::atomic<uint64_t>[]> bits;
};

struct LaunchState {
  const Launch* launch;
  void (*thunk)();
  std::vector<void*> buffers;                  // by index, null = unbound
  std::vector<size_t> buffer_lengths;          // by index
  std::vector<std::unique_ptr<ByteSet>> read_bytes, write_bytes;  // by index, when counting
  std::vector<const FunctionConstant*> constants;  // by index, null = undefined
  std::vector<size_t> threadgroup_lengths;     // by index, 0 = unbound
  size_t threadgroup_arguments_bytes = 0;
};

// One threadgroup in flight on one OS thread.
struct Group {
  const LaunchState* state = nullptr;
  rt::Position position{};
  uint32_t threads = 0;
  std::vector<Fiber> fibers;
  std::vector<Simdgroup> simdgroups;
  uint32_t barrier_arrived = 0;
  char barrier_sync = 0, start_sync = 0, end_sync = 0;
  std::vector<unsigned char> arena;
  std::vector<std::pair<const void*, size_t>> variables;  // key -> offset
  std::vector<size_t> argument_offsets;                   // [[threadgroup(n)]] -> offset
  size_t used = 0;
  bool failed = false;
  std::string error;
  Fiber* current = nullptr;
  Context scheduler;
  void* scheduler_tsan = nullptr;
  const void* scheduler_stack = nullptr;
  size_t scheduler_stack_bytes = 0;
  // Counting: this threadgroup's counts, device bytes requested per buffer index, and the threadgroup-memory
  // accesses of each simdgroup since it last synchronised (lane, the lane's n-th access, 4-byte word), which
  // the bank model pairs up by n.
  bool counting = false;
  Counts counts;
  uint64_t read_by_buffer[31] = {}, write_by_buffer[31] = {};
  struct Access {
    uint32_t lane, step, word;
  };
  std::vector<std::vector<Access>> pending;
  std::vector<uint32_t> steps;  // by fiber
};

thread_local Group* t_group = nullptr;
thread_local Fiber* t_starting = nullptr;

// Extra passes of one step of a simdgroup's threadgroup-memory accesses: 32 banks of 4 bytes, one word per
// bank per pass, lanes reading the same word sharing it.
uint64_t bank_conflicts(std::vector<uint32_t>& words) {
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  uint32_t per_bank[32] = {};
  uint32_t worst = 0;
  for (uint32_t w : words) worst = std::max(worst, ++per_bank[w % 32]);
  return worst > 1 ? worst - 1 : 0;
}

// Settles a simdgroup's pending accesses into bank conflicts; its lanes start counting steps anew.
void settle_accesses(Group& g, uint32_t simdgroup) {
  std::vector<Group::Access>& pending = g.pending[simdgroup];
  if (!pending.empty()) {
    std::stable_sort(pending.begin(), pending.end(),
                     [](const Group::Access& a, const Group::Access& b) { return a.step < b.step; });
    std::vector<uint32_t> words;
    for (size_t i = 0; i < pending.size();) {
      words.clear();
      size_t j = i;
      for (; j < pending.size() && pending[j].step == pending[i].step; ++j) words.push_back(pending[j].word);
      g.counts.bank_conflicts += bank_conflicts(words);
      i = j;
    }
    pending.clear();
  }
  for (uint32_t l = 0; l < g.simdgroups[simdgroup].lanes; ++l) g.steps[simdgroup * kSimdWidth + l] = 0;
}

bool in_arena(const Group& g, const void* p) {
  const unsigned char* a = static_cast<const unsigned char*>(p);
  return a >= g.arena.data() && a < g.arena.data() + g.arena.size();
}

// The bound buffer holding an address, or -1.
int buffer_of(const Group& g, const void* p, size_t* offset) {
  const unsigned char* a = static_cast<const unsigned char*>(p);
  const LaunchState& s = *g.state;
  for (size_t i = 0; i < s.buffers.size(); ++i) {
    const unsigned char* base = static_cast<const unsigned char*>(s.buffers[i]);
    if (base && a >= base && a < base + s.buffer_lengths[i]) {
      *offset = static_cast<size_t>(a - base);
      return static_cast<int>(i);
    }
  }
  return -1;
}

void count_device(Group& g, int index, size_t offset, size_t bytes, bool store) {
  (store ? g.counts.device_write_bytes : g.counts.device_read_bytes) += bytes;
  (store ? g.write_by_buffer : g.read_by_buffer)[index] += bytes;
  const LaunchState& s = *g.state;
  (store ? s.write_bytes : s.read_bytes)[index]->mark(offset, bytes);
}

Group& group() {
  if (!t_group || !t_group->current) throw SimulatorError("MSL runtime function called outside a kernel");
  return *t_group;
}

std::string where(const char* file, int line) {
  std::string f = file ? file : "";
  const size_t slash = f.find_last_of('/');
  return (slash == std::string::npos ? f : f.substr(slash + 1)) + ":" + std::to_string(line);
}

void set_error(Group& g, const std::string& message) {
  if (!g.failed) {
    g.failed = true;
    g.error = message;
  }
}

// Fiber -> scheduler. Returns when the scheduler resumes this fiber (never, when `final`).
void yield_to_scheduler(Group& g, Fiber& f, bool final) {
  // Read the bookkeeping untracked, but switch with no ignore left open: a final switch never returns.
  void* scheduler_tsan;
  const void* scheduler_stack;
  size_t scheduler_stack_bytes;
  void** fake_stack;
  {
    Untracked untracked;
    scheduler_tsan = g.scheduler_tsan;
    scheduler_stack = g.scheduler_stack;
    scheduler_stack_bytes = g.scheduler_stack_bytes;
    fake_stack = final ? nullptr : &f.asan_fake_stack;
  }
#if defined(__SANITIZE_THREAD__)
  __tsan_switch_to_fiber(scheduler_tsan, 1 /* __tsan_switch_to_fiber_no_sync */);
#else
  (void)scheduler_tsan;
#endif
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack, scheduler_stack, scheduler_stack_bytes);
#else
  (void)fake_stack;
  (void)scheduler_stack;
  (void)scheduler_stack_bytes;
#endif
  context_switch(&f.context, &g.scheduler);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(f.asan_fake_stack, nullptr, nullptr);
#endif
}

// Blocks the current fiber until a rendezvous releases it; unwinds it if the threadgroup failed meanwhile.
void block(Group& g, Fiber& f) {
  f.runnable = false;
  yield_to_scheduler(g, f, false);
  if (g.failed) throw Abort{};
}

void fiber_entry() {
  Fiber* f;
  Group* g;
  {
    Untracked untracked;
    f = t_starting;
    g = t_group;
  }
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, &g->scheduler_stack, &g->scheduler_stack_bytes);
#endif
  sync_acquire(&g->start_sync);
  try {
    g->state->thunk();
  } catch (const Abort&) {
  } catch (const std::exception& e) {
    Untracked untracked;
    set_error(*g, std::string("the kernel threw: ") + e.what());
  }
  {
    Untracked untracked;
    f->done = true;
    f->wait = Wait::kNone;
  }
  sync_release(&g->end_sync);
  yield_to_scheduler(*g, *f, true);
}

// Fiber stacks, each with a guard page below it. Kept for the life of the process and handed to
// whichever worker needs them, so launches do not map and unmap stacks again.
class StackPool {
 public:
  ~StackPool() {
    for (void* s : stacks_) release(s);
  }
  // Stacks for `count` fibers, exclusively the caller's until it gives them back.
  std::vector<void*> take(size_t count) {
    std::vector<void*> out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (out.size() < count && !free_.empty()) {
        out.push_back(free_.back());
        free_.pop_back();
      }
    }
    while (out.size() < count) {
      void* m = mmap(nullptr, kStackBytes + page(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) {
        give_back(out);
        throw SimulatorError("cannot allocate simulated thread stacks");
      }
      mprotect(m, page(), PROT_NONE);
      out.push_back(static_cast<char*>(m) + page());
      std::lock_guard<std::mutex> lock(mutex_);
      stacks_.push_back(out.back());
    }
    return out;
  }
  void give_back(const std::vector<void*>& stacks) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.insert(free_.end(), stacks.begin(), stacks.end());
  }

 private:
  static size_t page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
  static void release(void* s) { munmap(static_cast<char*>(s) - page(), kStackBytes + page()); }
  std::mutex mutex_;
  std::vector<void*> stacks_;  // every stack ever mapped
  std::vector<void*> free_;
};

StackPool& stack_pool() {
  static StackPool pool;
  return pool;
}

std::string describe_stuck(const Group& g) {
  std::ostringstream out;
  const Fiber* at_barrier = nullptr;
  uint32_t barrier_waiting = 0, exited = 0;
  for (const Fiber& f : g.fibers) {
    if (f.done) ++exited;
    if (f.wait == Wait::kBarrier) {
      ++barrier_waiting;
      at_barrier = &f;
    }
  }
  for (size_t s = 0; s < g.simdgroups.size(); ++s) {
    uint32_t waiting = 0, gone = 0;
    const Fiber* example = nullptr;
    for (uint32_t l = 0; l < g.simdgroups[s].lanes; ++l) {
      const Fiber& f = g.fibers[s * kSimdWidth + l];
      if (f.wait == Wait::kCollective) {
        ++waiting;
        example = &f;
      }
      if (f.done) ++gone;
    }
    if (example) {
      const uint32_t elsewhere = g.simdgroups[s].lanes - waiting - gone;
      out << example->wait_op << " at " << where(example->wait_file, example->wait_line) << " reached by " << waiting
          << " of " << g.simdgroups[s].lanes << " lanes of simdgroup " << s << " (" << gone << " exited";
      if (elsewhere) out << ", " << elsewhere << " elsewhere";
      out << "); ";
    }
  }
  if (at_barrier) {
    out << "threadgroup_barrier at " << where(at_barrier->wait_file, at_barrier->wait_line) << " reached by "
        << barrier_waiting << " of " << g.threads << " threads (" << exited << " exited); ";
  }
  std::string s = out.str();
  return "no thread can proceed: " + (s.empty() ? std::string("unknown wait") : s.substr(0, s.size() - 2));
}

// Not inlined: a context switch returns twice, and locals of an inlining caller could be clobbered.
__attribute__((noinline)) void run_group(Group& g, const std::vector<void*>& stacks) {
  t_group = &g;
  {
    // Poison threadgroup memory so that reads of unwritten elements show (NaN for floats).
    std::fill(g.arena.begin(), g.arena.end(), static_cast<unsigned char>(0xff));
    g.variables.clear();
    g.used = g.state->threadgroup_arguments_bytes;
    g.failed = false;
    g.error.clear();
    g.barrier_arrived = 0;
    for (Simdgroup& s : g.simdgroups) s.arrived = 0;
    g.counting = g.state->launch->counters != nullptr;
    g.counts = Counts();
    std::fill(std::begin(g.read_by_buffer), std::end(g.read_by_buffer), 0);
    std::fill(std::begin(g.write_by_buffer), std::end(g.write_by_buffer), 0);
    g.pending.assign(g.simdgroups.size(), {});
    g.steps.assign(g.threads, 0);
  }
#if defined(__SANITIZE_THREAD__)
  g.scheduler_tsan = __tsan_get_current_fiber();
#endif
  sync_release(&g.start_sync);
  const rt::Position size{g.state->launch->threads_per_threadgroup.x, g.state->launch->threads_per_threadgroup.y,
                          g.state->launch->threads_per_threadgroup.z};
  for (uint32_t i = 0; i < g.threads; ++i) {
    Fiber& f = g.fibers[i];
    f = Fiber();
    f.index = i;
    f.local = {i % size.x, (i / size.x) % size.y, i / (size.x * size.y)};
    f.lane = i % kSimdWidth;
    f.simdgroup = i / kSimdWidth;
    f.stack = stacks[i];
    context_init(&f.context, f.stack, kStackBytes, fiber_entry);
#if defined(__SANITIZE_THREAD__)
    f.tsan_fiber = __tsan_create_fiber(0);
#endif
  }
  for (;;) {
    bool ran = false;
    bool all_done = true;
    for (Fiber& f : g.fibers) {
      if (f.done) continue;
      all_done = false;
      if (!f.runnable) continue;
      ran = true;
      g.current = &f;
      t_starting = &f;
#if defined(__SANITIZE_THREAD__)
      __tsan_switch_to_fiber(f.tsan_fiber, 1 /* __tsan_switch_to_fiber_no_sync */);
#endif
#if defined(__SANITIZE_ADDRESS__)
      void* fake_stack = nullptr;
      __sanitizer_start_switch_fiber(&fake_stack, f.stack, kStackBytes);
#endif
      context_switch(&g.scheduler, &f.context);
#if defined(__SANITIZE_ADDRESS__)
      __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
#endif
      g.current = nullptr;
    }
    if (all_done) break;
    if (!ran) {
      // Nothing can run: a rendezvous that will never complete. Report it and unwind every blocked fiber.
      set_error(g, describe_stuck(g));
      for (Fiber& f : g.fibers) {
        if (!f.done) f.runnable = true;
      }
    }
  }
  sync_acquire(&g.end_sync);
#if defined(__SANITIZE_THREAD__)
  for (Fiber& f : g.fibers) __tsan_destroy_fiber(f.tsan_fiber);
#endif
  if (g.counting) {
    for (uint32_t s = 0; s < g.simdgroups.size(); ++s) settle_accesses(g, s);
  }
  t_group = nullptr;
}

}  // namespace

void register_kernel(const char* host_name, void (*thunk)()) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  registry()[host_name] = Kernel{thunk};
}

bool has_kernel(const std::string& host_name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  return registry().count(host_name) != 0;
}

void run(const Launch& launch) {
  const std::string name = "kernel " + launch.kernel + ": ";
  LaunchState state;
  state.launch = &launch;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(launch.kernel);
    if (it == registry().end()) throw SimulatorError("no kernel named " + launch.kernel + " is compiled in");
    state.thunk = it->second.thunk;
  }
  const uint64_t threads = launch.threads_per_threadgroup.count();
  if (threads == 0 || threads > kMaxThreadsPerThreadgroup) {
    throw SimulatorError(name + std::to_string(threads) + " threads per threadgroup (1.." +
                         std::to_string(kMaxThreadsPerThreadgroup) + " allowed)");
  }
  if (launch.threadgroups.count() == 0) throw SimulatorError(name + "empty grid");
  for (const BufferBinding& b : launch.buffers) {
    if (b.index >= 31) throw SimulatorError(name + "buffer index " + std::to_string(b.index) + " (0..30 allowed)");
    if (!b.data) throw SimulatorError(name + "buffer " + std::to_string(b.index) + " is null");
    if (state.buffers.size() <= b.index) {
      state.buffers.resize(b.index + 1, nullptr);
      state.buffer_lengths.resize(b.index + 1, 0);
    }
    state.buffers[b.index] = b.data;
    state.buffer_lengths[b.index] = b.length;
  }
  if (launch.counters) {
    state.read_bytes.resize(state.buffers.size());
    state.write_bytes.resize(state.buffers.size());
    for (size_t i = 0; i < state.buffers.size(); ++i) {
      state.read_bytes[i] = std::make_unique<ByteSet>(state.buffer_lengths[i]);
      state.write_bytes[i] = std::make_unique<ByteSet>(state.buffer_lengths[i]);
    }
  }
  for (const FunctionConstant& c : launch.constants) {
    if (state.constants.size() <= c.index) state.constants.resize(c.index + 1, nullptr);
    state.constants[c.index] = &c;
  }
  for (const ThreadgroupBinding& t : launch.threadgroup_memory) {
    if (state.threadgroup_lengths.size() <= t.index) state.threadgroup_lengths.resize(t.index + 1, 0);
    state.threadgroup_lengths[t.index] = (t.length + 15) & ~size_t{15};
    state.threadgroup_arguments_bytes += state.threadgroup_lengths[t.index];
  }
  if (state.threadgroup_arguments_bytes > kThreadgroupMemoryLimit) {
    throw SimulatorError(name + "threadgroup memory arguments take " +
                         std::to_string(state.threadgroup_arguments_bytes) + " bytes, over the 32 KB limit");
  }

  const uint64_t groups = launch.threadgroups.count();
  unsigned workers = launch.workers ? launch.workers : std::max(1u, std::thread::hardware_concurrency());
  workers = static_cast<unsigned>(std::min<uint64_t>(workers, groups));
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::string first_error;
  Counters counted;

  auto work = [&] {
    Group g;
    g.state = &state;
    g.threads = static_cast<uint32_t>(threads);
    g.fibers.resize(threads);
    g.simdgroups.resize((threads + kSimdWidth - 1) / kSimdWidth);
    for (size_t s = 0; s < g.simdgroups.size(); ++s) {
      g.simdgroups[s].lanes = static_cast<uint32_t>(std::min<uint64_t>(kSimdWidth, threads - s * kSimdWidth));
    }
    // Room past the limit so that an over-limit request is seen and reported, not written out of bounds.
    g.arena.resize(2 * kThreadgroupMemoryLimit);
    size_t offset = 0;
    g.argument_offsets.assign(state.threadgroup_lengths.size(), 0);
    for (size_t i = 0; i < state.threadgroup_lengths.size(); ++i) {
      g.argument_offsets[i] = offset;
      offset += state.threadgroup_lengths[i];
    }
    std::vector<void*> stacks;
    try {
      stacks = stack_pool().take(threads);
      for (uint64_t i; !stop.load() && (i = next.fetch_add(1)) < groups;) {
        const Size3& grid = launch.threadgroups;
        g.position = {static_cast<uint32_t>(i % grid.x), static_cast<uint32_t>((i / grid.x) % grid.y),
                      static_cast<uint32_t>(i / (static_cast<uint64_t>(grid.x) * grid.y))};
        run_group(g, stacks);
        if (g.counting) {
          std::lock_guard<std::mutex> lock(error_mutex);
          counted.total.add(g.counts);
          counted.max_threadgroup.keep_max(g.counts);
          ++counted.threadgroups;
          counted.threadgroup_memory_bytes = std::max(counted.threadgroup_memory_bytes, g.used);
          for (int b = 0; b < 31; ++b) {
            counted.read_bytes[b] += g.read_by_buffer[b];
            counted.write_bytes[b] += g.write_by_buffer[b];
          }
        }
        if (g.failed) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (first_error.empty()) {
            first_error = name + g.error + " (threadgroup " + std::to_string(g.position.x) + "," +
                          std::to_string(g.position.y) + "," + std::to_string(g.position.z) + ")";
          }
          stop.store(true);
        }
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (first_error.empty()) first_error = name + e.what();
      stop.store(true);
    }
    stack_pool().give_back(stacks);
  };
  std::vector<std::thread> pool;
  for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (!first_error.empty()) throw SimulatorError(first_error);
  if (launch.counters) {
    for (size_t i = 0; i < state.buffers.size(); ++i) {
      if (!state.buffers[i]) continue;
      counted.distinct_read_bytes[i] = state.read_bytes[i]->count();
      counted.distinct_write_bytes[i] = state.write_bytes[i]->count();
    }
    *launch.counters = counted;
  }
}

void Counts::add(const Counts& o) {
  mma += o.mma;
  threadgroup_read_bytes += o.threadgroup_read_bytes;
  threadgroup_write_bytes += o.threadgroup_write_bytes;
  bank_conflicts += o.bank_conflicts;
  matrix_bank_conflicts += o.matrix_bank_conflicts;
  threadgroup_barriers += o.threadgroup_barriers;
  simdgroup_barriers += o.simdgroup_barriers;
  device_read_bytes += o.device_read_bytes;
  device_write_bytes += o.device_write_bytes;
}

void Counts::keep_max(const Counts& o) {
  mma = std::max(mma, o.mma);
  threadgroup_read_bytes = std::max(threadgroup_read_bytes, o.threadgroup_read_bytes);
  threadgroup_write_bytes = std::max(threadgroup_write_bytes, o.threadgroup_write_bytes);
  bank_conflicts = std::max(bank_conflicts, o.bank_conflicts);
  matrix_bank_conflicts = std::max(matrix_bank_conflicts, o.matrix_bank_conflicts);
  threadgroup_barriers = std::max(threadgroup_barriers, o.threadgroup_barriers);
  simdgroup_barriers = std::max(simdgroup_barriers, o.simdgroup_barriers);
  device_read_bytes = std::max(device_read_bytes, o.device_read_bytes);
  device_write_bytes = std::max(device_write_bytes, o.device_write_bytes);
}

namespace rt {

Position thread_position_in_threadgroup() {
  Untracked untracked;
  return group().current->local;
}

Position threadgroup_position_in_grid() {
  Untracked untracked;
  return group().position;
}

Position threads_per_threadgroup() {
  Untracked untracked;
  const Size3& s = group().state->launch->threads_per_threadgroup;
  return {s.x, s.y, s.z};
}

Position threadgroups_per_grid() {
  Untracked untracked;
  const Size3& s = group().state->launch->threadgroups;
  return {s.x, s.y, s.z};
}

Position thread_position_in_grid() {
  Untracked untracked;
  Group& g = group();
  const Size3& s = g.state->launch->threads_per_threadgroup;
  const Position l = g.current->local;
  return {g.position.x * s.x + l.x, g.position.y * s.y + l.y, g.position.z * s.z + l.z};
}

uint32_t thread_index_in_threadgroup() {
  Untracked untracked;
  return group().current->index;
}

uint32_t thread_index_in_simdgroup() {
  Untracked untracked;
  return group().current->lane;
}

uint32_t simdgroup_index_in_threadgroup() {
  Untracked untracked;
  return group().current->simdgroup;
}

uint32_t simdgroups_per_threadgroup() {
  Untracked untracked;
  return static_cast<uint32_t>(group().simdgroups.size());
}

uint32_t threads_per_simdgroup() { return kSimdWidth; }

void* buffer(uint32_t index) {
  void* p;
  {
    Untracked untracked;
    const LaunchState& s = *group().state;
    p = index < s.buffers.size() ? s.buffers[index] : nullptr;
  }
  if (!p) fail(("buffer(" + std::to_string(index) + ") is not bound").c_str(), nullptr, 0);
  return p;
}

void* optional_buffer(uint32_t index) {
  Untracked untracked;
  const LaunchState& s = *group().state;
  return index < s.buffers.size() ? s.buffers[index] : nullptr;
}

void* threadgroup_argument(uint32_t index) {
  void* p = nullptr;
  {
    Untracked untracked;
    Group& g = group();
    if (index < g.state->threadgroup_lengths.size() && g.state->threadgroup_lengths[index] != 0) {
      p = g.arena.data() + g.argument_offsets[index];
    }
  }
  if (!p) fail(("threadgroup(" + std::to_string(index) + ") has no length set").c_str(), nullptr, 0);
  return p;
}

const FunctionConstant* function_constant(uint32_t index) {
  Untracked untracked;
  const LaunchState& s = *group().state;
  return index < s.constants.size() ? s.constants[index] : nullptr;
}

void* threadgroup_variable(const void* key, size_t bytes, size_t alignment) {
  size_t over = 0;
  void* p = nullptr;
  {
    Untracked untracked;
    Group& g = group();
    for (const auto& [k, offset] : g.variables) {
      if (k == key) return g.arena.data() + offset;
    }
    const size_t offset = (g.used + alignment - 1) / alignment * alignment;
    if (offset + bytes > kThreadgroupMemoryLimit) {
      over = offset + bytes;
    } else {
      g.used = offset + bytes;
      g.variables.emplace_back(key, offset);
      p = g.arena.data() + offset;
    }
  }
  if (!p) {
    fail(("threadgroup memory needs " + std::to_string(over) + " bytes, over the 32 KB limit").c_str(), nullptr, 0);
  }
  return p;
}

void fail(const char* what, const char* file, int line) {
  {
    Untracked untracked;
    Group& g = group();
    set_error(g, file ? std::string(what) + " at " + where(file, line) : std::string(what));
  }
  throw Abort{};
}

void threadgroup_barrier(const char* file, int line) {
  bool last;
  {
    Untracked untracked;
    Group& g = group();
    if (g.failed) throw Abort{};
    Fiber& f = *g.current;
    f.wait = Wait::kBarrier;
    f.wait_op = "threadgroup_barrier";
    f.wait_file = file;
    f.wait_line = line;
    last = ++g.barrier_arrived == g.threads;
  }
  Group& g = *t_group;
  sync_release(&g.barrier_sync);
  if (!last) {
    {
      Untracked untracked;
      block(g, *g.current);
    }
    sync_acquire(&g.barrier_sync);
    return;
  }
  {
    Untracked untracked;
    for (const Fiber& f : g.fibers) {
      if (f.wait_line != line || std::strcmp(f.wait_file, file) != 0) {
        set_error(g, "threadgroup_barrier reached at different places: " + where(file, line) + " and " +
                         where(f.wait_file, f.wait_line));
        throw Abort{};
      }
    }
    g.barrier_arrived = 0;
    for (Fiber& f : g.fibers) {
      f.wait = Wait::kNone;
      f.runnable = true;
    }
    if (g.counting) {
      ++g.counts.threadgroup_barriers;
      for (uint32_t s = 0; s < g.simdgroups.size(); ++s) settle_accesses(g, s);
    }
  }
  sync_acquire(&g.barrier_sync);
}

void simd_collective(const char* op, const char* file, int line, const void* value, void* result, size_t size,
                     int32_t arg, CollectiveFn compute) {
  bool last;
  Group* gp;
  Simdgroup* sp;
  Fiber* fp;
  {
    Untracked untracked;
    gp = &group();
    if (gp->failed) throw Abort{};
    fp = gp->current;
    sp = &gp->simdgroups[fp->simdgroup];
    std::memcpy(sp->inputs[fp->lane], value, size);
    sp->args[fp->lane] = arg;
    fp->wait = Wait::kCollective;
    fp->wait_op = op;
    fp->wait_file = file;
    fp->wait_line = line;
    last = ++sp->arrived == sp->lanes;
  }
  sync_release(sp);
  if (!last) {
    {
      Untracked untracked;
      block(*gp, *fp);
    }
    sync_acquire(sp);
    Untracked untracked;
    std::memcpy(result, sp->outputs[fp->lane], size);
    return;
  }
  sync_acquire(sp);
  Untracked untracked;
  const uint32_t base = fp->simdgroup * kSimdWidth;
  for (uint32_t l = 0; l < sp->lanes; ++l) {
    const Fiber& f = gp->fibers[base + l];
    if (std::strcmp(f.wait_op, op) != 0 || f.wait_line != line || std::strcmp(f.wait_file, file) != 0) {
      set_error(*gp, std::string("lanes of simdgroup ") + std::to_string(fp->simdgroup) +
                         " are at different SIMD operations: " + f.wait_op + " at " + where(f.wait_file, f.wait_line) +
                         " and " + op + " at " + where(file, line));
      throw Abort{};
    }
  }
  compute(&sp->inputs[0][0], &sp->outputs[0][0], sp->args, sp->lanes, size);
  sp->arrived = 0;
  if (gp->counting) {
    if (std::strcmp(op, "simdgroup_barrier") == 0) ++gp->counts.simdgroup_barriers;
    settle_accesses(*gp, fp->simdgroup);
  }
  for (uint32_t l = 0; l < sp->lanes; ++l) {
    Fiber& f = gp->fibers[base + l];
    f.wait = Wait::kNone;
    f.runnable = true;
  }
  std::memcpy(result, sp->outputs[fp->lane], size);
  sync_release(sp);
}

bool counting() {
  const Group* g = t_group;
  return g && g->counting && g->current;
}

void count_mma() {
  if (counting()) ++t_group->counts.mma;
}

void count_matrix(const void* base, size_t element_bytes, size_t elements_per_row, bool transpose, bool store) {
  if (!counting()) return;
  Group& g = *t_group;
  const unsigned char* b = static_cast<const unsigned char*>(base);
  auto element = [&](int k) {  // byte offset of element k of the 8x8 tile, row-major as loaded
    const size_t r = static_cast<size_t>(k / 8), c = static_cast<size_t>(k % 8);
    return (transpose ? c * elements_per_row + r : r * elements_per_row + c) * element_bytes;
  };
  if (in_arena(g, b)) {
    (store ? g.counts.threadgroup_write_bytes : g.counts.threadgroup_read_bytes) += 64 * element_bytes;
    // The model: the 64 elements move in two passes of 32, one element per lane, in row-major order.
    std::vector<uint32_t> words;
    for (int half = 0; half < 2; ++half) {
      words.clear();
      for (int k = 32 * half; k < 32 * half + 32; ++k) {
        words.push_back(static_cast<uint32_t>((b - g.arena.data() + element(k)) / 4));
      }
      const uint64_t extra = bank_conflicts(words);
      g.counts.bank_conflicts += extra;
      g.counts.matrix_bank_conflicts += extra;
    }
    return;
  }
  for (int k = 0; k < 64; ++k) {
    size_t offset;
    const int index = buffer_of(g, b + element(k), &offset);
    if (index >= 0) count_device(g, index, offset, element_bytes, store);
  }
}

void count_access(const void* address, size_t bytes, bool store) {
  if (!counting() || t_group->current->counting_paused) return;
  Group& g = *t_group;
  const unsigned char* a = static_cast<const unsigned char*>(address);
  if (in_arena(g, a)) {
    (store ? g.counts.threadgroup_write_bytes : g.counts.threadgroup_read_bytes) += bytes;
    const Fiber& f = *g.current;
    const uint32_t step = g.steps[f.index]++;
    const size_t first = static_cast<size_t>(a - g.arena.data()) / 4;
    const size_t last = (static_cast<size_t>(a - g.arena.data()) + bytes - 1) / 4;
    for (size_t w = first; w <= last; ++w) {
      g.pending[f.simdgroup].push_back({f.lane, step, static_cast<uint32_t>(w)});
    }
    return;
  }
  size_t offset;
  const int index = buffer_of(g, a, &offset);
  if (index >= 0) count_device(g, index, offset, bytes, store);
}

CountingPause::CountingPause() {
  if (counting()) paused_ = &t_group->current->counting_paused;
  if (paused_) ++*paused_;
}

CountingPause::~CountingPause() {
  if (paused_) --*paused_;
}

}  // namespace rt
}  // namespace msl
