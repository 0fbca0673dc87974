#include <kyper/search/stopper.hpp>

#include <algorithm>
#include <set>

namespace kyper::search {

namespace {
// The median in O(n) (the values are reordered): decisions come at every epoch of every trial.
double median_of(std::vector<double>& values) {
  const std::size_t n = values.size(), mid = n / 2;
  std::nth_element(values.begin(), values.begin() + std::ptrdiff_t(mid), values.end());
  if (n % 2) return values[mid];
  return 0.5 * (*std::max_element(values.begin(), values.begin() + std::ptrdiff_t(mid)) + values[mid]);
}
}  // namespace

bool MedianStopper::should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const {
  const double budget = curve.back().budget;
  if (budget < options_.min_budget) return false;  // grace period
  double mine = curve.front().value;
  for (const auto& p : curve) mine = std::max(mine, p.value);
  // Others that got as far: their best value up to the same budget.
  std::vector<double> others;
  for (const auto& [id, other] : curves_) {
    if (id == trial_id || other.back().budget < budget * (1 - 1e-12)) continue;
    double best = other.front().value;
    for (const auto& p : other)
      if (p.budget <= budget * (1 + 1e-12)) best = std::max(best, p.value);
    others.push_back(best);
  }
  if (int(others.size()) < options_.min_trials) return false;
  return mine < median_of(others);
}

StopDigest MedianStopper::digest() const {
  StopDigest digest;
  digest.maximize = maximize_;
  std::set<double> levels;
  for (const auto& [id, curve] : curves_)
    for (const auto& p : curve) levels.insert(p.budget);
  if (levels.size() > kMaxDigestBudgets) return digest;
  const std::vector<double> budgets(levels.begin(), levels.end());
  // Each trial's best value by each budget it reached, as should_stop() counts it.
  std::vector<std::vector<double>> bests(budgets.size());
  for (const auto& [id, curve] : curves_) {
    double best = curve.front().value;
    std::size_t next = 0;
    for (std::size_t level = 0; level < budgets.size(); ++level) {
      if (curve.back().budget < budgets[level] * (1 - 1e-12)) break;
      for (; next < curve.size() && curve[next].budget <= budgets[level] * (1 + 1e-12); ++next)
        best = std::max(best, curve[next].value);
      bests[level].push_back(best);
    }
  }
  for (std::size_t level = 0; level < budgets.size(); ++level) {
    auto& values = bests[level];
    if (int(values.size()) < options_.min_trials) continue;
    digest.budgets.push_back(budgets[level]);
    digest.values.push_back(median_of(values));
  }
  return digest;
}

// The digest's trials at a budget exclude this one (its report there is newer than the digest), so
// its median is the one should_stop() compares with when nothing has changed since.
bool MedianStopper::continues_by_digest(const StopDigest& digest, std::int64_t, const std::vector<Progress>& curve) const {
  const double budget = curve.back().budget;
  if (budget < options_.min_budget) return true;
  const auto at = std::lower_bound(digest.budgets.begin(), digest.budgets.end(), budget * (1 - 1e-12));
  if (at == digest.budgets.end() || *at > budget * (1 + 1e-12)) return false;  // too few trials there yet
  double mine = curve.front().value;
  for (const auto& p : curve) mine = std::max(mine, p.value);
  return mine >= digest.values[std::size_t(at - digest.budgets.begin())];
}

}  // namespace kyper::search
