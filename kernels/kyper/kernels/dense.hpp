// Dense layer kernels: forward Z = X W + b with the activation fused into the product's epilogue,
// and backward (dZ, dW, db, dX += dZ W^T). Small layers use the register-tiled product; large ones
// go to KokkosBlas::gemm (the vendor BLAS where Kokkos-Kernels has it as a TPL).
#pragma once

#include <KokkosBlas3_gemm.hpp>
#include <kyper/kernels/activation.hpp>
#include <kyper/kernels/tile_gemm.hpp>

namespace kyper::kernels {

// Multiply-adds per call below which the tiled kernel beats KokkosBlas::gemm at any shape (measured
// with benchmarks/training; a layer of 256x256 at batch 256 is about 1.7e7). The recurrent cells'
// tiled kernels switch to gemm here.
constexpr double kDenseGemmThreshold = 4.0e6;

inline bool product_prefers_gemm(long batch, long in, long out) {
  return double(batch) * double(in) * double(out) >= kDenseGemmThreshold;
}

// Weights (in x out elements) up to which a dense layer stays on the tiled kernel at any batch:
// 512 KB of floats, half a core's L2, so the k x 32 panels of W each block of rows reads stay in
// cache. With AVX-512 host tiles the 256x256 layers of net B trained within 5% of OpenBLAS's
// AVX-512 SGEMM at 1 thread and 1.2x faster at 2 (no BLAS thread pool competing with OpenMP's);
// C's 1024x1024 layer ran 1.5x slower tiled than with BLAS's packed panels.
constexpr double kDenseTileMaxWeights = 131072.0;

inline bool dense_prefers_gemm(long batch, long in, long out) {
  return product_prefers_gemm(batch, in, out) && double(in) * double(out) > kDenseTileMaxWeights;
}

// KokkosBlas::gemm on the caller's execution space instance (its stream on a GPU). Kokkos-Kernels
// before 4.0 has no overload taking an instance and runs on the default one, so there the call is
// fenced on both sides to keep the order of the caller's instance.
template <class ExecSpace, class A, class B, class C>
void gemm_on(const ExecSpace& space, const char* trans_a, const char* trans_b, typename C::const_value_type alpha,
             const A& a, const B& b, typename C::const_value_type beta, const C& c) {
#if defined(KOKKOSKERNELS_VERSION) && KOKKOSKERNELS_VERSION >= 40000
  KokkosBlas::gemm(space, trans_a, trans_b, alpha, a, b, beta, c);
#else
  space.fence();
  KokkosBlas::gemm(trans_a, trans_b, alpha, a, b, beta, c);
  ExecSpace().fence();
#endif
}

// Forward epilogue: bias, the activation (a compile-time choice, so a tile row's epilogue
// vectorizes), and the pre-activation kept when the derivative needs it (`pre` is then given).
template <Activation Act, class Scalar>
struct DenseForwardEpilogue {
  const Scalar* bias;  // may be null
  Scalar* pre;
  Scalar* out;
  long ld;
  KOKKOS_FORCEINLINE_FUNCTION void operator()(int row, int col, Scalar value) const {
    const Scalar z = bias ? value + bias[col] : value;
    if (derivative_needs_preactivation(Act) && pre) pre[row * ld + col] = z;
    out[row * ld + col] = activate(Act, z);
  }
};

// One work item per element on a GPU; one row per work item on a host, with a SIMD loop over its
// columns (an element per item costs an integer division per element for the bias column).
template <Activation Act, bool RowPerItem, class Scalar>
struct BiasActivationFunctor {
  Scalar* out;
  Scalar* pre;  // may be null
  const Scalar* bias;  // may be null
  long cols;
  KOKKOS_INLINE_FUNCTION void apply(const long idx, const long col) const {
    const Scalar z = bias ? out[idx] + bias[col] : out[idx];
    if (pre) pre[idx] = z;
    out[idx] = activate(Act, z);
  }
  KOKKOS_INLINE_FUNCTION void operator()(const long item) const {
    if (!RowPerItem) return apply(item, item % cols);
    const BiasActivationFunctor local = *this;  // fields in registers: the loop vectorizes
    KYPER_SIMD
    for (long col = 0; col < cols; ++col) local.apply(item * cols + col, col);
  }
};

// Adds the bias and applies the activation in place after a BLAS product wrote Z into `out`.
template <class ExecSpace, class Scalar>
void dense_bias_activation(const ExecSpace& space, MatrixView<Scalar, ExecSpace> out,
                           VectorView<const Scalar, ExecSpace> bias, MatrixView<Scalar, ExecSpace> pre,
                           Activation activation) {
  constexpr bool row_per_item = runs_on_host<ExecSpace>();
  const long items = row_per_item ? long(out.extent(0)) : long(out.size());
  dispatch_activation(activation, [&](auto act) {
    Kokkos::parallel_for("Kyper::Dense::bias_activation", RangeOf<ExecSpace>(space, 0, items),
                         BiasActivationFunctor<decltype(act)::value, row_per_item, Scalar>{
                             out.data(), pre.data(), bias.data(), long(out.extent(1))});
  });
}

// out = activation(x * w + bias). `pre` (same shape as out) receives z when given.
template <class ExecSpace, class Scalar>
void dense_forward(const ExecSpace& space, MatrixView<const Scalar, ExecSpace> x,
                   MatrixView<const Scalar, ExecSpace> w, VectorView<const Scalar, ExecSpace> bias,
                   MatrixView<Scalar, ExecSpace> pre, MatrixView<Scalar, ExecSpace> out, Activation activation) {
  const int batch = x.extent(0), in = x.extent(1), units = w.extent(1);
  if (dense_prefers_gemm(batch, in, units)) {
    gemm_on(space, "N", "N", Scalar(1), x, w, Scalar(0), out);
    dense_bias_activation(space, out, bias, pre, activation);
    return;
  }
  dispatch_activation(activation, [&](auto act) {
    DenseForwardEpilogue<decltype(act)::value, Scalar> epilogue{bias.data(), pre.data(), out.data(), units};
    tile_gemm(space, "Kyper::Dense::forward", batch, units, in, x.data(), StridedOperand{in, 1}, w.data(), units,
              epilogue);
  });
}

template <Activation Act, class Scalar>
struct ActivationBackwardFunctor {
  const Scalar* pre;  // may be null when the derivative needs only the output
  const Scalar* out;
  const Scalar* d_out;
  Scalar* d_pre;
  bool accumulate;
  KOKKOS_INLINE_FUNCTION void operator()(const long idx) const {
    const Scalar z = derivative_needs_preactivation(Act) ? pre[idx] : Scalar(0);
    const Scalar g = d_out[idx] * activation_derivative(Act, z, out[idx]);
    d_pre[idx] = accumulate ? d_pre[idx] + g : g;
  }
};

// d_pre (+)= d_out * f'(pre, out), elementwise. Skipped by callers for the identity activation.
template <class ExecSpace, class Scalar>
void activation_backward(const ExecSpace& space, Activation activation, const Scalar* pre, const Scalar* out,
                         const Scalar* d_out, Scalar* d_pre, long size, bool accumulate) {
  dispatch_activation(activation, [&](auto act) {
    Kokkos::parallel_for("Kyper::Activation::backward", RangeOf<ExecSpace>(space, 0, size),
                         ActivationBackwardFunctor<decltype(act)::value, Scalar>{pre, out, d_out, d_pre, accumulate});
  });
}

// Column sums of a row-major matrix: db = sum over the batch of dZ. `m` needs TileSpare spare elements.
template <class ExecSpace, class Scalar>
void column_sums(const ExecSpace& space, MatrixView<const Scalar, ExecSpace> m, VectorView<Scalar, ExecSpace> sums) {
  const int rows = m.extent(0), cols = m.extent(1);
  const Scalar* data = m.data();
  Scalar* out = sums.data();
  const int tiles = (cols + TileCols - 1) / TileCols;
  Kokkos::parallel_for("Kyper::Dense::bias_gradient", RangeOf<ExecSpace>(space, 0, tiles),
                       KOKKOS_LAMBDA(const long tile) {
                         const int col0 = int(tile) * TileCols;
                         Scalar acc[TileCols];
                         column_tile_sums(data, rows, cols, col0, acc);
                         for (int c = 0; c < TileCols && col0 + c < cols; ++c) out[col0 + c] = acc[c];
                       });
}

template <class ExecSpace, class Scalar>
void transpose(const ExecSpace& space, MatrixView<const Scalar, ExecSpace> in, MatrixView<Scalar, ExecSpace> out) {
  const long rows = in.extent(0), cols = in.extent(1);
  const Scalar* src = in.data();
  Scalar* dst = out.data();
  Kokkos::parallel_for("Kyper::Dense::transpose", RangeOf<ExecSpace>(space, 0, cols),
                       KOKKOS_LAMBDA(const long c) {
                         for (long r = 0; r < rows; ++r) dst[c * rows + r] = src[r * cols + c];
                       });
}

// Given d_pre = dL/dZ: dW = X^T dZ, db = colsum(dZ), and dX += dZ W^T when dx is given (dX = dZ W^T
// with accumulate_dx false: the caller knows no other consumer adds to it, and skips clearing it).
// `w_transposed` is scratch of shape (units x in) with TileSpare spare elements.
template <class ExecSpace, class Scalar>
void dense_backward(const ExecSpace& space, MatrixView<const Scalar, ExecSpace> x,
                    MatrixView<const Scalar, ExecSpace> w, MatrixView<const Scalar, ExecSpace> d_pre,
                    MatrixView<Scalar, ExecSpace> dw, VectorView<Scalar, ExecSpace> db,
                    MatrixView<Scalar, ExecSpace> dx, MatrixView<Scalar, ExecSpace> w_transposed,
                    bool accumulate_dx = true) {
  const int batch = x.extent(0), in = x.extent(1), units = w.extent(1);
  const bool gemm = dense_prefers_gemm(batch, in, units);
  if (gemm) {
    gemm_on(space, "T", "N", Scalar(1), x, d_pre, Scalar(0), dw);
  } else {
    tile_gemm(space, "Kyper::Dense::weight_gradient", in, units, batch, x.data(), StridedOperand{1, in},
              d_pre.data(), units, StoreEpilogue<Scalar>{dw.data(), units});
  }
  if (db.data()) column_sums(space, d_pre, db);
  if (!dx.data()) return;
  if (gemm) {
    gemm_on(space, "N", "T", Scalar(1), d_pre, w, Scalar(accumulate_dx ? 1 : 0), dx);
    return;
  }
  transpose(space, w, w_transposed);
  if (accumulate_dx)
    tile_gemm(space, "Kyper::Dense::input_gradient", batch, in, units, d_pre.data(), StridedOperand{units, 1},
              w_transposed.data(), in, AccumulateEpilogue<Scalar>{dx.data(), in});
  else
    tile_gemm(space, "Kyper::Dense::input_gradient", batch, in, units, d_pre.data(), StridedOperand{units, 1},
              w_transposed.data(), in, StoreEpilogue<Scalar>{dx.data(), in});
}

}  // namespace kyper::kernels
