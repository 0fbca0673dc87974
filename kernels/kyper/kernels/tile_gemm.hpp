// Register-tiled matrix product for the small and medium layers that BLAS handles poorly:
// C(m x n) = sum_k A(row, k) * B(k, col), one TileRows x TileCols tile of accumulators per work item,
// with a caller-supplied epilogue that writes each result (bias + activation, store, accumulate).
// A is addressed with two strides so X, X^T and dZ all fit; B's columns must be contiguous.
#pragma once

#include <kyper/kernels/math.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper::kernels {

struct StridedOperand {
  long row_stride;
  long k_stride;
};

template <class Scalar, class Epilogue>
struct TileGemmFunctor {
  const Scalar* a;
  StridedOperand a_strides;
  const Scalar* b;
  long b_k_stride;
  int m, n, k;
  int col_tiles;
  Epilogue epilogue;

  KOKKOS_INLINE_FUNCTION void operator()(const long tile) const {
    const int row0 = int(tile / col_tiles) * TileRows;
    const int col0 = int(tile % col_tiles) * TileCols;
    // Rows past the edge re-read the last row: their results are discarded, the loads stay valid.
    const Scalar* a_rows[TileRows];
    for (int r = 0; r < TileRows; ++r) {
      const int row = row0 + r < m ? row0 + r : m - 1;
      a_rows[r] = a + row * a_strides.row_stride;
    }
    Scalar acc[TileRows][TileCols];
    for (int r = 0; r < TileRows; ++r)
      for (int c = 0; c < TileCols; ++c) acc[r][c] = Scalar(0);
    for (int kk = 0; kk < k; ++kk) {
      const Scalar* b_row = b + kk * b_k_stride + col0;
      const long a_offset = kk * a_strides.k_stride;
      for (int r = 0; r < TileRows; ++r) {
        const Scalar a_value = a_rows[r][a_offset];
        KYPER_SIMD
        for (int c = 0; c < TileCols; ++c) acc[r][c] += a_value * b_row[c];
      }
    }
    // A local copy of the epilogue: its fields stay in registers (stores through its pointers
    // cannot change them), so its work (an optimizer update, an activation) vectorizes across a row.
    const Epilogue finish = epilogue;
    const int cols = n - col0 < TileCols ? n - col0 : TileCols;
    for (int r = 0; r < TileRows; ++r) {
      if (row0 + r >= m) break;
      KYPER_SIMD
      for (int c = 0; c < cols; ++c) finish(row0 + r, col0 + c, acc[r][c]);
    }
  }
};

// Launches the tiled product on `space`. B must have TileSpare readable elements past its end.
template <class ExecSpace, class Scalar, class Epilogue>
void tile_gemm(const ExecSpace& space, const char* label, int m, int n, int k, const Scalar* a,
               StridedOperand a_strides, const Scalar* b, long b_k_stride, const Epilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  const int row_tiles = (m + TileRows - 1) / TileRows;
  const int col_tiles = (n + TileCols - 1) / TileCols;
  TileGemmFunctor<Scalar, Epilogue> functor{a, a_strides, b, b_k_stride, m, n, k, col_tiles, epilogue};
  Kokkos::parallel_for(label, RangeOf<ExecSpace>(space, 0, long(row_tiles) * col_tiles), functor);
}

// The same product inside a team (the fused training step): the team's threads share the tiles.
// Both operands may live in team scratch; B needs TileSpare readable elements past its end.
template <class Member, class Scalar, class Epilogue>
KOKKOS_INLINE_FUNCTION void team_tile_gemm(const Member& team, int m, int n, int k, const Scalar* a,
                                           StridedOperand a_strides, const Scalar* b, long b_k_stride,
                                           const Epilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  const int row_tiles = (m + TileRows - 1) / TileRows;
  const int col_tiles = (n + TileCols - 1) / TileCols;
  const TileGemmFunctor<Scalar, Epilogue> tiles{a, a_strides, b, b_k_stride, m, n, k, col_tiles, epilogue};
  Kokkos::parallel_for(Kokkos::TeamThreadRange(team, row_tiles * col_tiles), [&](const int tile) { tiles(tile); });
}

// acc[c] = sum over rows of m(r, col0 + c), c < TileCols: a bias gradient's tile of columns. The
// matrix (row stride `cols`) needs TileSpare readable elements past its end.
template <class Scalar>
KOKKOS_INLINE_FUNCTION void column_tile_sums(const Scalar* m, int rows, long cols, int col0, Scalar (&acc)[TileCols]) {
  for (int c = 0; c < TileCols; ++c) acc[c] = Scalar(0);
  for (int r = 0; r < rows; ++r) {
    KYPER_SIMD
    for (int c = 0; c < TileCols; ++c) acc[c] += m[long(r) * cols + col0 + c];
  }
}

// Epilogue: out(row, col) = value.
template <class Scalar>
struct StoreEpilogue {
  Scalar* out;
  long ld;
  KOKKOS_FORCEINLINE_FUNCTION void operator()(int row, int col, Scalar value) const { out[row * ld + col] = value; }
};

// Epilogue: out(row, col) += value (gradients of a node read by several consumers add up).
template <class Scalar>
struct AccumulateEpilogue {
  Scalar* out;
  long ld;
  KOKKOS_FORCEINLINE_FUNCTION void operator()(int row, int col, Scalar value) const { out[row * ld + col] += value; }
};

}  // namespace kyper::kernels
