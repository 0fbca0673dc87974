// Least-squares baseline of a model (see kyper/linear_baseline.hpp).
#include <kyper/linear_baseline.hpp>

#include <kyper/error.hpp>

#include <Eigen/Dense>

#include <cmath>

namespace kyper {

LinearBaseline LinearBaseline::fit(const float* x, const float* y, std::size_t rows, std::size_t inputs,
                                   std::size_t outputs, double ridge) {
  KYPER_REQUIRE(rows > 0 && outputs > 0, "linear baseline: no rows or no targets to fit");
  KYPER_REQUIRE(ridge >= 0 && std::isfinite(ridge), "linear baseline: the ridge must be >= 0, got " << ridge);
  using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> xf(x, Eigen::Index(rows), Eigen::Index(inputs));
  const Eigen::Map<const RowMajor> yf(y, Eigen::Index(rows), Eigen::Index(outputs));
  KYPER_REQUIRE(xf.allFinite(), "linear baseline: a feature value is not finite");
  KYPER_REQUIRE(yf.allFinite(), "linear baseline: a target value is not finite");
  // Centred, so the intercept is the means' difference and the ridge leaves it alone.
  const Eigen::MatrixXd xd = xf.cast<double>(), yd = yf.cast<double>();
  const Eigen::RowVectorXd x_mean = xd.colwise().mean(), y_mean = yd.colwise().mean();
  const Eigen::MatrixXd xc = xd.rowwise() - x_mean, yc = yd.rowwise() - y_mean;
  Eigen::MatrixXd w = Eigen::MatrixXd::Zero(Eigen::Index(inputs), Eigen::Index(outputs));
  if (inputs > 0) {
    Eigen::MatrixXd gram = xc.transpose() * xc;
    // A constant column (all zeros once centred) gets the ridge alone, so the system stays regular.
    const double diagonal = std::max(gram.diagonal().mean(), 1e-30);
    gram.diagonal().array() += std::max(ridge, 1e-12) * diagonal;
    w = gram.ldlt().solve(xc.transpose() * yc);
  }
  const Eigen::RowVectorXd b = y_mean - x_mean * w;
  LinearBaseline baseline;
  baseline.weights_.resize(inputs * outputs);
  baseline.bias_.resize(outputs);
  for (std::size_t i = 0; i < inputs; ++i)
    for (std::size_t j = 0; j < outputs; ++j) baseline.weights_[i * outputs + j] = float(w(Eigen::Index(i), Eigen::Index(j)));
  for (std::size_t j = 0; j < outputs; ++j) baseline.bias_[j] = float(b(Eigen::Index(j)));
  baseline.check_loaded();  // a singular system would give non-finite weights
  return baseline;
}

void LinearBaseline::add_to(const float* x, std::size_t rows, float* out, std::size_t out_stride, float sign) const {
  const std::size_t in = inputs(), n = outputs();
  std::vector<double> row(n);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < n; ++j) row[j] = bias_[j];
    const float* xr = x + r * in;
    for (std::size_t i = 0; i < in; ++i) {
      const double v = xr[i];
      const float* wi = weights_.data() + i * n;
      for (std::size_t j = 0; j < n; ++j) row[j] += v * wi[j];
    }
    float* o = out + r * out_stride;
    for (std::size_t j = 0; j < n; ++j) o[j] = float(double(o[j]) + sign * row[j]);
  }
}

std::vector<int> outputs_not_improved(const float* residual, const float* network, std::size_t rows,
                                      std::size_t targets, std::size_t stride) {
  std::vector<double> with(targets, 0.0), without(targets, 0.0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < targets; ++j) {
      const double left = residual[r * targets + j];
      with[j] += (left - network[r * stride + j]) * (left - network[r * stride + j]);
      without[j] += left * left;
    }
  std::vector<int> columns;
  for (std::size_t j = 0; j < targets; ++j)
    if (!(with[j] < without[j])) columns.push_back(int(j));
  return columns;
}

void LinearBaseline::check_loaded() const {
  KYPER_REQUIRE(bias_.empty() ? weights_.empty() : weights_.size() % bias_.size() == 0,
                "linear baseline: " << weights_.size() << " weights for " << bias_.size() << " outputs");
  for (float v : weights_) KYPER_REQUIRE(std::isfinite(v), "linear baseline: a weight is not finite");
  for (float v : bias_) KYPER_REQUIRE(std::isfinite(v), "linear baseline: an intercept is not finite");
}

}  // namespace kyper
