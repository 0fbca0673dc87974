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

// One parameter's update from its (clipped) gradient: the rule every launch and the fused training
// step apply. The rule is a template argument so each loop is straight and vectorizable.
template <OptimizerKind Kind, class Scalar>
KOKKOS_FORCEINLINE_FUNCTION void update_parameter(const OptimizerStep<Scalar>& h, Scalar grad, Scalar& p, Scalar& s1,
                                                  Scalar& s2) {
  if (h.clip_value > Scalar(0)) grad = kmath::fmin(h.clip_value, kmath::fmax(-h.clip_value, grad));
  if (Kind != OptimizerKind::AdamW) grad += h.weight_decay * p;
  if (Kind == OptimizerKind::SGD) {
    Scalar update = grad;
    if (h.momentum > Scalar(0)) {
      s1 = h.momentum * s1 + grad;
      update = h.nesterov ? grad + h.momentum * s1 : s1;
    }
    p -= h.learning_rate * update;
  } else if (Kind == OptimizerKind::RMSprop) {
    s2 = h.rho * s2 + (Scalar(1) - h.rho) * grad * grad;
    p -= h.learning_rate * grad / (kmath::sqrt(s2) + h.epsilon);
  } else {
    Scalar param = p;
    if (Kind == OptimizerKind::AdamW) param -= h.learning_rate * h.weight_decay * param;
    const Scalar m = h.beta1 * s1 + (Scalar(1) - h.beta1) * grad;
    const Scalar v = h.beta2 * s2 + (Scalar(1) - h.beta2) * grad * grad;
    s1 = m, s2 = v;
    p = param - h.learning_rate * (m / h.bias_correction1) / (kmath::sqrt(v / h.bias_correction2) + h.epsilon);
  }
}

// Parameters per work item: one on a GPU (coalesced), a chunk with a SIMD loop on a host. A host loop
// of one call per element does not vectorize: the compiler cannot prove that the stores through the
// functor's pointers leave the pointers themselves alone, so it reloads them every iteration.
template <class ExecSpace>
constexpr long elements_per_item() {
  return runs_on_host<ExecSpace>() ? 1024 : 1;
}

template <OptimizerKind Kind, long Chunk, class Scalar>
struct OptimizerUpdateFunctor {
  Scalar* p;
  const Scalar* g;
  Scalar* s1;
  Scalar* s2;
  OptimizerStep<Scalar> h;
  const double* norm_squared;  // device scalar; null when clipping by norm is off
  long size;

  KOKKOS_INLINE_FUNCTION void operator()(const long item) const {
    Scalar scale = Scalar(1);
    if (norm_squared) {
      const double norm = kmath::sqrt(*norm_squared);
      if (norm > double(h.clip_norm)) scale = Scalar(double(h.clip_norm) / norm);
    }
    const long begin = item * Chunk, end = begin + Chunk < size ? begin + Chunk : size;
    Scalar* KOKKOS_RESTRICT param = p;
    const Scalar* KOKKOS_RESTRICT grad = g;
    Scalar* KOKKOS_RESTRICT first = s1;
    Scalar* KOKKOS_RESTRICT second = s2;
    const OptimizerStep<Scalar> hyper = h;
    KYPER_SIMD
    for (long i = begin; i < end; ++i) update_parameter<Kind>(hyper, grad[i] * scale, param[i], first[i], second[i]);
  }
};

template <OptimizerKind Kind, class ExecSpace, class Scalar>
void launch_optimizer_update(const ExecSpace& space, const OptimizerStep<Scalar>& step, Scalar* p, const Scalar* g,
                             Scalar* s1, Scalar* s2, const double* norm_squared, long size) {
  constexpr long chunk = elements_per_item<ExecSpace>();
  Kokkos::parallel_for("Kyper::Optimizer::update", RangeOf<ExecSpace>(space, 0, (size + chunk - 1) / chunk),
                       OptimizerUpdateFunctor<Kind, chunk, Scalar>{p, g, s1, s2, step, norm_squared, size});
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
