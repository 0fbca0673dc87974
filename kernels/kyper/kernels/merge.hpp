// Kernels of the graph's non-parametric nodes: activation, add and concatenate merges, dropout.
// Backward kernels accumulate (+=) into input gradients because a node may feed several consumers.
#pragma once

#include <cstdint>

#include <kyper/kernels/activation.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper::kernels {

template <Activation Act, class Scalar>
struct ActivationForwardFunctor {
  const Scalar* in;
  Scalar* out;
  KOKKOS_INLINE_FUNCTION void operator()(const long idx) const { out[idx] = activate(Act, in[idx]); }
};

template <class ExecSpace, class Scalar>
void activation_forward(const ExecSpace& space, Activation activation, const Scalar* in, Scalar* out, long size) {
  dispatch_activation(activation, [&](auto act) {
    Kokkos::parallel_for("Kyper::Activation::forward", RangeOf<ExecSpace>(space, 0, size),
                         ActivationForwardFunctor<decltype(act)::value, Scalar>{in, out});
  });
}

// out = in (first input of an add) or out += in (the others).
template <class ExecSpace, class Scalar>
void add_into(const ExecSpace& space, const Scalar* in, Scalar* out, long size, bool accumulate) {
  Kokkos::parallel_for("Kyper::Add", RangeOf<ExecSpace>(space, 0, size), KOKKOS_LAMBDA(const long idx) {
    out[idx] = accumulate ? out[idx] + in[idx] : in[idx];
  });
}

// Copies an input of width `in_cols` into columns [offset, offset+in_cols) of out (width out_cols),
// or, backward, adds those columns of d_out into d_in.
template <class ExecSpace, class Scalar>
void concat_forward(const ExecSpace& space, const Scalar* in, long rows, long in_cols, Scalar* out, long out_cols,
                    long offset) {
  Kokkos::parallel_for("Kyper::Concat::forward", RangeOf<ExecSpace>(space, 0, rows * in_cols),
                       KOKKOS_LAMBDA(const long idx) {
                         const long r = idx / in_cols, c = idx % in_cols;
                         out[r * out_cols + offset + c] = in[idx];
                       });
}

template <class ExecSpace, class Scalar>
void concat_backward(const ExecSpace& space, const Scalar* d_out, long rows, long out_cols, long offset, Scalar* d_in,
                     long in_cols) {
  Kokkos::parallel_for("Kyper::Concat::backward", RangeOf<ExecSpace>(space, 0, rows * in_cols),
                       KOKKOS_LAMBDA(const long idx) {
                         const long r = idx / in_cols, c = idx % in_cols;
                         d_in[idx] += d_out[r * out_cols + offset + c];
                       });
}

// Counter-based uniform draw in [0,1): the same (seed, stream, index) gives the same number on every
// backend and thread count, which a per-thread RNG pool cannot promise.
KOKKOS_INLINE_FUNCTION double counter_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  uint64_t z = seed ^ (stream * 0x9E3779B97F4A7C15ULL) ^ (index * 0xD1B54A32D192ED03ULL);
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return double(z >> 11) * (1.0 / 9007199254740992.0);
}

// Inverted dropout: kept units are scaled by 1/(1-rate) so inference needs no rescaling.
// `mask` holds the scale (0 or 1/(1-rate)) for the backward pass.
template <class ExecSpace, class Scalar>
void dropout_forward(const ExecSpace& space, const Scalar* in, Scalar* out, Scalar* mask, long size, double rate,
                     uint64_t seed, uint64_t stream) {
  const Scalar keep_scale = Scalar(1.0 / (1.0 - rate));
  Kokkos::parallel_for("Kyper::Dropout::forward", RangeOf<ExecSpace>(space, 0, size), KOKKOS_LAMBDA(const long idx) {
    const Scalar m = counter_uniform(seed, stream, uint64_t(idx)) < rate ? Scalar(0) : keep_scale;
    mask[idx] = m;
    out[idx] = in[idx] * m;
  });
}

template <class ExecSpace, class Scalar>
void dropout_backward(const ExecSpace& space, const Scalar* d_out, const Scalar* mask, Scalar* d_in, long size) {
  Kokkos::parallel_for("Kyper::Dropout::backward", RangeOf<ExecSpace>(space, 0, size),
                       KOKKOS_LAMBDA(const long idx) { d_in[idx] += d_out[idx] * mask[idx]; });
}

}  // namespace kyper::kernels
