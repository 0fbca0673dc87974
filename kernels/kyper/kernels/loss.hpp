// Loss kernels: one pass per batch computes the summed per-sample loss (into a device scalar, so the
// host never waits) and, when asked, dL/d(output) for the mean loss over the batch.
//   MSE, MAE                : outputs and targets have t columns.
//   GaussianNLL             : outputs 2t columns (means, then raw variances -> softplus + floor).
//   SoftmaxCrossEntropy     : outputs k logits, one target column holding the class index.
//   BinaryCrossEntropy      : outputs t logits, targets in [0, 1].
#pragma once

#include <kyper/kernels/activation.hpp>
#include <kyper/kernels/types.hpp>

namespace kyper::kernels {

enum class Loss : int { MSE = 0, MAE, GaussianNLL, SoftmaxCrossEntropy, BinaryCrossEntropy };

// Number of output columns a loss needs for `targets` target columns (`classes` for softmax).
inline int loss_output_width(Loss loss, int targets, int classes) {
  switch (loss) {
    case Loss::GaussianNLL: return 2 * targets;
    case Loss::SoftmaxCrossEntropy: return classes;
    default: return targets;
  }
}

template <class Scalar>
KOKKOS_INLINE_FUNCTION Scalar gaussian_variance(Scalar raw, Scalar floor) {
  return softplus(raw) + floor;
}

// One sample's loss; writes dL/d(output) scaled by `grad_scale` into g unless g is null.
template <class Scalar>
KOKKOS_INLINE_FUNCTION double loss_row(Loss loss, const Scalar* o, const Scalar* y, Scalar* g, int out_cols,
                                       int target_cols, Scalar grad_scale, Scalar variance_floor) {
  double value = 0;
  switch (loss) {
    case Loss::MSE:
    case Loss::MAE: {
      const Scalar per = grad_scale / Scalar(target_cols);
      for (int j = 0; j < target_cols; ++j) {
        const Scalar d = o[j] - y[j];
        if (loss == Loss::MSE) {
          value += double(d) * double(d);
          if (g) g[j] = Scalar(2) * d * per;
        } else {
          value += kmath::fabs(double(d));
          if (g) g[j] = (d > Scalar(0) ? Scalar(1) : (d < Scalar(0) ? Scalar(-1) : Scalar(0))) * per;
        }
      }
      value /= target_cols;
      break;
    }
    case Loss::GaussianNLL: {
      const Scalar per = grad_scale / Scalar(target_cols);
      for (int j = 0; j < target_cols; ++j) {
        const Scalar raw = o[target_cols + j];
        const Scalar var = gaussian_variance(raw, variance_floor);
        const Scalar d = y[j] - o[j];
        value += 0.5 * (kmath::log(2.0 * 3.14159265358979323846 * double(var)) + double(d) * double(d) / var);
        if (g) {
          g[j] = -d / var * per;
          const Scalar d_var = Scalar(0.5) * (Scalar(1) / var - d * d / (var * var));
          g[target_cols + j] = d_var * sigmoid(raw) * per;
        }
      }
      value /= target_cols;
      break;
    }
    case Loss::SoftmaxCrossEntropy: {
      Scalar max_logit = o[0];
      for (int j = 1; j < out_cols; ++j) max_logit = o[j] > max_logit ? o[j] : max_logit;
      Scalar total = 0;
      for (int j = 0; j < out_cols; ++j) total += kmath::exp(o[j] - max_logit);
      const int label = int(y[0]);
      value = double(kmath::log(total) + max_logit - o[label]);
      if (g)
        for (int j = 0; j < out_cols; ++j)
          g[j] = (kmath::exp(o[j] - max_logit) / total - (j == label ? Scalar(1) : Scalar(0))) * grad_scale;
      break;
    }
    case Loss::BinaryCrossEntropy: {
      const Scalar per = grad_scale / Scalar(target_cols);
      for (int j = 0; j < target_cols; ++j) {
        const Scalar z = o[j];
        const Scalar abs_z = kmath::fabs(z);
        value += double((z > Scalar(0) ? z : Scalar(0)) - z * y[j] + kmath::log1p(kmath::exp(-abs_z)));
        if (g) g[j] = (sigmoid(z) - y[j]) * per;
      }
      value /= target_cols;
      break;
    }
  }
  return value;
}

template <class Scalar>
struct LossFunctor {
  Loss loss;
  const Scalar* out;
  const Scalar* target;
  Scalar* grad;  // null: value only
  int out_cols, target_cols;
  Scalar grad_scale;  // 1 / batch
  Scalar variance_floor;

  KOKKOS_INLINE_FUNCTION void operator()(const long row, double& sum) const {
    sum += loss_row(loss, out + row * out_cols, target + row * target_cols, grad ? grad + row * out_cols : nullptr,
                    out_cols, target_cols, grad_scale, variance_floor);
  }
};

// Sum over the batch of the per-sample loss -> `loss_sum` (device scalar); gradient into `grad`
// (same shape as out) unless it is empty.
template <class ExecSpace, class Scalar>
void loss_forward_backward(const ExecSpace& space, Loss loss, MatrixView<const Scalar, ExecSpace> out,
                           MatrixView<const Scalar, ExecSpace> target, MatrixView<Scalar, ExecSpace> grad,
                           DeviceScalar<double, ExecSpace> loss_sum, Scalar variance_floor) {
  const long rows = out.extent(0);
  const int target_cols = loss == Loss::GaussianNLL ? int(out.extent(1)) / 2 : int(target.extent(1));
  LossFunctor<Scalar> functor{loss,      out.data(), target.data(), grad.data(), int(out.extent(1)), target_cols,
                              Scalar(1) / Scalar(rows > 0 ? rows : 1), variance_floor};
  Kokkos::parallel_reduce("Kyper::Loss", RangeOf<ExecSpace>(space, 0, rows), functor, loss_sum);
}

}  // namespace kyper::kernels
