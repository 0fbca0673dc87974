// LSTM and GRU cells over a sequence, forward and backpropagation through time, batched over the
// mini-batch.
//
// Layout. Sequences enter and leave sample-major, (rows, steps, width), as every node value does;
// inside, a cell works time-major, (steps, rows, width), so that each step's rows are one contiguous
// matrix. Gate columns are interleaved per unit: column g + gates * j holds gate g of unit j (LSTM
// gates i, f, g, o; GRU gates r, z, n), so one work item of the per-step kernel owns every gate of
// its units and fuses the gate math into the epilogue of the step's matrix product.
//
// Per step one product h(t-1) U (rows x units times units x gates*units) gives all gates at once. The
// input part x W + b is accumulated in the same step kernel for the LSTM on the tiled path; for the
// GRU (its new gate needs x W apart from h U) and on the BLAS path it is one product over all steps
// before the recurrence. Backward,
// the recurrent gradient dA(t) U^T of step t and the gate derivatives of step t-1 are again one
// kernel per step; the weight gradients are one product each over all steps afterwards.
//
// GRU follows the cuDNN/PyTorch form with the reset gate applied after the recurrent product:
//   n = tanh(W_n x + b_n + r * (U_n h + b_hn)),  h' = (1 - z) n + z h,
// with one recurrent bias b_hn (the recurrent biases of r and z would only duplicate b_r and b_z).
#pragma once

#include <kyper/kernels/activation.hpp>
#include <kyper/kernels/dense.hpp>

namespace kyper::kernels {

enum class Cell : int { Lstm = 0, Gru };

KOKKOS_INLINE_FUNCTION constexpr int cell_gates(Cell cell) { return cell == Cell::Lstm ? 4 : 3; }

// The gates' exp. On the host in float, a Cephes-style exp written so that a loop over a tile's
// lanes vectorizes (the libm call does not, and the gate math was half of an LSTM step); relative
// error about 2 ulp over the clamped range, which saturates the gates exactly as exp would. On
// devices and in double, the math library's exp.
template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar gate_exp(Scalar x) {
  return kmath::exp(x);
}

template <>
KOKKOS_INLINE_FUNCTION float gate_exp<float>(float x) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  return kmath::exp(x);
#else
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  float n = x * 1.44269504088896341f;
  n = (n + 12582912.0f) - 12582912.0f;  // round to the nearest integer (1.5 * 2^23)
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  const float p =
      ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
       1.6666665459e-1f) * r + 5.0000001201e-1f;
  union {
    int bits;
    float value;
  } scale;
  scale.bits = (int(n) + 127) << 23;
  return (p * r * r + r + 1.0f) * scale.value;
#endif
}

template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar gate_sigmoid(Scalar z) {
  return Scalar(1) / (Scalar(1) + gate_exp(-z));
}

// tanh(z) = 2 sigmoid(2z) - 1: one exp, no branch; absolute error about 1e-7 in float.
template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar gate_tanh(Scalar z) {
  return Scalar(2) * gate_sigmoid(Scalar(2) * z) - Scalar(1);
}

// Where a cell keeps what backpropagation needs: pointers into one caller-owned flat buffer sized
// by recurrent_workspace_size(), bound by bind_recurrent_workspace(). Time-major throughout.
template <class Scalar>
struct RecurrentWorkspace {
  Cell cell = Cell::Lstm;
  int steps = 0, rows = 0, in = 0, units = 0;
  Scalar* x = nullptr;             // steps*rows x in: the input, time-major
  Scalar* input_gates = nullptr;   // steps*rows x gates*units: x W + b
  Scalar* gates = nullptr;         // steps*rows x gates*units: gate activations
  Scalar* reset_product = nullptr; // GRU: steps*rows x units, U_n h + b_hn
  Scalar* cell_tanh = nullptr;     // LSTM: steps*rows x units, tanh(c(t)) (kept for backward)
  Scalar* h = nullptr;             // (steps+1)*rows x units; slot 0 is the initial state
  Scalar* c = nullptr;             // LSTM: (steps+1)*rows x units; slot 0 is the initial cell state
  Scalar* d_input_gates = nullptr; // steps*rows x gates*units: dL/d(x W + b)
  Scalar* d_recurrent = nullptr;   // GRU: steps*rows x gates*units, dL/d(h U) (LSTM uses d_input_gates)
  Scalar* dh_direct = nullptr;     // GRU: rows x units, the part of dL/dh(t-1) through z * h(t-1)
  Scalar* dc = nullptr;            // LSTM: rows x units, dL/dc carried back one step
  Scalar* step_product = nullptr;  // rows x max(gates*units, units): a step's product on the BLAS path
  Scalar* transposed = nullptr;    // gates*units x max(units, in): U^T, then W^T
  Scalar* dx = nullptr;            // steps*rows x in: dL/dx, time-major

  long gate_width() const { return long(cell_gates(cell)) * units; }
};

// Elements a workspace needs, each part padded with TileSpare (tile kernels read past the end).
inline long recurrent_workspace_size(Cell cell, int steps, int rows, int in, int units) {
  const long sr = long(steps) * rows, g = long(cell_gates(cell)) * units, pad = TileSpare;
  const bool lstm = cell == Cell::Lstm;
  long size = 0;
  size += sr * in + pad;                          // x
  size += 2 * (sr * g + pad);                     // input_gates, gates
  size += sr * units + pad;                       // reset_product (GRU) or cell_tanh (LSTM)
  size += (sr + rows) * units + pad;              // h
  size += lstm ? (sr + rows) * units + pad : 0;   // c
  size += sr * g + pad;                           // d_input_gates
  size += lstm ? 0 : sr * g + pad;                // d_recurrent
  size += rows * long(units) + pad;               // dh_direct or dc
  size += rows * (g > units ? g : long(units)) + pad;  // step_product
  size += g * (units > in ? long(units) : long(in)) + pad;  // transposed
  size += sr * in + pad;                          // dx
  return size;
}

template <class Scalar>
RecurrentWorkspace<Scalar> bind_recurrent_workspace(Cell cell, int steps, int rows, int in, int units, Scalar* base) {
  RecurrentWorkspace<Scalar> w;
  w.cell = cell, w.steps = steps, w.rows = rows, w.in = in, w.units = units;
  const long sr = long(steps) * rows, g = w.gate_width(), pad = TileSpare;
  const bool lstm = cell == Cell::Lstm;
  auto take = [&](long n) {
    Scalar* p = base;
    base += n + pad;
    return p;
  };
  w.x = take(sr * in);
  w.input_gates = take(sr * g);
  w.gates = take(sr * g);
  (lstm ? w.cell_tanh : w.reset_product) = take(sr * units);
  w.h = take((sr + rows) * units);
  if (lstm) w.c = take((sr + rows) * units);
  w.d_input_gates = take(sr * g);
  w.d_recurrent = lstm ? w.d_input_gates : take(sr * g);
  (lstm ? w.dc : w.dh_direct) = take(rows * long(units));
  w.step_product = take(rows * (g > units ? g : long(units)));
  w.transposed = take(g * (units > in ? long(units) : long(in)));
  w.dx = take(sr * in);
  return w;
}

// The parameters of one cell inside the flat parameter array (or its gradient).
template <class Scalar>
struct RecurrentParameters {
  Scalar* input_weights = nullptr;      // in x gates*units
  Scalar* recurrent_weights = nullptr;  // units x gates*units
  Scalar* bias = nullptr;               // gates*units
  Scalar* reset_bias = nullptr;         // GRU: units
};

// The gate derivatives of one unit of one sample (the forward gate math is in RecurrentForwardStep,
// vectorized over a tile's lanes).
template <class Scalar, Cell C>
struct CellMath;

template <class Scalar>
struct CellMath<Scalar, Cell::Lstm> {
  // dh: dL/dh(t); dc: dL/dc(t) from step t+1, replaced by dL/dc(t-1). Writes dL/d(pre) to d_pre.
  KOKKOS_INLINE_FUNCTION static void backward(const Scalar* gate, Scalar tc, Scalar c_prev, Scalar dh, Scalar& dc,
                                              Scalar* d_pre) {
    const Scalar i = gate[0], f = gate[1], g = gate[2], o = gate[3];
    const Scalar dc_total = dc + dh * o * (Scalar(1) - tc * tc);
    d_pre[0] = dc_total * g * i * (Scalar(1) - i);
    d_pre[1] = dc_total * c_prev * f * (Scalar(1) - f);
    d_pre[2] = dc_total * i * (Scalar(1) - g * g);
    d_pre[3] = dh * tc * o * (Scalar(1) - o);
    dc = dc_total * f;
  }
};

template <class Scalar>
struct CellMath<Scalar, Cell::Gru> {
  // dh: dL/dh(t). Writes dL/d(x W + b), dL/d(h U) and the direct part of dL/dh(t-1).
  KOKKOS_INLINE_FUNCTION static void backward(const Scalar* gate, Scalar reset_product, Scalar h_prev, Scalar dh,
                                              Scalar* d_input, Scalar* d_product, Scalar& dh_direct) {
    const Scalar r = gate[0], z = gate[1], n = gate[2];
    const Scalar dn = dh * (Scalar(1) - z) * (Scalar(1) - n * n);
    const Scalar dr = dn * reset_product * r * (Scalar(1) - r);
    const Scalar dz = dh * (h_prev - n) * z * (Scalar(1) - z);
    d_input[0] = dr, d_input[1] = dz, d_input[2] = dn;
    d_product[0] = dr, d_product[1] = dz, d_product[2] = dn * r;
    dh_direct = dh * z;
  }
};

// Units per work item of the step kernels: a forward item owns all gates of these units, so its
// tile is TileRows x (units * gates) accumulators (16 for LSTM, 12 for GRU).
constexpr int RecurrentTileUnits = 4;

// One forward step: gates(t) from h(t-1) U (computed here, or read from `product` on the BLAS path)
// plus x W + b (read from `input_gates`, or, for the LSTM off the BLAS path, computed here from x(t)
// in the same accumulators: one pass over the tile instead of a separate product over all steps),
// then c(t) and h(t). One work item: TileRows rows x RecurrentTileUnits units.
template <class Scalar, Cell C>
struct RecurrentForwardStep {
  static constexpr int G = cell_gates(C);
  static constexpr int Cols = RecurrentTileUnits * G;
  const Scalar* h_prev;   // rows x units
  const Scalar* u;        // units x G*units
  const Scalar* product;  // rows x G*units, or null: compute h_prev U here
  const Scalar* input_gates;  // rows x G*units, or null: x(t) W + b computed here
  const Scalar* x;            // rows x in: x(t), when input_gates is null
  const Scalar* input_weights;
  const Scalar* bias;
  int in;
  const Scalar* reset_bias;  // GRU
  const Scalar* c_prev;      // LSTM
  Scalar* c;                 // LSTM
  Scalar* tanh_c;            // LSTM
  Scalar* h;
  Scalar* gates;
  Scalar* reset_product;  // GRU
  int rows, units, unit_tiles;

  KOKKOS_INLINE_FUNCTION void operator()(const long item) const {
    const int row0 = int(item / unit_tiles) * TileRows;
    const int unit0 = int(item % unit_tiles) * RecurrentTileUnits;
    const long gw = long(G) * units, col0 = long(unit0) * G;
    Scalar acc[TileRows][Cols];
    if (product) {
      for (int r = 0; r < TileRows; ++r)
        for (int c_ = 0; c_ < Cols; ++c_) {
          const int row = row0 + r < rows ? row0 + r : rows - 1;
          acc[r][c_] = col0 + c_ < gw ? product[row * gw + col0 + c_] : Scalar(0);
        }
    } else {
      // Rows past the edge re-read the last row; columns past the edge read into the next row of U
      // or its spare tail. Both are discarded below.
      const Scalar* h_rows[TileRows];
      for (int r = 0; r < TileRows; ++r) h_rows[r] = h_prev + long(row0 + r < rows ? row0 + r : rows - 1) * units;
      for (int r = 0; r < TileRows; ++r)
        for (int c_ = 0; c_ < Cols; ++c_) acc[r][c_] = input_gates ? Scalar(0) : bias[col0 + c_];
      if (!input_gates) {
        const Scalar* x_rows[TileRows];
        for (int r = 0; r < TileRows; ++r) x_rows[r] = x + long(row0 + r < rows ? row0 + r : rows - 1) * in;
        for (int k = 0; k < in; ++k) {
          const Scalar* w_row = input_weights + k * gw + col0;
          for (int r = 0; r < TileRows; ++r) {
            const Scalar a = x_rows[r][k];
            KYPER_SIMD
            for (int c_ = 0; c_ < Cols; ++c_) acc[r][c_] += a * w_row[c_];
          }
        }
      }
      for (int k = 0; k < units; ++k) {
        const Scalar* u_row = u + k * gw + col0;
        for (int r = 0; r < TileRows; ++r) {
          const Scalar a = h_rows[r][k];
          KYPER_SIMD
          for (int c_ = 0; c_ < Cols; ++c_) acc[r][c_] += a * u_row[c_];
        }
      }
    }
    for (int r = 0; r < TileRows && row0 + r < rows; ++r) {
      const long row = row0 + r;
      // The tile's gate lanes at once: LSTM i, f, o are sigmoids and g a tanh; GRU r, z are
      // sigmoids (its n lane needs r first, below). Lanes past the last unit read the buffer's
      // spare tail and are never stored.
      const Scalar* input = input_gates ? input_gates + row * gw + col0 : nullptr;
      Scalar pre[Cols], act[Cols];
      // Two loops, not a select inside one: a vectorized select would issue masked loads from a
      // null pointer, which AVX-512 suppresses only through a slow microcode assist.
      if (input) {
        KYPER_SIMD
        for (int c_ = 0; c_ < Cols; ++c_) pre[c_] = acc[r][c_] + input[c_];
      } else {
        for (int c_ = 0; c_ < Cols; ++c_) pre[c_] = acc[r][c_];
      }
      KYPER_SIMD
      for (int c_ = 0; c_ < Cols; ++c_) {
        const bool candidate = C == Cell::Lstm && c_ % G == 2;
        const Scalar z = pre[c_];
        const Scalar y = gate_sigmoid(candidate ? Scalar(2) * z : z);
        act[c_] = candidate ? Scalar(2) * y - Scalar(1) : y;
      }
      // Then the cell state of the tile's units, again across lanes (past the last unit, the reads
      // land in the next row or the spare tail and the results are not stored).
      const long state0 = row * units + unit0;
      Scalar out[RecurrentTileUnits], state[RecurrentTileUnits], extra[RecurrentTileUnits];
      KYPER_SIMD
      for (int uu = 0; uu < RecurrentTileUnits; ++uu) {
        const Scalar* a = act + uu * G;
        if constexpr (C == Cell::Lstm) {
          state[uu] = a[1] * c_prev[state0 + uu] + a[0] * a[2];  // c(t)
          extra[uu] = gate_tanh(state[uu]);                      // tanh(c(t))
          out[uu] = a[3] * extra[uu];
        } else {
          extra[uu] = acc[r][uu * 3 + 2] + reset_bias[unit0 + uu];     // U_n h + b_hn
          state[uu] = gate_tanh(input[uu * 3 + 2] + a[0] * extra[uu]);  // n
          out[uu] = (Scalar(1) - a[1]) * state[uu] + a[1] * h_prev[state0 + uu];
        }
      }
      for (int uu = 0; uu < RecurrentTileUnits && unit0 + uu < units; ++uu) {
        const long state_at = state0 + uu;
        Scalar* gate = gates + row * gw + long(unit0 + uu) * G;
        const Scalar* a = act + uu * G;
        h[state_at] = out[uu];
        if constexpr (C == Cell::Lstm) {
          gate[0] = a[0], gate[1] = a[1], gate[2] = a[2], gate[3] = a[3];
          c[state_at] = state[uu], tanh_c[state_at] = extra[uu];
        } else {
          gate[0] = a[0], gate[1] = a[1], gate[2] = state[uu];
          reset_product[state_at] = extra[uu];
        }
      }
    }
  }
};

// One backward step t: dL/dh(t) = output gradient + dA(t+1) U^T (computed here from `d_next`, or read
// from `product`) + the GRU's direct part, then the gate derivatives of step t. With `only_state`,
// it writes dL/dh(t) to `dh_state` instead (the initial state's gradient after step 0).
// One work item: TileRows rows x TileCols units.
template <class Scalar, Cell C>
struct RecurrentBackwardStep {
  static constexpr int G = cell_gates(C);
  const Scalar* d_next;     // rows x G*units: dA_h(t+1), or null at the last step
  const Scalar* u_t;        // G*units x units
  const Scalar* product;    // rows x units: dA_h(t+1) U^T from BLAS, or null
  const Scalar* d_out;      // output gradient of step t (sample-major rows), or null
  long d_out_stride;
  const Scalar* gates;
  const Scalar* tanh_c;     // LSTM: tanh(c(t))
  const Scalar* c_prev;     // LSTM: c(t-1)
  const Scalar* h_prev;     // GRU: h(t-1)
  const Scalar* reset_product;  // GRU
  Scalar* carry;            // LSTM: dc; GRU: dh_direct (read for t+1, then written for t)
  Scalar* d_input_gates;
  Scalar* d_recurrent;      // GRU
  Scalar* dh_state;         // only_state: rows x units
  bool only_state;
  int rows, units, unit_tiles;

  KOKKOS_INLINE_FUNCTION void operator()(const long item) const {
    const int row0 = int(item / unit_tiles) * TileRows;
    const int unit0 = int(item % unit_tiles) * TileCols;
    const long gw = long(G) * units;
    Scalar acc[TileRows][TileCols];
    for (int r = 0; r < TileRows; ++r)
      for (int c_ = 0; c_ < TileCols; ++c_) acc[r][c_] = Scalar(0);
    if (product) {
      for (int r = 0; r < TileRows && row0 + r < rows; ++r)
        for (int c_ = 0; c_ < TileCols && unit0 + c_ < units; ++c_) acc[r][c_] = product[long(row0 + r) * units + unit0 + c_];
    } else if (d_next) {
      const Scalar* d_rows[TileRows];
      for (int r = 0; r < TileRows; ++r) d_rows[r] = d_next + long(row0 + r < rows ? row0 + r : rows - 1) * gw;
      for (long k = 0; k < gw; ++k) {
        const Scalar* ut_row = u_t + k * units + unit0;
        for (int r = 0; r < TileRows; ++r) {
          const Scalar a = d_rows[r][k];
          KYPER_SIMD
          for (int c_ = 0; c_ < TileCols; ++c_) acc[r][c_] += a * ut_row[c_];
        }
      }
    }
    for (int r = 0; r < TileRows && row0 + r < rows; ++r) {
      const long row = row0 + r;
      for (int uu = 0; uu < TileCols && unit0 + uu < units; ++uu) {
        const int j = unit0 + uu;
        const long state_at = row * units + j, gate_at = row * gw + long(j) * G;
        Scalar dh = acc[r][uu];
        if (C == Cell::Gru) dh += carry[state_at];
        if (only_state) {
          dh_state[state_at] = dh;
          continue;
        }
        if (d_out) dh += d_out[row * d_out_stride + j];
        if constexpr (C == Cell::Lstm) {
          CellMath<Scalar, C>::backward(gates + gate_at, tanh_c[state_at], c_prev[state_at], dh, carry[state_at],
                                        d_input_gates + gate_at);
        } else {
          CellMath<Scalar, C>::backward(gates + gate_at, reset_product[state_at], h_prev[state_at], dh,
                                        d_input_gates + gate_at, d_recurrent + gate_at, carry[state_at]);
        }
      }
    }
  }
};

// dst(t, b, :) = src(b, t, :) (sample-major to time-major), width values per step.
template <class ExecSpace, class Scalar>
void sequence_to_time_major(const ExecSpace& space, const Scalar* src, Scalar* dst, int rows, int steps, int width) {
  Kokkos::parallel_for("Kyper::Recurrent::to_time_major", RangeOf<ExecSpace>(space, 0, long(steps) * rows),
                       KOKKOS_LAMBDA(const long tb) {
                         const long t = tb / rows, b = tb % rows;
                         const Scalar* from = src + (b * steps + t) * width;
                         Scalar* to = dst + tb * width;
                         for (int f = 0; f < width; ++f) to[f] = from[f];
                       });
}

// dst(b, t, :) (+)= src(t, b, :) (time-major to sample-major).
template <class ExecSpace, class Scalar>
void sequence_to_sample_major(const ExecSpace& space, const Scalar* src, Scalar* dst, int rows, int steps, int width,
                              bool accumulate) {
  Kokkos::parallel_for("Kyper::Recurrent::to_sample_major", RangeOf<ExecSpace>(space, 0, long(steps) * rows),
                       KOKKOS_LAMBDA(const long bt) {
                         const long b = bt / steps, t = bt % steps;
                         const Scalar* from = src + (t * rows + b) * width;
                         Scalar* to = dst + bt * width;
                         for (int f = 0; f < width; ++f) to[f] = accumulate ? to[f] + from[f] : from[f];
                       });
}

namespace detail {
template <class T>
struct NonDeduced {  // lets callers pass nullptr for optional pointers
  using type = T;
};
template <class ExecSpace, class Scalar>
MatrixView<Scalar, ExecSpace> matrix(Scalar* data, long rows, long cols) {
  return MatrixView<Scalar, ExecSpace>(data, rows, cols);
}
template <class ExecSpace, class Scalar>
MatrixView<const Scalar, ExecSpace> cmatrix(const Scalar* data, long rows, long cols) {
  return MatrixView<const Scalar, ExecSpace>(data, rows, cols);
}
}  // namespace detail

// Runs the cell over x (rows x steps x in, sample-major). h0/c0 (rows x units) may be null for zero
// initial states. out receives every step's h (rows x steps x units) with return_sequences, else
// the last one (rows x units).
template <class ExecSpace, class Scalar>
void recurrent_forward(const ExecSpace& space, const RecurrentWorkspace<Scalar>& w,
                       const RecurrentParameters<const Scalar>& p, const Scalar* x,
                       const typename detail::NonDeduced<Scalar>::type* h0,
                       const typename detail::NonDeduced<Scalar>::type* c0, Scalar* out, bool return_sequences) {
  using detail::cmatrix;
  using detail::matrix;
  const long sr = long(w.steps) * w.rows, gw = w.gate_width(), state = long(w.rows) * w.units;
  sequence_to_time_major(space, x, w.x, w.rows, w.steps, w.in);
  const bool blas = product_prefers_gemm(w.rows, w.units, gw);
  const bool fused_input = w.cell == Cell::Lstm && !blas;  // the GRU's n gate needs x W apart from h U
  if (!fused_input)
    dense_forward(space, cmatrix<ExecSpace>(w.x, sr, w.in), cmatrix<ExecSpace>(p.input_weights, w.in, gw),
                  VectorView<const Scalar, ExecSpace>(p.bias, gw), MatrixView<Scalar, ExecSpace>(),
                  matrix<ExecSpace>(w.input_gates, sr, gw), Activation::Identity);
  auto initial = [&](Scalar* slot, const Scalar* given) {
    if (given)
      Kokkos::deep_copy(space, VectorView<Scalar, ExecSpace>(slot, state), VectorView<const Scalar, ExecSpace>(given, state));
    else
      Kokkos::deep_copy(space, VectorView<Scalar, ExecSpace>(slot, state), Scalar(0));
  };
  initial(w.h, h0);
  if (w.cell == Cell::Lstm) initial(w.c, c0);
  const int unit_tiles = (w.units + RecurrentTileUnits - 1) / RecurrentTileUnits;
  const long items = long((w.rows + TileRows - 1) / TileRows) * unit_tiles;
  for (int t = 0; t < w.steps; ++t) {
    const Scalar* h_prev = w.h + t * state;
    if (blas)
      gemm_on(space, "N", "N", Scalar(1), cmatrix<ExecSpace>(h_prev, w.rows, w.units),
              cmatrix<ExecSpace>(p.recurrent_weights, w.units, gw), Scalar(0), matrix<ExecSpace>(w.step_product, w.rows, gw));
    const Scalar* product = blas ? w.step_product : nullptr;
    const Scalar* in_gates = fused_input ? nullptr : w.input_gates + t * long(w.rows) * gw;
    const Scalar* x_t = w.x + t * long(w.rows) * w.in;
    Scalar* gates = w.gates + t * long(w.rows) * gw;
    if (w.cell == Cell::Lstm) {
      RecurrentForwardStep<Scalar, Cell::Lstm> step{h_prev, p.recurrent_weights, product, in_gates, x_t,
                                                    p.input_weights, p.bias, w.in, nullptr,
                                                    w.c + t * state, w.c + (t + 1) * state, w.cell_tanh + t * state,
                                                    w.h + (t + 1) * state, gates, nullptr, w.rows, w.units, unit_tiles};
      Kokkos::parallel_for("Kyper::Lstm::forward_step", RangeOf<ExecSpace>(space, 0, items), step);
    } else {
      RecurrentForwardStep<Scalar, Cell::Gru> step{h_prev, p.recurrent_weights, product, in_gates, x_t,
                                                   p.input_weights, p.bias, w.in, p.reset_bias,
                                                   nullptr, nullptr, nullptr, w.h + (t + 1) * state, gates,
                                                   w.reset_product + t * state, w.rows, w.units, unit_tiles};
      Kokkos::parallel_for("Kyper::Gru::forward_step", RangeOf<ExecSpace>(space, 0, items), step);
    }
  }
  if (return_sequences)
    sequence_to_sample_major(space, w.h + state, out, w.rows, w.steps, w.units, false);
  else
    Kokkos::deep_copy(space, VectorView<Scalar, ExecSpace>(out, state),
                      VectorView<const Scalar, ExecSpace>(w.h + long(w.steps) * state, state));
}

// Backpropagation through time after recurrent_forward on the same workspace. d_out: dL/d(out) in
// out's shape. Writes the parameter gradients into `g` (overwriting), adds dL/dx into dx (sample-major)
// when given, and writes dL/dh0, dL/dc0 when given.
template <class ExecSpace, class Scalar>
void recurrent_backward(const ExecSpace& space, const RecurrentWorkspace<Scalar>& w,
                        const RecurrentParameters<const Scalar>& p, const RecurrentParameters<Scalar>& g,
                        const Scalar* d_out, bool return_sequences, typename detail::NonDeduced<Scalar>::type* dx,
                        typename detail::NonDeduced<Scalar>::type* dh0, typename detail::NonDeduced<Scalar>::type* dc0) {
  using detail::cmatrix;
  using detail::matrix;
  const long sr = long(w.steps) * w.rows, gw = w.gate_width(), state = long(w.rows) * w.units;
  const bool lstm = w.cell == Cell::Lstm;
  Scalar* carry = lstm ? w.dc : w.dh_direct;
  Kokkos::deep_copy(space, VectorView<Scalar, ExecSpace>(carry, state), Scalar(0));
  const bool blas = product_prefers_gemm(w.rows, gw, w.units);
  if (!blas) transpose(space, cmatrix<ExecSpace>(p.recurrent_weights, w.units, gw), matrix<ExecSpace>(w.transposed, gw, w.units));
  const int unit_tiles = (w.units + TileCols - 1) / TileCols;
  const long items = long((w.rows + TileRows - 1) / TileRows) * unit_tiles;
  const long d_out_stride = return_sequences ? long(w.steps) * w.units : w.units;

  // Step t's kernel; t = -1 computes the initial state's gradient only.
  auto run_step = [&](int t) {
    const bool has_next = t + 1 < w.steps;
    const Scalar* d_next = has_next ? w.d_recurrent + (t + 1) * long(w.rows) * gw : nullptr;
    if (has_next && blas)
      gemm_on(space, "N", "T", Scalar(1), cmatrix<ExecSpace>(d_next, w.rows, gw),
              cmatrix<ExecSpace>(p.recurrent_weights, w.units, gw), Scalar(0),
              matrix<ExecSpace>(w.step_product, w.rows, w.units));
    const Scalar* product = has_next && blas ? w.step_product : nullptr;
    const Scalar* step_d_out = nullptr;
    if (t >= 0 && return_sequences) step_d_out = d_out + long(t) * w.units;
    if (t == w.steps - 1 && !return_sequences) step_d_out = d_out;
    const int tt = t < 0 ? 0 : t;
    const long gates_at = tt * long(w.rows) * gw;
    if (lstm) {
      RecurrentBackwardStep<Scalar, Cell::Lstm> step{
          d_next, w.transposed, product, step_d_out, d_out_stride, w.gates + gates_at, w.cell_tanh + tt * state,
          w.c + tt * state, nullptr, nullptr, carry, w.d_input_gates + gates_at, nullptr, dh0, t < 0,
          w.rows, w.units, unit_tiles};
      Kokkos::parallel_for("Kyper::Lstm::backward_step", RangeOf<ExecSpace>(space, 0, items), step);
    } else {
      RecurrentBackwardStep<Scalar, Cell::Gru> step{
          d_next, w.transposed, product, step_d_out, d_out_stride, w.gates + gates_at, nullptr, nullptr,
          w.h + tt * state, w.reset_product + tt * state, carry, w.d_input_gates + gates_at,
          w.d_recurrent + gates_at, dh0, t < 0, w.rows, w.units, unit_tiles};
      Kokkos::parallel_for("Kyper::Gru::backward_step", RangeOf<ExecSpace>(space, 0, items), step);
    }
  };
  for (int t = w.steps - 1; t >= 0; --t) run_step(t);
  if (dh0) run_step(-1);
  if (dc0 && lstm)
    Kokkos::deep_copy(space, VectorView<Scalar, ExecSpace>(dc0, state), VectorView<const Scalar, ExecSpace>(w.dc, state));

  // dU = H(t-1)^T dA_h over all steps; dW, db and dx from dA_x over all steps.
  dense_backward(space, cmatrix<ExecSpace>(w.h, sr, w.units), cmatrix<ExecSpace>(p.recurrent_weights, w.units, gw),
                 cmatrix<ExecSpace>(w.d_recurrent, sr, gw), matrix<ExecSpace>(g.recurrent_weights, w.units, gw),
                 VectorView<Scalar, ExecSpace>(), MatrixView<Scalar, ExecSpace>(), MatrixView<Scalar, ExecSpace>());
  if (dx) Kokkos::deep_copy(space, VectorView<Scalar, ExecSpace>(w.dx, sr * w.in), Scalar(0));
  dense_backward(space, cmatrix<ExecSpace>(w.x, sr, w.in), cmatrix<ExecSpace>(p.input_weights, w.in, gw),
                 cmatrix<ExecSpace>(w.d_input_gates, sr, gw), matrix<ExecSpace>(g.input_weights, w.in, gw),
                 VectorView<Scalar, ExecSpace>(g.bias, gw),
                 dx ? matrix<ExecSpace>(w.dx, sr, w.in) : MatrixView<Scalar, ExecSpace>(),
                 matrix<ExecSpace>(w.transposed, gw, w.in));
  if (dx) sequence_to_sample_major(space, w.dx, dx, w.rows, w.steps, w.in, true);
  if (!lstm) {
    // db_hn(j) = sum over steps and rows of dL/d(U_n h + b_hn) = the n column of dA_h.
    const Scalar* d_recurrent = w.d_recurrent;
    Scalar* reset_bias = g.reset_bias;
    const int units = w.units;
    Kokkos::parallel_for("Kyper::Gru::reset_bias_gradient", RangeOf<ExecSpace>(space, 0, units),
                         KOKKOS_LAMBDA(const long j) {
                           Scalar sum = Scalar(0);
                           for (long r = 0; r < sr; ++r) sum += d_recurrent[r * gw + 3 * j + 2];
                           reset_bias[j] = sum;
                         });
  }
}

}  // namespace kyper::kernels
