// libstdc++'s headers from GCC 11 on call std::__throw_bad_array_new_length(), which entered the shared
// libstdc++ only in GLIBCXX_3.4.29, newer than what DJL's libtorch needs (3.4.26). This private copy keeps the
// library loadable wherever libtorch is; it throws what libstdc++'s own does.
#include <new>

#if defined(__GLIBCXX__)
namespace std {
__attribute__((visibility("hidden"))) void __throw_bad_array_new_length() { throw bad_array_new_length(); }
}  // namespace std
#endif
