#include <kyper/uq/mixture.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include <kyper/error.hpp>

namespace kyper::uq {

namespace {
constexpr double kPi = 3.14159265358979323846;

double total_weight(const std::vector<Component>& mixture) {
  KYPER_REQUIRE(!mixture.empty(), "a mixture needs at least one member");
  double sum = 0;
  for (const auto& c : mixture) {
    KYPER_REQUIRE(c.weight >= 0 && c.variance > 0, "mixture member with weight " << c.weight << " and variance "
                                                                                 << c.variance);
    sum += c.weight;
  }
  KYPER_REQUIRE(sum > 0, "mixture weights sum to 0");
  return sum;
}

double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * kPi); }
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// E|X| for X ~ N(mu, s2): the building block of the Gaussian CRPS.
double abs_moment(double mu, double s2) {
  const double s = std::sqrt(s2), z = mu / s;
  return mu * (2 * normal_cdf(z) - 1) + 2 * s * normal_pdf(z);
}
}  // namespace

Decomposition decompose(const std::vector<Component>& mixture) {
  const double sum = total_weight(mixture);
  Decomposition d;
  for (const auto& c : mixture) d.mean += c.weight / sum * c.mean;
  for (const auto& c : mixture) {
    const double w = c.weight / sum, delta = c.mean - d.mean;
    d.aleatoric += w * c.variance;
    d.epistemic += w * delta * delta;
  }
  return d;
}

double mixture_log_density(double y, const std::vector<Component>& mixture) {
  const double sum = total_weight(mixture);
  // log Σ w_i N(y|μ_i,σ_i²), shifted by the largest term so far-away points do not underflow to -inf.
  double best = -std::numeric_limits<double>::infinity();
  std::vector<double> terms;
  terms.reserve(mixture.size());
  for (const auto& c : mixture) {
    if (c.weight == 0) continue;
    const double d = y - c.mean;
    const double t = std::log(c.weight / sum) - 0.5 * (std::log(2 * kPi * c.variance) + d * d / c.variance);
    terms.push_back(t);
    best = std::max(best, t);
  }
  double acc = 0;
  for (double t : terms) acc += std::exp(t - best);
  return best + std::log(acc);
}

double mixture_cdf(double y, const std::vector<Component>& mixture) {
  const double sum = total_weight(mixture);
  double p = 0;
  for (const auto& c : mixture) p += c.weight / sum * normal_cdf((y - c.mean) / std::sqrt(c.variance));
  return p;
}

double mixture_quantile(double p, const std::vector<Component>& mixture) {
  KYPER_REQUIRE(p > 0 && p < 1, "quantile level must be in (0, 1), got " << p);
  total_weight(mixture);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& c : mixture) {
    const double s = std::sqrt(c.variance);
    lo = std::min(lo, c.mean - 40 * s);
    hi = std::max(hi, c.mean + 40 * s);
  }
  // The CDF is monotone; 200 halvings reach double resolution for any bracket.
  for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, std::abs(lo) + std::abs(hi)); ++i) {
    const double mid = 0.5 * (lo + hi);
    (mixture_cdf(mid, mixture) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Interval central_interval(double level, const std::vector<Component>& mixture) {
  KYPER_REQUIRE(level > 0 && level < 1, "interval level must be in (0, 1), got " << level);
  return {mixture_quantile(0.5 * (1 - level), mixture), mixture_quantile(0.5 * (1 + level), mixture)};
}

double mixture_crps(double y, const std::vector<Component>& mixture) {
  const double sum = total_weight(mixture);
  double first = 0, second = 0;
  for (const auto& a : mixture) {
    first += a.weight / sum * abs_moment(y - a.mean, a.variance);
    for (const auto& b : mixture)
      second += a.weight / sum * b.weight / sum * abs_moment(a.mean - b.mean, a.variance + b.variance);
  }
  return first - 0.5 * second;
}

ClassDecomposition decompose_classes(const double* probabilities, const double* weights, int members, int classes) {
  KYPER_REQUIRE(members >= 1 && classes >= 2, "class mixture needs >= 1 member and >= 2 classes");
  double sum = 0;
  for (int m = 0; m < members; ++m) sum += weights[m];
  KYPER_REQUIRE(sum > 0, "mixture weights sum to 0");
  auto entropy = [classes](const double* p) {
    double h = 0;
    for (int c = 0; c < classes; ++c)
      if (p[c] > 0) h -= p[c] * std::log(p[c]);
    return h;
  };
  ClassDecomposition d;
  d.probabilities.assign(size_t(classes), 0.0);
  for (int m = 0; m < members; ++m) {
    const double w = weights[m] / sum;
    for (int c = 0; c < classes; ++c) d.probabilities[c] += w * probabilities[m * classes + c];
    d.aleatoric += w * entropy(probabilities + m * classes);
  }
  d.total = entropy(d.probabilities.data());
  // Mutual information is ≥ 0 by Jensen; clamp the rounding that can make it -1e-17.
  d.epistemic = std::max(0.0, d.total - d.aleatoric);
  return d;
}

}  // namespace kyper::uq
