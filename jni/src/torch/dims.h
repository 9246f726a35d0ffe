// Sizes or strides of a tensor. Inline for the ranks attention uses, so that reading a call's tensors
// allocates nothing (this runs on every routed call); on the heap beyond.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace djl_metal::torch {

class Dims {
 public:
  Dims() = default;
  Dims(std::initializer_list<int64_t> values) { assign(values.begin(), values.end()); }
  Dims(const std::vector<int64_t>& values) { assign(values.data(), values.data() + values.size()); }  // NOLINT
  Dims(const int64_t* first, const int64_t* last) { assign(first, last); }

  void assign(const int64_t* first, const int64_t* last) {
    size_ = static_cast<size_t>(last - first);
    if (size_ > kInline) heap_.assign(first, last);
    std::copy(first, last, data());
  }
  void resize(size_t n, int64_t value = 0) {
    if (n > kInline && size_ <= kInline) heap_.assign(inline_, inline_ + size_);
    if (n > kInline) heap_.resize(n, value);
    if (n <= kInline && size_ > kInline) std::copy(heap_.begin(), heap_.begin() + n, inline_);
    for (size_t i = size_; i < n && n <= kInline; ++i) inline_[i] = value;
    size_ = n;
  }
  void push_back(int64_t v) {
    resize(size_ + 1);
    back() = v;
  }

  size_t size() const { return size_; }
  int64_t* data() { return size_ <= kInline ? inline_ : heap_.data(); }
  const int64_t* data() const { return size_ <= kInline ? inline_ : heap_.data(); }
  int64_t& operator[](size_t i) { return data()[i]; }
  int64_t operator[](size_t i) const { return data()[i]; }
  int64_t& back() { return data()[size_ - 1]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + size_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size_; }

  bool operator==(const Dims& o) const { return size_ == o.size_ && std::equal(begin(), end(), o.begin()); }
  bool operator!=(const Dims& o) const { return !(*this == o); }

 private:
  static constexpr size_t kInline = 8;
  int64_t inline_[kInline] = {};
  std::vector<int64_t> heap_;
  size_t size_ = 0;
};

}  // namespace djl_metal::torch
