// An ensemble living on an execution space: every member a DeviceModel, and the mixture's mean and
// its aleatoric/epistemic split computed on the device, on views the caller has in that space's
// memory (any rank-2 layout). Load ensemble.json once, then predict per time step of a simulation
// with no host copies.
//
//   kyper::uq::Ensemble manifest = kyper::uq::Ensemble::load("ensemble.json");
//   kyper::uq::DeviceEnsemble<Kokkos::DefaultExecutionSpace> ensemble(manifest, exec);
//   ensemble.predict(x, y);   // y: rows x output_width()
//
// Regression (Gaussian members), per target, 4 columns: mean, total variance, aleatoric variance
// (weighted mean of the members' variances), epistemic variance (weighted variance of their means);
// total = aleatoric + epistemic, in the target's squared units. Classification (softmax or sigmoid
// members), the mixture's class probabilities then 3 columns of entropy in nats: total, aleatoric
// (expected entropy), epistemic (mutual information). Both as decompose()/decompose_classes() on
// the host. The 95% interval (mixture quantiles) is a host-side computation: Ensemble::predict.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <Kokkos_Core.hpp>
#include <kyper/device_model.hpp>
#include <kyper/error.hpp>
#include <kyper/uq/ensemble.hpp>

namespace kyper::uq {

template <class ExecSpace = Kokkos::DefaultExecutionSpace>
class DeviceEnsemble {
 public:
  enum class Kind { Gaussian, Softmax, Sigmoid };

  // Loads the members' models and copies them to `space`; `max_rows` bounds the rows per pass.
  DeviceEnsemble(Ensemble& ensemble, const ExecSpace& space = ExecSpace(), int max_rows = 4096)
      : space_(space), chunk_(max_rows) {
    KYPER_REQUIRE(max_rows > 0, "DeviceEnsemble: max_rows must be positive, got " << max_rows);
    const auto& members = ensemble.members();
    double weight_sum = 0;
    for (const auto& m : members) weight_sum += m.weight;
    auto weights_host = Kokkos::View<double*, Kokkos::HostSpace>("Kyper::DeviceEnsemble::weights_host", members.size());
    models_.reserve(members.size());
    for (std::size_t i = 0; i < members.size(); ++i) {
      models_.emplace_back(Model::load(members[i].model_path), space, max_rows);
      weights_host(i) = members[i].weight / weight_sum;
    }
    const Loss loss = models_[0].loss();
    for (std::size_t i = 1; i < models_.size(); ++i)
      KYPER_REQUIRE(models_[i].output_width() == models_[0].output_width() &&
                        models_[i].feature_names() == models_[0].feature_names(),
                    "ensemble member " << members[i].model_path << " predicts other columns than " << members[0].model_path);
    member_width_ = models_[0].output_width();
    if (loss == Loss::GaussianNLL) {
      kind_ = Kind::Gaussian;
      targets_ = member_width_ / 2;
    } else if (loss == Loss::SoftmaxCrossEntropy) {
      kind_ = Kind::Softmax;
      classes_ = member_width_;
    } else if (loss == Loss::BinaryCrossEntropy && member_width_ == 1) {
      kind_ = Kind::Sigmoid;
      classes_ = 2;
    } else {
      KYPER_FAIL("DeviceEnsemble: members trained with loss " << kyper::to_string(loss)
                                                              << " have no predictive distribution to mix (train with "
                                                                 "gaussian_nll, cross_entropy or binary_cross_entropy)");
    }
    weights_ = Kokkos::View<double*, DeviceOf<ExecSpace>>("Kyper::DeviceEnsemble::weights", members.size());
    Kokkos::deep_copy(weights_, weights_host);
    outputs_ = Kokkos::View<float***, Kokkos::LayoutRight, DeviceOf<ExecSpace>>("Kyper::DeviceEnsemble::member_outputs",
                                                                               models_.size(), max_rows, member_width_);
  }

  int members() const { return int(models_.size()); }
  int input_width() const { return models_[0].input_width(); }
  int output_width() const { return kind_ == Kind::Gaussian ? 4 * targets_ : classes_ + 3; }
  const std::vector<std::string>& feature_names() const { return models_[0].feature_names(); }

  // x: rows x input_width(); y: rows x output_width(). Asynchronous on the instance.
  template <class XView, class YView>
  void predict(const XView& x, const YView& y) {
    const long rows = long(x.extent(0));
    KYPER_REQUIRE(long(y.extent(0)) == rows && long(y.extent(1)) == output_width(),
                  "DeviceEnsemble::predict: y is " << y.extent(0) << " x " << y.extent(1) << ", expected " << rows
                                                   << " x " << output_width());
    for (long first = 0; first < rows; first += chunk_) {
      const long n = std::min<long>(chunk_, rows - first);
      const auto rows_range = Kokkos::make_pair(first, first + n);
      for (std::size_t m = 0; m < models_.size(); ++m)
        models_[m].predict(Kokkos::subview(x, rows_range, Kokkos::ALL()),
                           Kokkos::subview(outputs_, m, Kokkos::make_pair(0L, n), Kokkos::ALL()));
      if (kind_ == Kind::Gaussian) mix_gaussians(y, first, n);
      else mix_classes(y, first, n);
    }
  }

  // The steps of predict(). Public only because nvcc rejects device lambdas in private member
  // functions; call predict().
  template <class YView>
  void mix_gaussians(const YView& y, long first, long n) {
    const auto out = outputs_;
    const auto w = weights_;
    const int members = int(models_.size()), targets = targets_;
    using YValue = typename YView::non_const_value_type;
    Kokkos::parallel_for(
        "Kyper::DeviceEnsemble::mix_gaussians", RangeOf<ExecSpace>(space_, 0, n * targets), KOKKOS_LAMBDA(long k) {
          const long r = k / targets;
          const int j = int(k % targets);
          double mean = 0, aleatoric = 0, epistemic = 0;
          for (int m = 0; m < members; ++m) mean += w(m) * out(m, r, 2 * j);
          for (int m = 0; m < members; ++m) {
            const double delta = out(m, r, 2 * j) - mean;
            aleatoric += w(m) * out(m, r, 2 * j + 1);
            epistemic += w(m) * delta * delta;
          }
          y(first + r, 4 * j) = YValue(mean);
          y(first + r, 4 * j + 1) = YValue(aleatoric + epistemic);
          y(first + r, 4 * j + 2) = YValue(aleatoric);
          y(first + r, 4 * j + 3) = YValue(epistemic);
        });
  }

  template <class YView>
  void mix_classes(const YView& y, long first, long n) {
    const auto out = outputs_;
    const auto w = weights_;
    const int members = int(models_.size()), classes = classes_;
    const bool sigmoid_members = kind_ == Kind::Sigmoid;
    using YValue = typename YView::non_const_value_type;
    Kokkos::parallel_for(
        "Kyper::DeviceEnsemble::mix_classes", RangeOf<ExecSpace>(space_, 0, n), KOKKOS_LAMBDA(long r) {
          // p(m, c): member m's probability of class c (a sigmoid member gives class 1's).
          auto p = [&](int m, int c) -> double {
            return sigmoid_members ? (c == 1 ? out(m, r, 0) : 1.0 - out(m, r, 0)) : out(m, r, c);
          };
          double total = 0, aleatoric = 0;
          for (int m = 0; m < members; ++m) {
            double entropy = 0;
            for (int c = 0; c < classes; ++c)
              if (p(m, c) > 0) entropy -= p(m, c) * kmath::log(p(m, c));
            aleatoric += w(m) * entropy;
          }
          for (int c = 0; c < classes; ++c) {
            double mixed = 0;
            for (int m = 0; m < members; ++m) mixed += w(m) * p(m, c);
            y(first + r, c) = YValue(mixed);
            if (mixed > 0) total -= mixed * kmath::log(mixed);
          }
          const double epistemic = total - aleatoric;  // mutual information, >= 0 up to rounding
          y(first + r, classes) = YValue(total);
          y(first + r, classes + 1) = YValue(aleatoric);
          y(first + r, classes + 2) = YValue(epistemic > 0 ? epistemic : 0.0);
        });
  }

 private:
  ExecSpace space_;
  long chunk_;
  std::vector<DeviceModel<ExecSpace>> models_;
  Kokkos::View<double*, DeviceOf<ExecSpace>> weights_;
  Kokkos::View<float***, Kokkos::LayoutRight, DeviceOf<ExecSpace>> outputs_;
  Kind kind_ = Kind::Gaussian;
  int member_width_ = 0, targets_ = 0, classes_ = 0;
};

}  // namespace kyper::uq
