// simdgroup_matrix<T, 8, 8>: every lane holds the whole tile and computes whole products, so loads and
// multiplies need no exchange between lanes; stores are split so that each element is written by exactly
// one lane. Apple's per-lane layout is undocumented, so thread_elements() is deliberately absent: kernels
// must only use load, store, multiply and multiply_accumulate.
//
// matrix_origin is (column, row) in the source, applied before an optional transpose; products are
// accumulated in float and rounded to T once per result element.
//
// Counting (msl::Launch::counters): each operation counts once per simdgroup, from lane 0, and pauses the
// tracing of its own per-lane element accesses (each lane here moves whole tiles, which a GPU does not).
#pragma once

#include <type_traits>

#include "msl/kernel.h"
#include "msl/vector.h"

namespace metal {

template <typename T, int Cols, int Rows>
struct simdgroup_matrix {
  static_assert(Cols == 8 && Rows == 8, "the simulator models 8x8 simdgroup matrices");
  T e[8][8];  // [row][column]
};

using simdgroup_float8x8 = simdgroup_matrix<float, 8, 8>;
using simdgroup_half8x8 = simdgroup_matrix<half, 8, 8>;
using simdgroup_bfloat8x8 = simdgroup_matrix<bfloat, 8, 8>;

template <typename T, int C, int R>
simdgroup_matrix<T, C, R> make_filled_simdgroup_matrix(T value) {
  msl::rt::CountingPause pause;
  simdgroup_matrix<T, C, R> m;
  for (auto& row : m.e) {
    for (T& x : row) x = value;
  }
  return m;
}

namespace matrix_detail {

inline bool counting_lane() { return msl::rt::counting() && msl::rt::thread_index_in_simdgroup() == 0; }

}  // namespace matrix_detail

template <typename T, int C, int R>
void simdgroup_load(simdgroup_matrix<T, C, R>& d, const T* src, ulong elements_per_row = C,
                    ulong2 matrix_origin = ulong2(0, 0), bool transpose_matrix = false) {
  msl::rt::CountingPause pause;
  const T* base = src + matrix_origin.y * elements_per_row + matrix_origin.x;
  if (matrix_detail::counting_lane()) msl::rt::count_matrix(base, sizeof(T), elements_per_row, transpose_matrix, false);
  for (int r = 0; r < 8; ++r) {
    for (int c = 0; c < 8; ++c) {
      d.e[r][c] = transpose_matrix ? base[c * elements_per_row + r] : base[r * elements_per_row + c];
    }
  }
}

template <typename T, int C, int R>
void simdgroup_store(const simdgroup_matrix<T, C, R>& a, T* dst, ulong elements_per_row = C,
                     ulong2 matrix_origin = ulong2(0, 0), bool transpose_matrix = false) {
  msl::rt::CountingPause pause;
  const uint32_t sg = msl::rt::simdgroup_index_in_threadgroup();
  const msl::rt::Position tpt = msl::rt::threads_per_threadgroup();
  const uint32_t threads = tpt.x * tpt.y * tpt.z;
  const uint32_t lanes = threads - sg * 32 < 32 ? threads - sg * 32 : 32;
  const uint32_t lane = msl::rt::thread_index_in_simdgroup();
  T* base = dst + matrix_origin.y * elements_per_row + matrix_origin.x;
  if (matrix_detail::counting_lane()) msl::rt::count_matrix(base, sizeof(T), elements_per_row, transpose_matrix, true);
  for (uint32_t k = lane; k < 64; k += lanes) {
    const int r = static_cast<int>(k / 8), c = static_cast<int>(k % 8);
    if (transpose_matrix) {
      base[c * elements_per_row + r] = a.e[r][c];
    } else {
      base[r * elements_per_row + c] = a.e[r][c];
    }
  }
}

// d = a * b + c. The operands may differ in type from the accumulators (half or bfloat matrices into float,
// as Metal allows): every product and sum is taken in float and rounded to d's type once per element.
template <typename TD, typename TA, typename TB, typename TC, int C, int R>
void simdgroup_multiply_accumulate(simdgroup_matrix<TD, C, R>& d, const simdgroup_matrix<TA, C, R>& a,
                                   const simdgroup_matrix<TB, C, R>& b, const simdgroup_matrix<TC, C, R>& c) {
  msl::rt::CountingPause pause;
  if (matrix_detail::counting_lane()) msl::rt::count_mma();
  simdgroup_matrix<TD, C, R> out;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) {
      float acc = static_cast<float>(c.e[i][j]);
      for (int k = 0; k < 8; ++k) acc += static_cast<float>(a.e[i][k]) * static_cast<float>(b.e[k][j]);
      out.e[i][j] = TD(acc);
    }
  }
  d = out;
}

template <typename TD, typename TA, typename TB, int C, int R>
void simdgroup_multiply(simdgroup_matrix<TD, C, R>& d, const simdgroup_matrix<TA, C, R>& a,
                        const simdgroup_matrix<TB, C, R>& b) {
  simdgroup_multiply_accumulate(d, a, b, make_filled_simdgroup_matrix<TD, C, R>(TD(0)));
}

}  // namespace metal
