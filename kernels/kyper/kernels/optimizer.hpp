// Optimizer update kernels over the flat parameter array: one launch updates every layer.
// Gradient clipping by value happens in the same pass; clipping by global norm reads the squared
// norm from a device scalar filled by gradient_norm_squared, so the host never waits on it.
#pragma once

#include <kyper/kernels/math.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper {

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

// `state1`/`state2`: momentum buffer (SGD), squared average (RMSprop), first/second moments (Adam).
template <class ExecSpace, class Scalar>
void optimizer_update(const ExecSpace& space, const OptimizerStep<Scalar>& step, VectorView<Scalar, ExecSpace> params,
                      VectorView<const Scalar, ExecSpace> grads, VectorView<Scalar, ExecSpace> state1,
                      VectorView<Scalar, ExecSpace> state2, DeviceScalar<double, ExecSpace> norm_squared) {
  Scalar* p = params.data();
  const Scalar* g = grads.data();
  Scalar* s1 = state1.data();
  Scalar* s2 = state2.data();
  const OptimizerStep<Scalar> h = step;
  const bool clip_by_norm = h.clip_norm > Scalar(0);
  Kokkos::parallel_for("Kyper::Optimizer::update", RangeOf<ExecSpace>(space, 0, long(params.size())),
                       KOKKOS_LAMBDA(const long i) {
                         Scalar grad = g[i];
                         if (clip_by_norm) {
                           const double norm = kmath::sqrt(norm_squared());
                           if (norm > double(h.clip_norm)) grad *= Scalar(double(h.clip_norm) / norm);
                         }
                         if (h.clip_value > Scalar(0))
                           grad = grad > h.clip_value ? h.clip_value : (grad < -h.clip_value ? -h.clip_value : grad);
                         if (h.kind != OptimizerKind::AdamW) grad += h.weight_decay * p[i];
                         switch (h.kind) {
                           case OptimizerKind::SGD: {
                             Scalar update = grad;
                             if (h.momentum > Scalar(0)) {
                               s1[i] = h.momentum * s1[i] + grad;
                               update = h.nesterov ? grad + h.momentum * s1[i] : s1[i];
                             }
                             p[i] -= h.learning_rate * update;
                             break;
                           }
                           case OptimizerKind::RMSprop:
                             s2[i] = h.rho * s2[i] + (Scalar(1) - h.rho) * grad * grad;
                             p[i] -= h.learning_rate * grad / (kmath::sqrt(s2[i]) + h.epsilon);
                             break;
                           case OptimizerKind::Adam:
                           case OptimizerKind::AdamW: {
                             if (h.kind == OptimizerKind::AdamW) p[i] -= h.learning_rate * h.weight_decay * p[i];
                             s1[i] = h.beta1 * s1[i] + (Scalar(1) - h.beta1) * grad;
                             s2[i] = h.beta2 * s2[i] + (Scalar(1) - h.beta2) * grad * grad;
                             const Scalar m_hat = s1[i] / h.bias_correction1;
                             const Scalar v_hat = s2[i] / h.bias_correction2;
                             p[i] -= h.learning_rate * m_hat / (kmath::sqrt(v_hat) + h.epsilon);
                             break;
                           }
                         }
                       });
}

}  // namespace kyper
