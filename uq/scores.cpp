#include <kyper/uq/scores.hpp>

#include <algorithm>
#include <cmath>

#include <kyper/error.hpp>

namespace kyper::uq {

namespace {
double mean_negative(const std::vector<double>& log_likelihood) {
  double sum = 0;
  for (double v : log_likelihood) sum -= v;
  return sum / double(log_likelihood.size());
}
}  // namespace

RegressionScores score_regression(const MemberPredictions& p, const float* targets) {
  KYPER_REQUIRE(p.kind == PredictionKind::Gaussian, "regression scores need Gaussian predictions");
  KYPER_REQUIRE(p.rows > 0 && p.members > 0, "regression scores need at least one row and one member");
  RegressionScores s;
  s.nll = mean_negative(mixture_log_likelihood(member_log_likelihood(p, targets), p.weights, p.rows));
  double squared = 0;
  for (long r = 0; r < p.rows; ++r)
    for (int t = 0; t < p.outputs; ++t) {
      const double y = targets[size_t(r) * p.outputs + t];
      const auto mix = p.mixture(r, t);
      const Decomposition d = decompose(mix);
      const double error = d.mean - y;
      squared += error * error;
      s.gaussian_nll += 0.5 * (std::log(2 * M_PI * d.total()) + error * error / d.total());
      s.crps += mixture_crps(y, mix);
      const Interval i68 = central_interval(0.6826894921370859, mix), i95 = central_interval(0.95, mix);
      s.coverage68 += (y >= i68.lower && y <= i68.upper);
      s.coverage95 += (y >= i95.lower && y <= i95.upper);
      s.width68 += i68.upper - i68.lower;
      s.width95 += i95.upper - i95.lower;
      ++s.points;
    }
  const double n = double(s.points);
  s.rmse = std::sqrt(squared / n);
  s.gaussian_nll /= double(p.rows);  // per row, targets jointly, like nll
  s.crps /= n, s.coverage68 /= n, s.coverage95 /= n, s.width68 /= n, s.width95 /= n;
  return s;
}

double expected_calibration_error(const double* probabilities, const float* labels, long rows, int classes,
                                  int bins) {
  KYPER_REQUIRE(rows > 0 && classes >= 2 && bins >= 1, "ECE needs rows, >= 2 classes and >= 1 bin");
  std::vector<double> confidence(size_t(bins), 0.0), correct(size_t(bins), 0.0), count(size_t(bins), 0.0);
  for (long r = 0; r < rows; ++r) {
    const double* row = probabilities + size_t(r) * classes;
    const int top = int(std::max_element(row, row + classes) - row);
    const int bin = std::min(bins - 1, int(row[top] * bins));
    confidence[bin] += row[top];
    correct[bin] += (float(top) == labels[r]);
    count[bin] += 1;
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b)
    if (count[b] > 0) ece += std::abs(correct[b] - confidence[b]) / double(rows);
  return ece;
}

ClassificationScores score_classification(const MemberPredictions& p, const float* labels, int bins) {
  KYPER_REQUIRE(p.kind == PredictionKind::Classes, "classification scores need class probabilities");
  KYPER_REQUIRE(p.rows > 0 && p.members > 0, "classification scores need at least one row and one member");
  ClassificationScores s;
  s.points = p.rows;
  s.nll = mean_negative(mixture_log_likelihood(member_log_likelihood(p, labels), p.weights, p.rows));
  // The mixture's class probabilities, in double (no entropies needed here).
  double total_weight = 0;
  for (double w : p.weights) total_weight += w;
  std::vector<double> probs(size_t(p.rows) * size_t(p.outputs), 0.0);
  for (int m = 0; m < p.members; ++m)
    for (long r = 0; r < p.rows; ++r)
      for (int c = 0; c < p.outputs; ++c)
        probs[size_t(r) * p.outputs + c] += p.weights[m] / total_weight * p.probabilities[p.at(m, r, c)];
  for (long r = 0; r < p.rows; ++r) {
    const double* row = probs.data() + size_t(r) * p.outputs;
    s.accuracy += (float(std::max_element(row, row + p.outputs) - row) == labels[r]);
    for (int c = 0; c < p.outputs; ++c) {
      const double hit = float(c) == labels[r] ? 1 : 0;
      s.brier += (row[c] - hit) * (row[c] - hit);
    }
  }
  s.accuracy /= double(p.rows), s.brier /= double(p.rows);
  s.ece = expected_calibration_error(probs.data(), labels, p.rows, p.outputs, bins);
  return s;
}

}  // namespace kyper::uq
