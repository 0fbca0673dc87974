#include <kyper/search/stopper.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace kyper::search {

LearningCurveStopper::Forecast LearningCurveStopper::forecast(const std::vector<Progress>& curve) const {
  const Eigen::Index n = Eigen::Index(curve.size());
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) y[i] = curve[std::size_t(i)].value;
  Forecast best;
  double best_rss = std::numeric_limits<double>::infinity();
  Eigen::Matrix2d best_inverse = Eigen::Matrix2d::Zero();
  Eigen::Vector2d best_coefficients = Eigen::Vector2d::Zero();
  // value(b) = c - a * b^-alpha is linear in (c, a) for a fixed alpha: alpha on a log grid, the
  // rest by least squares, the smallest residual wins.
  for (int g = 0; g < 40; ++g) {
    const double alpha = 0.05 * std::pow(60.0, g / 39.0);  // 0.05 .. 3
    Eigen::MatrixXd X(n, 2);
    for (Eigen::Index i = 0; i < n; ++i) X(i, 0) = 1, X(i, 1) = -std::pow(curve[std::size_t(i)].budget, -alpha);
    const Eigen::Matrix2d gram = X.transpose() * X;
    if (std::abs(gram.determinant()) < 1e-12 * (1 + gram.squaredNorm())) continue;
    const Eigen::Matrix2d inverse = gram.inverse();
    const Eigen::Vector2d coefficients = inverse * (X.transpose() * y);
    const double rss = (y - X * coefficients).squaredNorm();
    if (rss < best_rss) best_rss = rss, best.alpha = alpha, best_inverse = inverse, best_coefficients = coefficients;
  }
  if (!std::isfinite(best_rss)) {  // all budgets equal: no trend to extrapolate
    best.mean = y.mean(), best.sd = std::numeric_limits<double>::infinity();
    return best;
  }
  const Eigen::Vector2d x0(1.0, -std::pow(options_.max_budget, -best.alpha));
  best.mean = x0.dot(best_coefficients);
  const double sigma2 = n > 2 ? best_rss / double(n - 2) : 0.0;
  // The residual noise alone would be overconfident for a nearly exact fit: a floor of 1% of the
  // range the curve covered.
  const double floor = 0.01 * (y.maxCoeff() - y.minCoeff()) + 1e-12;
  best.sd = std::max(std::sqrt(sigma2 * (1 + x0.dot(best_inverse * x0))), floor);
  return best;
}

StopDigest LearningCurveStopper::digest() const {
  StopDigest digest;
  digest.maximize = maximize_;
  std::vector<std::pair<double, std::int64_t>> bests;
  for (const auto& [id, curve] : curves_) {
    double b = curve.front().value;
    for (const auto& p : curve) b = std::max(b, p.value);
    bests.emplace_back(b, id);
  }
  const std::size_t keep = std::min(bests.size(), std::size_t(options_.top_k) + 1);
  std::partial_sort(bests.begin(), bests.begin() + std::ptrdiff_t(keep), bests.end(), std::greater<>());
  for (std::size_t k = 0; k < keep; ++k) {
    digest.values.push_back(bests[k].first);
    digest.trials.push_back(bests[k].second);
  }
  return digest;
}

// The value to beat can only have risen since the digest, so a stale digest may let a trial run on
// for a report or two, never stop one that the current state would not.
bool LearningCurveStopper::continues_by_digest(const StopDigest& digest, std::int64_t trial_id,
                                               const std::vector<Progress>& curve) const {
  if (int(curve.size()) < options_.min_points || curve.back().budget < options_.min_budget) return true;
  std::vector<double> others;
  for (std::size_t k = 0; k < digest.values.size() && k < digest.trials.size(); ++k)
    if (digest.trials[k] != trial_id) others.push_back(digest.values[k]);
  if (int(others.size()) < options_.top_k) return false;  // more trials may have reported since
  std::sort(others.begin(), others.end(), std::greater<>());
  return !stops_against(curve, others[std::size_t(options_.top_k - 1)]);
}

bool LearningCurveStopper::should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const {
  if (int(curve.size()) < options_.min_points || curve.back().budget < options_.min_budget) return false;
  // The value to beat: the top_k-th best value any other trial has reached.
  std::vector<double> bests;
  for (const auto& [id, other] : curves_) {
    if (id == trial_id) continue;
    double b = other.front().value;
    for (const auto& p : other) b = std::max(b, p.value);
    bests.push_back(b);
  }
  if (int(bests.size()) < options_.top_k) return false;
  std::nth_element(bests.begin(), bests.begin() + (options_.top_k - 1), bests.end(), std::greater<double>());
  return stops_against(curve, bests[std::size_t(options_.top_k - 1)]);
}

bool LearningCurveStopper::stops_against(const std::vector<Progress>& curve, double target) const {
  const Forecast f = forecast(curve);
  if (!std::isfinite(f.sd)) return false;
  const double probability = 0.5 * std::erfc((target - f.mean) / (f.sd * std::sqrt(2.0)));
  return probability < options_.min_probability;
}

}  // namespace kyper::search
