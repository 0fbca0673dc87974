// Optimizer update kernels over the flat parameter array: one launch updates every layer.
// Gradient clipping by value happens in the same pass; clipping by global norm reads the squared
// norm from a device scalar filled by gradient_norm_squared, so the host never waits on it.
#pragma once

#include <kyper/kernels/math.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper::kernels {

enum class OptimizerKind : int { SGD = 0, RMSprop, Adam, AdamW };

// Per-step hyperparameters, computed on the host (schedules, bias corrections) and passed by value.
template <class Scalar>
struct OptimizerStep {
  OptimizerKind kind = OptimizerKind::Adam;
  Scalar learning_rate = Scalar(1e-3);
  Scalar momentum = 0;         // SGD
  bool nesterov = false;       // SGD
  Scalar beta1 = Scalar(0.9);  // Adam, AdamW
  Scalar beta2 = Scalar(0.999);
  Scalar rho = Scalar(0.9);  // RMSprop
  Scalar epsilon = Scalar(1e-8);
  Scalar weight_decay = 0;      // L2 for SGD/RMSprop/Adam, decoupled for AdamW
  Scalar bias_correction1 = 1;  // 1 - beta1^t
  Scalar bias_correction2 = 1;  // 1 - beta2^t
  Scalar clip_value = 0;        // 0: off
  Scalar clip_norm = 0;         // 0: off
};

template <class ExecSpace, class Scalar>
void gradient_norm_squared(const ExecSpace& space, VectorView<const Scalar, ExecSpace> grads,
                           DeviceScalar<double, ExecSpace> norm_squared) {
  const Scalar* g = grads.data();
  Kokkos::parallel_reduce("Kyper::Optimizer::gradient_norm", RangeOf<ExecSpace>(space, 0, long(grads.size())),
                          KOKKOS_LAMBDA(const long i, double& sum) { sum += double(g[i]) * double(g[i]); },
                          norm_squared);
}

// One parameter's update. The rule is a template argument so each launch is a straight,
// vectorizable loop (a run-time switch inside the loop defeats vectorization).
template <OptimizerKind Kind, class Scalar>
struct OptimizerUpdateFunctor {
  Scalar* p;
  const Scalar* g;
  Scalar* s1;
  Scalar* s2;
  OptimizerStep<Scalar> h;
  const double* norm_squared;  // device scalar; null when clipping by norm is off

  KOKKOS_INLINE_FUNCTION void operator()(const long i) const {
    Scalar grad = g[i];
    if (norm_squared) {
      const double norm = kmath::sqrt(*norm_squared);
      if (norm > double(h.clip_norm)) grad *= Scalar(double(h.clip_norm) / norm);
    }
    if (h.clip_value > Scalar(0)) grad = kmath::fmin(h.clip_value, kmath::fmax(-h.clip_value, grad));
    if (Kind != OptimizerKind::AdamW) grad += h.weight_decay * p[i];
    if (Kind == OptimizerKind::SGD) {
      Scalar update = grad;
      if (h.momentum > Scalar(0)) {
        s1[i] = h.momentum * s1[i] + grad;
        update = h.nesterov ? grad + h.momentum * s1[i] : s1[i];
      }
      p[i] -= h.learning_rate * update;
    } else if (Kind == OptimizerKind::RMSprop) {
      s2[i] = h.rho * s2[i] + (Scalar(1) - h.rho) * grad * grad;
      p[i] -= h.learning_rate * grad / (kmath::sqrt(s2[i]) + h.epsilon);
    } else {
      Scalar param = p[i];
      if (Kind == OptimizerKind::AdamW) param -= h.learning_rate * h.weight_decay * param;
      const Scalar m = h.beta1 * s1[i] + (Scalar(1) - h.beta1) * grad;
      const Scalar v = h.beta2 * s2[i] + (Scalar(1) - h.beta2) * grad * grad;
      s1[i] = m, s2[i] = v;
      p[i] = param - h.learning_rate * (m / h.bias_correction1) / (kmath::sqrt(v / h.bias_correction2) + h.epsilon);
    }
  }
};

template <OptimizerKind Kind, class ExecSpace, class Scalar>
void launch_optimizer_update(const ExecSpace& space, const OptimizerStep<Scalar>& step, Scalar* p, const Scalar* g,
                             Scalar* s1, Scalar* s2, const double* norm_squared, long size) {
  Kokkos::parallel_for("Kyper::Optimizer::update", RangeOf<ExecSpace>(space, 0, size),
                       OptimizerUpdateFunctor<Kind, Scalar>{p, g, s1, s2, step, norm_squared});
}

// `state1`/`state2`: momentum buffer (SGD), squared average (RMSprop), first/second moments (Adam).
template <class ExecSpace, class Scalar>
void optimizer_update(const ExecSpace& space, const OptimizerStep<Scalar>& step, VectorView<Scalar, ExecSpace> params,
                      VectorView<const Scalar, ExecSpace> grads, VectorView<Scalar, ExecSpace> state1,
                      VectorView<Scalar, ExecSpace> state2, DeviceScalar<double, ExecSpace> norm_squared) {
  const double* norm = step.clip_norm > Scalar(0) ? norm_squared.data() : nullptr;
  const long size = long(params.size());
  Scalar *p = params.data(), *s1 = state1.data(), *s2 = state2.data();
  const Scalar* g = grads.data();
  switch (step.kind) {
    case OptimizerKind::SGD: launch_optimizer_update<OptimizerKind::SGD>(space, step, p, g, s1, s2, norm, size); break;
    case OptimizerKind::RMSprop:
      launch_optimizer_update<OptimizerKind::RMSprop>(space, step, p, g, s1, s2, norm, size);
      break;
    case OptimizerKind::Adam: launch_optimizer_update<OptimizerKind::Adam>(space, step, p, g, s1, s2, norm, size); break;
    case OptimizerKind::AdamW: launch_optimizer_update<OptimizerKind::AdamW>(space, step, p, g, s1, s2, norm, size); break;
  }
}

}  // namespace kyper::kernels
