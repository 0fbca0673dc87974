// A linear map from a model's (scaled) features to its (scaled) targets, fitted exactly by least
// squares before the network trains, so that the network learns only what the linear map misses:
// prediction = baseline(x) + network(x). LSTNet's "autoregressive highway" with its weights solved
// rather than trained: on smooth, strongly autocorrelated series (lagged features nearly
// collinear) gradient descent never reaches the least-squares fit, and a forecaster that loses to
// linear regression at short horizons is of no use to a simulation code.
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/vector.hpp>

#include <cstddef>
#include <vector>

namespace kyper {

class LinearBaseline {
 public:
  LinearBaseline() = default;

  // Ridge least squares with an intercept: minimises |Y - X W - b|^2 + ridge * mean(diag(Xc'Xc)) |W|^2
  // (Xc: the centred features), solved in double. x: rows x inputs, y: rows x outputs, row-major.
  // Throws kyper::Error when rows == 0 or a value is not finite.
  static LinearBaseline fit(const float* x, const float* y, std::size_t rows, std::size_t inputs,
                            std::size_t outputs, double ridge = 1e-8);

  bool fitted() const { return !bias_.empty(); }
  std::size_t inputs() const { return bias_.empty() ? 0 : weights_.size() / bias_.size(); }
  std::size_t outputs() const { return bias_.size(); }
  const std::vector<float>& weights() const { return weights_; }  // inputs x outputs, row-major
  const std::vector<float>& bias() const { return bias_; }

  // out[r * out_stride + j] += sign * (x[r] W + b)_j for j < outputs(); accumulated in double.
  void add_to(const float* x, std::size_t rows, float* out, std::size_t out_stride, float sign = 1) const;

  template <class Archive>
  void serialize(Archive& archive) {
    archive(cereal::make_nvp("weights", weights_), cereal::make_nvp("bias", bias_));
    if constexpr (Archive::is_loading::value) check_loaded();
  }

 private:
  void check_loaded() const;  // sizes that agree and finite values, whatever the file held

  std::vector<float> weights_, bias_;
};

// The outputs j < targets where `network` (rows x stride, row-major) does not lower the summed
// squared error of `residual` (rows x targets): sum (residual - network)^2 >= sum residual^2.
std::vector<int> outputs_not_improved(const float* residual, const float* network, std::size_t rows,
                                      std::size_t targets, std::size_t stride);

}  // namespace kyper
