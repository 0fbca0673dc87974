#include <kyper/search/stopper.hpp>

#include <algorithm>

namespace kyper::search {

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
  std::sort(others.begin(), others.end());
  const std::size_t n = others.size();
  const double median = n % 2 ? others[n / 2] : 0.5 * (others[n / 2 - 1] + others[n / 2]);
  return mine < median;
}

}  // namespace kyper::search
