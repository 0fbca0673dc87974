// Activation functions and their derivatives, callable inside kernels on every backend.
// The derivative takes both the pre-activation z and the activation a = f(z): relu/tanh/sigmoid/elu
// only need a, gelu/swish need z.
#pragma once

#include <type_traits>

#include <kyper/kernels/math.hpp>

namespace kyper::kernels {

enum class Activation : int { Identity = 0, Relu, Tanh, Sigmoid, Swish, Gelu, Elu };

// True when the derivative can be computed from the activation alone (no pre-activation buffer).
KOKKOS_INLINE_FUNCTION constexpr bool derivative_needs_preactivation(Activation act) {
  return act == Activation::Swish || act == Activation::Gelu;
}

template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar sigmoid(Scalar z) {
  // Written so exp never overflows: for z<0 use exp(z)/(1+exp(z)).
  if (z >= Scalar(0)) {
    const Scalar e = kmath::exp(-z);
    return Scalar(1) / (Scalar(1) + e);
  }
  const Scalar e = kmath::exp(z);
  return e / (Scalar(1) + e);
}

template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar softplus(Scalar z) {
  return z > Scalar(20) ? z : kmath::log1p(kmath::exp(z));
}

template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar activate(Activation act, Scalar z) {
  switch (act) {
    case Activation::Identity: return z;
    case Activation::Relu: return z > Scalar(0) ? z : Scalar(0);
    case Activation::Tanh: return kmath::tanh(z);
    case Activation::Sigmoid: return sigmoid(z);
    case Activation::Swish: return z * sigmoid(z);
    case Activation::Gelu:  // exact form, 0.5 z (1 + erf(z / sqrt 2))
      return Scalar(0.5) * z * (Scalar(1) + kmath::erf(z * Scalar(0.70710678118654752)));
    case Activation::Elu: return z > Scalar(0) ? z : kmath::expm1(z);
  }
  return z;
}

template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar activation_derivative(Activation act, Scalar z, Scalar a) {
  switch (act) {
    case Activation::Identity: return Scalar(1);
    case Activation::Relu: return a > Scalar(0) ? Scalar(1) : Scalar(0);
    case Activation::Tanh: return Scalar(1) - a * a;
    case Activation::Sigmoid: return a * (Scalar(1) - a);
    case Activation::Swish: {
      const Scalar s = sigmoid(z);
      return s + z * s * (Scalar(1) - s);
    }
    case Activation::Gelu: {
      const Scalar cdf = Scalar(0.5) * (Scalar(1) + kmath::erf(z * Scalar(0.70710678118654752)));
      const Scalar pdf = Scalar(0.39894228040143268) * kmath::exp(Scalar(-0.5) * z * z);
      return cdf + z * pdf;
    }
    case Activation::Elu: return a > Scalar(0) ? Scalar(1) : a + Scalar(1);
  }
  return Scalar(1);
}

// Calls f(std::integral_constant<Activation, A>{}) for the run-time value `act`, so elementwise
// kernels are compiled once per activation and their loops vectorize (no switch per element).
template <class F>
void dispatch_activation(Activation act, F&& f) {
  switch (act) {
    case Activation::Identity: return f(std::integral_constant<Activation, Activation::Identity>{});
    case Activation::Relu: return f(std::integral_constant<Activation, Activation::Relu>{});
    case Activation::Tanh: return f(std::integral_constant<Activation, Activation::Tanh>{});
    case Activation::Sigmoid: return f(std::integral_constant<Activation, Activation::Sigmoid>{});
    case Activation::Swish: return f(std::integral_constant<Activation, Activation::Swish>{});
    case Activation::Gelu: return f(std::integral_constant<Activation, Activation::Gelu>{});
    case Activation::Elu: return f(std::integral_constant<Activation, Activation::Elu>{});
  }
}

}  // namespace kyper::kernels
