// Register-tiled matrix product for the small and medium layers that BLAS handles poorly:
// C(m x n) = sum_k A(row, k) * B(k, col), one rows x cols tile of accumulators per work item,
// with a caller-supplied epilogue that writes each result (bias + activation, store, accumulate).
// A is addressed with two strides so X, X^T and dZ all fit; B's columns must be contiguous.
#pragma once

#include <kyper/kernels/math.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper::kernels {

// Shape of one product tile. An AVX-512 core keeps 8 rows x 128 bytes of accumulators (8 x 32
// floats, 8 x 16 doubles) in 16 of its 32 vector registers: per step of k, 2 loads of B and 8
// broadcasts of A feed 16 independent FMAs, enough to cover their latency on both FMA pipes (8 x 16
// floats left the pipes half idle, about 3/4 of OpenBLAS's AVX-512 SGEMM). Other hosts (AVX2: 16
// registers) and GPU threads (registers shared by the warp's occupancy) keep 4 x 16.
#if defined(__AVX512F__)
constexpr bool kWideHostTiles = true;
#else
constexpr bool kWideHostTiles = false;
#endif
template <class ExecSpace>
KOKKOS_INLINE_FUNCTION constexpr int gemm_tile_rows() {
  return runs_on_host<ExecSpace>() && kWideHostTiles ? 8 : TileRows;
}
template <class ExecSpace, class Scalar>
KOKKOS_INLINE_FUNCTION constexpr int gemm_tile_cols() {
  return runs_on_host<ExecSpace>() && kWideHostTiles && sizeof(Scalar) <= 4 ? 2 * TileCols : TileCols;
}
static_assert(2 * TileCols <= TileSpare, "buffers must carry a host tile's columns of spare elements");

// Tiles are visited in row blocks of GemmRowBlock row tiles, column tiles outer within a block:
// the block's rows of A stay in a core's L2 while each k x Cols panel of B is read once per
// block (row tiles outer read all of B per row tile, from L3 once B outgrows L2).
constexpr int GemmRowBlock = 16;

struct StridedOperand {
  long row_stride;
  long k_stride;
};

template <class Scalar, class Epilogue, int Rows, int Cols>
struct TileGemmFunctor {
  const Scalar* a;
  StridedOperand a_strides;
  const Scalar* b;
  long b_k_stride;
  int m, n, k;
  int row_tiles, col_tiles;
  Epilogue epilogue;

  KOKKOS_INLINE_FUNCTION void operator()(const long tile) const {
    const long per_block = long(GemmRowBlock) * col_tiles;
    const int block = int(tile / per_block);
    const int in_block = int(tile % per_block);
    const int block_rows = row_tiles - block * GemmRowBlock < GemmRowBlock ? row_tiles - block * GemmRowBlock
                                                                           : GemmRowBlock;
    const int row0 = (block * GemmRowBlock + in_block % block_rows) * Rows;
    const int col0 = (in_block / block_rows) * Cols;
    // Rows past the edge re-read the last row: their results are discarded, the loads stay valid.
    const Scalar* a_rows[Rows];
    for (int r = 0; r < Rows; ++r) {
      const int row = row0 + r < m ? row0 + r : m - 1;
      a_rows[r] = a + row * a_strides.row_stride;
    }
    Scalar acc[Rows][Cols];
    for (int r = 0; r < Rows; ++r)
      for (int c = 0; c < Cols; ++c) acc[r][c] = Scalar(0);
    for (int kk = 0; kk < k; ++kk) {
      const Scalar* b_row = b + kk * b_k_stride + col0;
      const long a_offset = kk * a_strides.k_stride;
      for (int r = 0; r < Rows; ++r) {
        const Scalar a_value = a_rows[r][a_offset];
        KYPER_SIMD
        for (int c = 0; c < Cols; ++c) acc[r][c] += a_value * b_row[c];
      }
    }
    // A local copy of the epilogue: its fields stay in registers (stores through its pointers
    // cannot change them), so its work (an optimizer update, an activation) vectorizes across a row.
    const Epilogue finish = epilogue;
    const int cols = n - col0 < Cols ? n - col0 : Cols;
    for (int r = 0; r < Rows; ++r) {
      if (row0 + r >= m) break;
      KYPER_SIMD
      for (int c = 0; c < cols; ++c) finish(row0 + r, col0 + c, acc[r][c]);
    }
  }
};

// The product's functor with ExecSpace's tile shape; it covers tiles.row_tiles * tiles.col_tiles tiles.
template <class ExecSpace, class Scalar, class Epilogue>
KOKKOS_INLINE_FUNCTION auto tile_gemm_functor(int m, int n, int k, const Scalar* a, StridedOperand a_strides,
                                              const Scalar* b, long b_k_stride, const Epilogue& epilogue) {
  constexpr int rows = gemm_tile_rows<ExecSpace>(), cols = gemm_tile_cols<ExecSpace, Scalar>();
  return TileGemmFunctor<Scalar, Epilogue, rows, cols>{a, a_strides, b, b_k_stride, m, n, k,
                                                       (m + rows - 1) / rows, (n + cols - 1) / cols, epilogue};
}

// Launches the tiled product on `space`. B must have TileSpare readable elements past its end.
template <class ExecSpace, class Scalar, class Epilogue>
void tile_gemm(const ExecSpace& space, const char* label, int m, int n, int k, const Scalar* a,
               StridedOperand a_strides, const Scalar* b, long b_k_stride, const Epilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  const auto tiles = tile_gemm_functor<ExecSpace>(m, n, k, a, a_strides, b, b_k_stride, epilogue);
  Kokkos::parallel_for(label, RangeOf<ExecSpace>(space, 0, long(tiles.row_tiles) * tiles.col_tiles), tiles);
}

// The same product inside a team of ExecSpace (the fused training step): the team's threads share
// the tiles. Both operands may live in team scratch; B needs TileSpare readable elements past its end.
template <class ExecSpace, class Member, class Scalar, class Epilogue>
KOKKOS_INLINE_FUNCTION void team_tile_gemm(const Member& team, int m, int n, int k, const Scalar* a,
                                           StridedOperand a_strides, const Scalar* b, long b_k_stride,
                                           const Epilogue& epilogue) {
  if (m <= 0 || n <= 0) return;
  const auto tiles = tile_gemm_functor<ExecSpace>(m, n, k, a, a_strides, b, b_k_stride, epilogue);
  Kokkos::parallel_for(Kokkos::TeamThreadRange(team, tiles.row_tiles * tiles.col_tiles),
                       [&](const int tile) { tiles(tile); });
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
