// A minimal test harness for the native unit tests: TEST(name) { CHECK(...); CHECK_EQ(a, b); }.
#pragma once

#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace check {

struct Case {
  const char* name;
  std::function<void()> body;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}

inline int& failures() {
  static int n = 0;
  return n;
}

struct Register {
  Register(const char* name, std::function<void()> body) { cases().push_back({name, std::move(body)}); }
};

inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what.c_str());
  ++failures();
}

template <typename A, typename B>
void check_eq(const A& a, const B& b, const char* as, const char* bs, const char* file, int line) {
  if (!(a == b)) {
    std::ostringstream out;
    out << as << " == " << bs << " (" << a << " vs " << b << ")";
    fail(file, line, out.str());
  }
}

// Runs every registered case; returns the process exit code.
inline int run_all() {
  for (const Case& c : cases()) {
    const int before = failures();
    try {
      c.body();
    } catch (const std::exception& e) {
      fail(c.name, 0, std::string("unexpected exception: ") + e.what());
    }
    std::fprintf(stderr, "%s %s\n", failures() == before ? "ok  " : "FAIL", c.name);
  }
  std::fprintf(stderr, "%zu cases, %d failures\n", cases().size(), failures());
  return failures() == 0 ? 0 : 1;
}

}  // namespace check

#define CHECK_CONCAT2(a, b) a##b
#define CHECK_CONCAT(a, b) CHECK_CONCAT2(a, b)
#define TEST(name)                                                                     \
  static void name();                                                                  \
  static check::Register CHECK_CONCAT(register_, name)(#name, &name);                 \
  static void name()
#define CHECK(cond) \
  ((cond) ? (void)0 : check::fail(__FILE__, __LINE__, #cond))
#define CHECK_EQ(a, b) check::check_eq((a), (b), #a, #b, __FILE__, __LINE__)
// The expression throws an exception whose message contains `part`.
#define CHECK_THROWS(expression, part)                                                              \
  do {                                                                                              \
    try {                                                                                           \
      expression;                                                                                   \
      check::fail(__FILE__, __LINE__, std::string(#expression) + " did not throw");                  \
    } catch (const std::exception& e) {                                                             \
      CHECK_CONTAINS(e.what(), part);                                                               \
    }                                                                                               \
  } while (0)
#define CHECK_CONTAINS(text, part)                                                                   \
  ((std::string(text).find(part) != std::string::npos)                                               \
       ? (void)0                                                                                      \
       : check::fail(__FILE__, __LINE__, std::string("\"") + std::string(text) + "\" contains \"" + part + "\""))
