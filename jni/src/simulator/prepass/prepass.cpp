// The MSL pre-pass: rewrites a .metal file into C++ that g++ compiles against the simulator's compatibility
// headers, keeping every line where it was (so compiler errors and sanitizer reports name .metal lines).
//
//   usage: msl_prepass <in.metal> <out.cpp> <registration function name>
//
// Rewrites (comments and string literals are left alone):
//   [[buffer(n)]], [[threadgroup(n)]], position attributes  -> default arguments read from the launch
//   [[buffer(n), function_constant(c)]]                      -> the same, null when not bound
//   constant T x [[function_constant(n)]];                   -> a lazily read msl::function_constant<T>
//   threadgroup T x[N]; inside a function                     -> storage shared by the threadgroup
//   template [[host_name("k")]] [[kernel]] decltype(f<..>) f<..>;  -> registration of f<..> as "k"
//   [[kernel]] void f(...) / kernel void f(...)               -> registration of f as "f"
//   1.5h                                                      -> half(1.5f)
//   #pragma METAL ...                                         -> commented out
// Registrations go into `void <registration function>()`, appended after the last line.
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Edit {
  size_t begin, end;
  std::string text;
};

struct Registration {
  std::string host_name, call;
};

// The source with comments and literals blanked out (same length, newlines kept): patterns are matched here.
std::string mask(const std::string& s) {
  std::string m = s;
  enum { kCode, kLine, kBlock, kString, kChar } state = kCode;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char next = i + 1 < s.size() ? s[i + 1] : '\0';
    switch (state) {
      case kCode:
        if (c == '/' && next == '/') {
          state = kLine;
          m[i] = ' ';
        } else if (c == '/' && next == '*') {
          state = kBlock;
          m[i] = ' ';
        } else if (c == '"') {
          state = kString;
        } else if (c == '\'') {
          state = kChar;
        }
        break;
      case kLine:
        if (c == '\n') {
          state = kCode;
        } else {
          m[i] = ' ';
        }
        break;
      case kBlock:
        if (c == '*' && next == '/') {
          m[i] = m[i + 1] = ' ';
          ++i;
          state = kCode;
        } else if (c != '\n') {
          m[i] = ' ';
        }
        break;
      case kString:
      case kChar:
        if (c == '\\') {
          m[i] = ' ';
          if (i + 1 < s.size()) m[++i] = ' ';
        } else if ((state == kString && c == '"') || (state == kChar && c == '\'')) {
          state = kCode;
        } else if (c != '\n') {
          m[i] = ' ';
        }
        break;
    }
  }
  return m;
}

std::string newlines_of(const std::string& s, size_t begin, size_t end) {
  std::string n;
  for (size_t i = begin; i < end; ++i) {
    if (s[i] == '\n') n += '\n';
  }
  return n;
}

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool ident(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Start of the statement containing position p: just after the previous ; { } at any depth.
size_t statement_begin(const std::string& m, size_t p) {
  while (p > 0 && m[p - 1] != ';' && m[p - 1] != '{' && m[p - 1] != '}') --p;
  return p;
}

int line_of(const std::string& s, size_t p) {
  int line = 1;
  for (size_t i = 0; i < p; ++i) line += s[i] == '\n';
  return line;
}

[[noreturn]] void die(const std::string& file, const std::string& s, size_t p, const std::string& what) {
  std::cerr << file << ":" << line_of(s, p) << ": msl_prepass: " << what << "\n";
  std::exit(1);
}

const std::map<std::string, std::string>& position_attributes() {
  static const std::map<std::string, std::string> m = {
      {"thread_position_in_grid", "::msl::position_argument(::msl::rt::thread_position_in_grid())"},
      {"thread_position_in_threadgroup", "::msl::position_argument(::msl::rt::thread_position_in_threadgroup())"},
      {"threadgroup_position_in_grid", "::msl::position_argument(::msl::rt::threadgroup_position_in_grid())"},
      {"threads_per_threadgroup", "::msl::position_argument(::msl::rt::threads_per_threadgroup())"},
      {"threadgroups_per_grid", "::msl::position_argument(::msl::rt::threadgroups_per_grid())"},
      {"thread_index_in_threadgroup", "::msl::scalar_argument(::msl::rt::thread_index_in_threadgroup())"},
      {"thread_index_in_simdgroup", "::msl::scalar_argument(::msl::rt::thread_index_in_simdgroup())"},
      {"simdgroup_index_in_threadgroup", "::msl::scalar_argument(::msl::rt::simdgroup_index_in_threadgroup())"},
      {"simdgroups_per_threadgroup", "::msl::scalar_argument(::msl::rt::simdgroups_per_threadgroup())"},
      {"threads_per_simdgroup", "::msl::scalar_argument(::msl::rt::threads_per_simdgroup())"},
  };
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: msl_prepass <in.metal> <out.cpp> <registration function>\n";
    return 2;
  }
  const std::string path = argv[1];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "msl_prepass: cannot read " << path << "\n";
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string s = buffer.str();
  const std::string m = mask(s);
  std::vector<Edit> edits;
  std::vector<Registration> registrations;

  // Statements handled as a whole (function constants, kernel instantiations); attributes inside are done.
  std::vector<std::pair<size_t, size_t>> consumed;
  auto is_consumed = [&](size_t p) {
    for (const auto& [b, e] : consumed) {
      if (p >= b && p < e) return true;
    }
    return false;
  };

  const std::regex function_constant(R"(^function_constant\s*\(\s*([^()]+?)\s*\)$)");
  const std::regex host_name(R"(^host_name\s*\(\s*\"([^\"]*)\"\s*\)$)");
  // [[buffer(n)]], [[threadgroup(n)]]; with `, function_constant(c)` the argument exists only when c is
  // true (unbound then reads as null instead of failing).
  const std::regex index_attr(
      R"(^(buffer|threadgroup)\s*\(\s*([^()]+?)\s*\)\s*(,\s*function_constant\s*\(\s*[A-Za-z_]\w*\s*\))?$)");
  const std::regex kernel_after(R"(^\s*void\s+([A-Za-z_]\w*)\s*\()");

  for (size_t p = m.find("[["); p != std::string::npos; p = m.find("[[", p + 2)) {
    const size_t close = m.find("]]", p);
    if (close == std::string::npos) die(path, s, p, "unterminated attribute");
    const std::string content = trim(s.substr(p + 2, close - p - 2));
    const size_t end = close + 2;
    if (is_consumed(p)) continue;
    std::smatch match;
    if (std::regex_match(content, match, function_constant)) {
      const size_t b = statement_begin(m, p);
      const size_t e = m.find(';', end);
      if (e == std::string::npos) die(path, s, p, "function constant without ';'");
      std::string decl = trim(s.substr(b, p - b));
      if (decl.rfind("constant", 0) == 0) decl = trim(decl.substr(8));
      size_t n = decl.size();
      while (n > 0 && ident(decl[n - 1])) --n;
      const std::string name = decl.substr(n);
      const std::string type = trim(decl.substr(0, n));
      if (name.empty() || type.empty()) die(path, s, p, "cannot read function constant declaration");
      edits.push_back({b, e + 1,
                       " static const ::msl::function_constant<" + type + "> " + name + "{" + match[1].str() + ", \"" +
                           name + "\"};" + newlines_of(s, b, e + 1)});
      consumed.emplace_back(b, e + 1);
    } else if (std::regex_match(content, match, host_name)) {
      const size_t b = m.rfind("template", p);
      const size_t e = m.find(';', end);
      const size_t dt = m.find("decltype", end);
      if (b == std::string::npos || e == std::string::npos || dt == std::string::npos || dt > e) {
        die(path, s, p, "expected: template [[host_name(\"k\")]] [[kernel]] decltype(f<...>) f<...>;");
      }
      const size_t open = m.find('(', dt);
      int depth = 0;
      size_t q = open;
      for (; q < e; ++q) {
        if (m[q] == '(') ++depth;
        if (m[q] == ')' && --depth == 0) break;
      }
      registrations.push_back({match[1].str(), trim(s.substr(open + 1, q - open - 1))});
      edits.push_back({b, e + 1, newlines_of(s, b, e + 1)});
      consumed.emplace_back(b, e + 1);
    } else if (content == "kernel") {
      std::smatch k;
      const std::string after = m.substr(end, 200);
      size_t before = p;
      while (before > 0 && std::isspace(static_cast<unsigned char>(m[before - 1]))) --before;
      const bool templated = before > 0 && m[before - 1] == '>';
      if (!templated && std::regex_search(after, k, kernel_after)) registrations.push_back({k[1], k[1].str()});
      edits.push_back({p, end, std::string(end - p, ' ')});
    } else if (std::regex_match(content, match, index_attr)) {
      std::string fn = match[1] == "buffer" ? "buffer_argument" : "threadgroup_argument";
      if (match[3].matched) fn = "optional_" + fn;
      edits.push_back({p, end, " = ::msl::" + fn + "(" + match[2].str() + ")"});
    } else if (position_attributes().count(content)) {
      edits.push_back({p, end, " = " + position_attributes().at(content)});
    } else if (content == "maybe_unused") {
      continue;
    } else {
      // Attributes that only matter to Apple's compiler (max_total_threads_per_threadgroup, user, ...).
      edits.push_back({p, end, std::string(end - p, ' ')});
    }
  }

  // `kernel void f(` written with the keyword rather than the attribute.
  {
    const std::regex keyword(R"(\bkernel\s+void\s+([A-Za-z_]\w*)\s*\()");
    for (auto it = std::sregex_iterator(m.begin(), m.end(), keyword); it != std::sregex_iterator(); ++it) {
      size_t before = static_cast<size_t>(it->position());
      while (before > 0 && std::isspace(static_cast<unsigned char>(m[before - 1]))) --before;
      if (before > 0 && m[before - 1] == '>') continue;  // a template: registered by its instantiations
      registrations.push_back({(*it)[1], (*it)[1].str()});
    }
  }

  // Function-scope threadgroup variables: one object per threadgroup, shared by its threads.
  {
    int depth = 0;
    for (size_t p = 0; p < m.size(); ++p) {
      if (m[p] == '{') ++depth;
      if (m[p] == '}') --depth;
      if (depth == 0 || m.compare(p, 11, "threadgroup") != 0 || (p > 0 && ident(m[p - 1])) || ident(m[p + 11])) {
        continue;
      }
      const size_t b = statement_begin(m, p);
      if (trim(m.substr(b, p - b)) != "") continue;  // `const threadgroup T* x = ...` and similar
      const size_t e = m.find(';', p);
      const std::string decl = trim(s.substr(p + 11, e - p - 11));
      const size_t bracket = decl.find('[');
      const std::string head = trim(decl.substr(0, bracket));
      // Not a declaration of a variable (a parameter list, an initialiser, several names); array sizes may
      // hold calls of constexpr functions.
      if (head.find_first_of("=(,") != std::string::npos || decl.find_first_of("=,") != std::string::npos ||
          is_consumed(p)) {
        continue;
      }
      size_t n = head.size();
      while (n > 0 && ident(head[n - 1])) --n;
      const std::string name = head.substr(n);
      const std::string type = trim(head.substr(0, n));
      const std::string dims = bracket == std::string::npos ? "" : decl.substr(bracket);
      if (name.empty() || type.empty()) die(path, s, p, "cannot read threadgroup variable declaration");
      edits.push_back({p, e + 1,
                       "auto& " + name + " = ::msl::threadgroup_variable<" + type + dims +
                           ">([] { static char key; return static_cast<const void*>(&key); }());" +
                           newlines_of(s, p, e + 1)});
      p = e;
    }
  }

  // Half literals: 1.0h, 2h, 1e-3h.
  for (size_t p = 0; p < m.size(); ++p) {
    if (!std::isdigit(static_cast<unsigned char>(m[p])) && !(m[p] == '.' && p + 1 < m.size() && std::isdigit(m[p + 1]))) continue;
    if (p > 0 && (ident(m[p - 1]) || m[p - 1] == '.')) {
      while (p < m.size() && (ident(m[p]) || m[p] == '.')) ++p;
      continue;
    }
    size_t q = p;
    while (q < m.size() && (std::isdigit(static_cast<unsigned char>(m[q])) || m[q] == '.')) ++q;
    if (q < m.size() && (m[q] == 'e' || m[q] == 'E')) {
      ++q;
      if (m[q] == '+' || m[q] == '-') ++q;
      while (q < m.size() && std::isdigit(static_cast<unsigned char>(m[q]))) ++q;
    }
    if (q < m.size() && (m[q] == 'h' || m[q] == 'H') && (q + 1 >= m.size() || !ident(m[q + 1]))) {
      const std::string number = s.substr(p, q - p);
      const bool real = number.find_first_of(".eE") != std::string::npos;
      edits.push_back({p, q + 1, "half(" + number + (real ? "f" : "") + ")"});
    }
    while (q < m.size() && ident(m[q])) ++q;
    p = q;
  }

  // #pragma METAL ...: Apple-only.
  {
    const std::regex pragma(R"((^|\n)([ \t]*#[ \t]*pragma[ \t]+METAL))");
    for (auto it = std::sregex_iterator(m.begin(), m.end(), pragma); it != std::sregex_iterator(); ++it) {
      const size_t at = static_cast<size_t>(it->position(2));
      edits.push_back({at, at, "//"});
    }
  }

  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.begin > b.begin; });
  std::string out = s;
  size_t limit = std::string::npos;
  for (const Edit& e : edits) {
    if (e.end > limit) die(path, s, e.begin, "overlapping rewrites");
    out.replace(e.begin, e.end - e.begin, e.text);
    limit = e.begin;
  }

  std::ofstream o(argv[2], std::ios::binary);
  o << "#line 1 \"" << path << "\"\n" << out;
  if (!out.empty() && out.back() != '\n') o << "\n";
  o << "void " << argv[3] << "() {\n";
  for (const Registration& r : registrations) {
    o << "  ::msl::register_kernel(\"" << r.host_name << "\", [] { " << r.call << "(); });\n";
  }
  o << "}\n";
  return o ? 0 : 1;
}
