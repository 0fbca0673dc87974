#include <kyper/uq/member_predictions.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include <kyper/error.hpp>
#include <kyper/text.hpp>

namespace kyper::uq {

namespace {
constexpr double kPi = 3.14159265358979323846;

bool is_gaussian(const Predictions& p) {
  if (p.columns.empty() || p.columns.size() % 2) return false;
  for (size_t j = 0; j < p.columns.size(); j += 2)
    if (p.columns[j + 1] != p.columns[j] + "_variance") return false;
  return true;
}
bool is_softmax(const Predictions& p) {
  if (p.columns.size() < 2) return false;
  for (size_t k = 0; k < p.columns.size(); ++k)
    if (p.columns[k] != "p_class" + std::to_string(k)) return false;
  return true;
}
bool is_sigmoid(const Predictions& p) { return p.columns.size() == 1 && p.columns[0].rfind("p_", 0) == 0; }

int label_of(float value, long row, int classes) {
  KYPER_REQUIRE(value >= 0 && value < float(classes) && value == std::floor(value),
                "row " << row << ": class label " << value << " is not one of 0.." << classes - 1);
  return int(value);
}
}  // namespace

bool is_distribution(const Predictions& p) { return is_gaussian(p) || is_softmax(p) || is_sigmoid(p); }

PredictionKind kind_of(const Predictions& p) {
  if (is_gaussian(p)) return PredictionKind::Gaussian;
  if (is_softmax(p) || is_sigmoid(p)) return PredictionKind::Classes;
  KYPER_FAIL("predictions with columns [" << join(p.columns)
                                          << "] are not a distribution: ensembles with uncertainty need models "
                                             "trained with task gaussian_regression (mean and variance) or "
                                             "classification");
}

void MemberPredictions::add(const Predictions& p, double weight) {
  KYPER_REQUIRE(weight >= 0 && std::isfinite(weight), "ensemble member weight must be >= 0, got " << weight);
  const PredictionKind k = kind_of(p);
  std::vector<std::string> member_names;
  int width = 0;
  if (k == PredictionKind::Gaussian) {
    width = int(p.columns.size() / 2);
    for (int j = 0; j < width; ++j) member_names.push_back(p.columns[2 * j]);
  } else if (is_sigmoid(p)) {
    width = 2;
    member_names = {p.columns[0] + "_0", p.columns[0] + "_1"};
  } else {
    width = int(p.columns.size());
    member_names = p.columns;
  }
  if (members == 0) {
    kind = k, rows = p.rows, outputs = width, names = member_names;
  } else {
    KYPER_REQUIRE(k == kind && member_names == names && p.rows == rows,
                  "ensemble member " << members << " predicts [" << join(member_names) << "] for " << p.rows
                                     << " rows, the first member [" << join(names) << "] for " << rows << " rows");
  }
  const size_t cols = p.columns.size();
  for (long r = 0; r < rows; ++r)
    for (int j = 0; j < width; ++j) {
      if (k == PredictionKind::Gaussian) {
        mean.push_back(p.values[size_t(r) * cols + 2 * size_t(j)]);
        variance.push_back(p.values[size_t(r) * cols + 2 * size_t(j) + 1]);
      } else if (cols == 1) {
        const double p1 = p.values[size_t(r)];
        probabilities.push_back(j == 0 ? 1 - p1 : p1);
      } else {
        probabilities.push_back(p.values[size_t(r) * cols + size_t(j)]);
      }
    }
  weights.push_back(weight);
  ++members;
}

MemberPredictions MemberPredictions::pick(const std::vector<int>& which, const std::vector<double>& new_weights) const {
  KYPER_REQUIRE(which.size() == new_weights.size(), "pick: " << which.size() << " members, " << new_weights.size()
                                                             << " weights");
  MemberPredictions out;
  out.kind = kind, out.rows = rows, out.outputs = outputs, out.names = names;
  const size_t block = size_t(rows) * size_t(outputs);
  for (size_t i = 0; i < which.size(); ++i) {
    KYPER_REQUIRE(which[i] >= 0 && which[i] < members, "pick: no member " << which[i] << " of " << members);
    const auto from = [&](const std::vector<double>& v) { return v.begin() + long(size_t(which[i]) * block); };
    if (kind == PredictionKind::Gaussian) {
      out.mean.insert(out.mean.end(), from(mean), from(mean) + long(block));
      out.variance.insert(out.variance.end(), from(variance), from(variance) + long(block));
    } else {
      out.probabilities.insert(out.probabilities.end(), from(probabilities), from(probabilities) + long(block));
    }
    out.weights.push_back(new_weights[i]);
    ++out.members;
  }
  return out;
}

std::vector<Component> MemberPredictions::mixture(long row, int target) const {
  std::vector<Component> out(static_cast<size_t>(members));
  for (int m = 0; m < members; ++m) out[m] = {weights[m], mean[at(m, row, target)], variance[at(m, row, target)]};
  return out;
}

std::vector<double> member_log_likelihood(const MemberPredictions& p, const float* targets) {
  std::vector<double> out(size_t(p.members) * size_t(p.rows));
  for (int m = 0; m < p.members; ++m)
    for (long r = 0; r < p.rows; ++r) {
      double ll = 0;
      if (p.kind == PredictionKind::Gaussian) {
        for (int t = 0; t < p.outputs; ++t) {
          const double var = p.variance[p.at(m, r, t)], d = double(targets[size_t(r) * p.outputs + t]) - p.mean[p.at(m, r, t)];
          ll += -0.5 * (std::log(2 * kPi * var) + d * d / var);
        }
      } else {
        ll = std::log(p.probabilities[p.at(m, r, label_of(targets[r], r, p.outputs))]);
      }
      out[size_t(m) * size_t(p.rows) + size_t(r)] = std::isnan(ll) ? -std::numeric_limits<double>::infinity() : ll;
    }
  return out;
}

std::vector<double> mixture_log_likelihood(const std::vector<double>& ll, const std::vector<double>& weights,
                                           long rows) {
  const int members = int(weights.size());
  double sum = 0;
  for (double w : weights) sum += w;
  KYPER_REQUIRE(members > 0 && sum > 0, "mixture needs members with positive total weight");
  std::vector<double> out(static_cast<size_t>(rows));
  for (long r = 0; r < rows; ++r) {
    double best = -std::numeric_limits<double>::infinity();
    for (int m = 0; m < members; ++m)
      if (weights[m] > 0) best = std::max(best, ll[size_t(m) * size_t(rows) + size_t(r)]);
    if (!std::isfinite(best)) {
      out[r] = best;
      continue;
    }
    double acc = 0;
    for (int m = 0; m < members; ++m)
      if (weights[m] > 0) acc += weights[m] / sum * std::exp(ll[size_t(m) * size_t(rows) + size_t(r)] - best);
    out[r] = best + std::log(acc);
  }
  return out;
}

Predictions ensemble_table(const MemberPredictions& p, bool uncertainty) {
  Predictions out;
  out.rows = p.rows;
  if (p.kind == PredictionKind::Gaussian) {
    for (const auto& t : p.names) {
      out.columns.push_back(t + "_mean");
      out.columns.push_back(t + "_variance");
      if (uncertainty)
        for (const char* suffix : {"_aleatoric", "_epistemic", "_lower95", "_upper95"}) out.columns.push_back(t + suffix);
    }
    out.values.reserve(size_t(p.rows) * out.columns.size());
    for (long r = 0; r < p.rows; ++r)
      for (int t = 0; t < p.outputs; ++t) {
        const auto mix = p.mixture(r, t);
        const Decomposition d = decompose(mix);
        out.values.push_back(float(d.mean));
        out.values.push_back(float(d.total()));
        if (!uncertainty) continue;
        const Interval i = central_interval(0.95, mix);
        for (double v : {d.aleatoric, d.epistemic, i.lower, i.upper}) out.values.push_back(float(v));
      }
    return out;
  }
  out.columns = p.names;
  if (uncertainty)
    for (const char* c : {"entropy_total", "entropy_aleatoric", "entropy_epistemic"}) out.columns.push_back(c);
  std::vector<double> member_rows(size_t(p.members) * size_t(p.outputs));
  for (long r = 0; r < p.rows; ++r) {
    for (int m = 0; m < p.members; ++m)
      for (int c = 0; c < p.outputs; ++c) member_rows[size_t(m) * p.outputs + c] = p.probabilities[p.at(m, r, c)];
    const ClassDecomposition d = decompose_classes(member_rows.data(), p.weights.data(), p.members, p.outputs);
    for (double v : d.probabilities) out.values.push_back(float(v));
    if (uncertainty)
      for (double v : {d.total, d.aleatoric, d.epistemic}) out.values.push_back(float(v));
  }
  return out;
}

}  // namespace kyper::uq
