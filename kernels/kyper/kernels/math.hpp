// Portable math for kernels: Kokkos 3.4 has its math functions only in Kokkos::Experimental,
// Kokkos >= 3.6 (and 4.x/5.x, where the Experimental ones are gone) in Kokkos. Kernels call kmath::.
#pragma once

#include <Kokkos_Core.hpp>

namespace kyper::kernels {
#if KOKKOS_VERSION >= 30600
namespace kmath = ::Kokkos;
#else
namespace kmath = ::Kokkos::Experimental;
#endif

// Work-tile widths of the register-blocked kernels: TileRows x TileCols accumulators per work item
// (the matrix product's host tiles are wider: tile_gemm.hpp). Every buffer a tile kernel reads
// carries TileSpare spare elements past its end, the widest tile's columns, so the last tile may
// read (never write) beyond the logical edge without a bounds check in its inner loop.
constexpr int TileRows = 4;
constexpr int TileCols = 16;
constexpr int TileSpare = 2 * TileCols;
}  // namespace kyper::kernels

// Marks a loop over the TileCols lanes of a tile for SIMD on host compilers. Without it GCC fully
// unrolls the tile and vectorizes the reduction loop instead, with gathers (several times slower).
#if defined(_OPENMP) && !defined(__CUDA_ARCH__) && !defined(__HIP_DEVICE_COMPILE__)
#define KYPER_SIMD _Pragma("omp simd")
#else
#define KYPER_SIMD
#endif
