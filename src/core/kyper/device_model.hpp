// A trained Model living on an execution space: weights and scalers copied there once, then
// predict(x, y) runs on views the caller already has in that space's memory (any rank-2 layout),
// scaling inputs and un-scaling outputs on the device, on the caller's execution space instance.
// Nothing crosses to the host per call: a simulation on a GPU uses the model its search produced
// on its own device views.
//
//   kyper::Model model = kyper::Model::load("best.kyper");
//   kyper::DeviceModel<Kokkos::DefaultExecutionSpace> surrogate(model, exec);   // once
//   surrogate.predict(x, y);    // x: rows x features, y: rows x output_width(), in exec's memory
//
// y's columns are Model::predict's: per target its value (mse/mae), or its mean then its variance
// (gaussian_nll), or class probabilities (cross_entropy), or one probability (binary_cross_entropy).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>
#include <kyper/error.hpp>
#include <kyper/model.hpp>

namespace kyper {

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class DeviceModel {
 public:
  using execution_space = ExecSpace;
  using Net = Network<float, ExecSpace>;
  // Scaler offsets and scales stay in double, as the host path applies them.
  using Vector = Kokkos::View<double*, DeviceOf<ExecSpace>>;
  using Weights = Kokkos::View<float**, Kokkos::LayoutRight, DeviceOf<ExecSpace>>;
  using Bias = Kokkos::View<float*, DeviceOf<ExecSpace>>;

  // Copies `model`'s weights and scalers to `space`; `max_rows` bounds the rows one forward pass
  // takes (larger inputs run in chunks), and so the activation memory.
  DeviceModel(const Model& model, const ExecSpace& space = ExecSpace(), int max_rows = 4096)
      : net_(model.graph(), 0, space), space_(space), loss_(model.config().loss),
        variance_floor_(float(model.config().variance_floor)), feature_names_(model.feature_names()),
        target_names_(model.target_names()) {
    KYPER_REQUIRE(max_rows > 0, "DeviceModel: max_rows must be positive, got " << max_rows);
    net_.set_parameters(model.parameters());
    net_.reserve(max_rows);
    KYPER_REQUIRE(model.feature_scaler().fitted(), "DeviceModel: the model has not been trained (no scalers)");
    to_device(model.feature_scaler().offset(), feature_offset_, "Kyper::DeviceModel::feature_offset");
    to_device(model.feature_scaler().scale(), feature_scale_, "Kyper::DeviceModel::feature_scale");
    to_device(model.target_scaler().offset(), target_offset_, "Kyper::DeviceModel::target_offset");
    to_device(model.target_scaler().scale(), target_scale_, "Kyper::DeviceModel::target_scale");
    const LinearBaseline& baseline = model.linear_baseline();
    if (baseline.fitted()) {
      baseline_weights_ = Weights("Kyper::DeviceModel::baseline_weights", baseline.inputs(), baseline.outputs());
      baseline_bias_ = Bias("Kyper::DeviceModel::baseline_bias", baseline.outputs());
      auto w = Kokkos::create_mirror_view(baseline_weights_);
      auto b = Kokkos::create_mirror_view(baseline_bias_);
      for (std::size_t i = 0; i < baseline.inputs(); ++i)
        for (std::size_t j = 0; j < baseline.outputs(); ++j) w(i, j) = baseline.weights()[i * baseline.outputs() + j];
      for (std::size_t j = 0; j < baseline.outputs(); ++j) b(j) = baseline.bias()[j];
      Kokkos::deep_copy(baseline_weights_, w);
      Kokkos::deep_copy(baseline_bias_, b);
    }
  }

  int input_width() const { return net_.input_width(); }
  int output_width() const { return net_.output_width(); }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& target_names() const { return target_names_; }
  ExecSpace space() const { return space_; }
  Loss loss() const { return loss_; }

  // x: rows x input_width() features in their own units; y: rows x output_width(). Both rank-2
  // views accessible from ExecSpace (LayoutLeft, LayoutRight or strided). Asynchronous on the
  // instance, like any Kokkos kernel: fence it before reading y elsewhere.
  template <class XView, class YView>
  void predict(const XView& x, const YView& y) {
    static_assert(XView::rank == 2 && YView::rank == 2, "DeviceModel::predict takes rank-2 views");
    static_assert(Kokkos::SpaceAccessibility<ExecSpace, typename XView::memory_space>::accessible &&
                      Kokkos::SpaceAccessibility<ExecSpace, typename YView::memory_space>::accessible,
                  "DeviceModel::predict: the views must be in memory the execution space can access");
    const long rows = long(x.extent(0));
    KYPER_REQUIRE(long(x.extent(1)) == input_width(),
                  "DeviceModel::predict: x has " << x.extent(1) << " columns, the model takes " << input_width());
    KYPER_REQUIRE(long(y.extent(0)) == rows && long(y.extent(1)) == output_width(),
                  "DeviceModel::predict: y is " << y.extent(0) << " x " << y.extent(1) << ", expected " << rows << " x "
                                                << output_width());
    const int chunk = net_.capacity();
    for (long first = 0; first < rows; first += chunk) {
      const int n = int(std::min<long>(chunk, rows - first));
      scale_inputs(x, first, n);
      net_.forward(n, false);
      if (baseline_bias_.extent(0) > 0) add_baseline(n);
      write_outputs(y, first, n);
    }
  }

  // The steps of predict(). Public only because nvcc rejects device lambdas in private member
  // functions; call predict().
  template <class XView>
  void scale_inputs(const XView& x, long first, int n) {
    auto input = net_.input(n);
    const auto offset = feature_offset_, scale = feature_scale_;
    const long cols = input_width();
    Kokkos::parallel_for(
        "Kyper::DeviceModel::scale_inputs", RangeOf<ExecSpace>(space_, 0, long(n) * cols), KOKKOS_LAMBDA(long k) {
          const long r = k / cols, c = k % cols;
          input(r, c) = float((double(float(x(first + r, c))) - offset(c)) / scale(c));
        });
  }

  // The model's least-squares baseline (Model::set_linear_baseline) added to the network's outputs
  // (its first outputs: every target, or a Gaussian head's means), in scaled units, as on the host.
  void add_baseline(int n) {
    const auto input = net_.input(n);
    const auto out = net_.output(n);
    const auto w = baseline_weights_;
    const auto b = baseline_bias_;
    const int inputs = int(w.extent(0)), targets = int(w.extent(1));
    Kokkos::parallel_for(
        "Kyper::DeviceModel::add_baseline", RangeOf<ExecSpace>(space_, 0, long(n) * targets), KOKKOS_LAMBDA(long k) {
          const long r = k / targets;
          const int j = int(k % targets);
          double sum = b(j);
          for (int i = 0; i < inputs; ++i) sum += double(input(r, i)) * double(w(i, j));
          out(r, j) = float(double(out(r, j)) + sum);
        });
  }

  template <class YView>
  void write_outputs(const YView& y, long first, int n) {
    const auto out = net_.output(n);
    const auto offset = target_offset_, scale = target_scale_;
    const int width = output_width();
    const float floor = variance_floor_;
    using YValue = typename YView::non_const_value_type;
    switch (loss_) {
      case Loss::GaussianNLL: {
        const int targets = width / 2;  // the network gives all means, then all raw variances
        Kokkos::parallel_for(
            "Kyper::DeviceModel::gaussian_outputs", RangeOf<ExecSpace>(space_, 0, long(n) * targets),
            KOKKOS_LAMBDA(long k) {
              const long r = k / targets;
              const int j = int(k % targets);
              y(first + r, 2 * j) = YValue(float(out(r, j) * scale(j) + offset(j)));
              y(first + r, 2 * j + 1) = YValue(float(gaussian_variance(out(r, targets + j), floor) * scale(j) * scale(j)));
            });
        break;
      }
      case Loss::SoftmaxCrossEntropy:
        Kokkos::parallel_for(
            "Kyper::DeviceModel::class_probabilities", RangeOf<ExecSpace>(space_, 0, long(n)), KOKKOS_LAMBDA(long r) {
              float max_logit = out(r, 0), total = 0;
              for (int k = 1; k < width; ++k) max_logit = out(r, k) > max_logit ? out(r, k) : max_logit;
              for (int k = 0; k < width; ++k) total += kmath::exp(out(r, k) - max_logit);
              for (int k = 0; k < width; ++k) y(first + r, k) = YValue(kmath::exp(out(r, k) - max_logit) / total);
            });
        break;
      case Loss::BinaryCrossEntropy:
        Kokkos::parallel_for(
            "Kyper::DeviceModel::probabilities", RangeOf<ExecSpace>(space_, 0, long(n) * width), KOKKOS_LAMBDA(long k) {
              y(first + k / width, k % width) = YValue(sigmoid(out(k / width, k % width)));
            });
        break;
      default:
        Kokkos::parallel_for(
            "Kyper::DeviceModel::unscale_outputs", RangeOf<ExecSpace>(space_, 0, long(n) * width),
            KOKKOS_LAMBDA(long k) {
              const long r = k / width;
              const int j = int(k % width);
              y(first + r, j) = YValue(float(out(r, j) * scale(j) + offset(j)));
            });
    }
  }

 private:
  void to_device(const std::vector<double>& host, Vector& device, const char* label) {
    device = Vector(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), host.size());
    auto mirror = Kokkos::create_mirror_view(device);
    for (std::size_t i = 0; i < host.size(); ++i) mirror(i) = host[i];
    Kokkos::deep_copy(device, mirror);  // construction only: predict copies nothing
  }

  Net net_;
  ExecSpace space_;
  Loss loss_;
  float variance_floor_;
  Vector feature_offset_, feature_scale_, target_offset_, target_scale_;
  Weights baseline_weights_;  // empty without a baseline
  Bias baseline_bias_;
  std::vector<std::string> feature_names_, target_names_;
};

}  // namespace kyper
