#include <kyper/search/stopper.hpp>

#include <algorithm>
#include <cmath>

namespace kyper::search {

SuccessiveHalvingStopper::SuccessiveHalvingStopper(const StopperOptions& options, bool maximize, int brackets)
    : Stopper(options, maximize), brackets_(brackets < 1 ? 1 : brackets) {}

int SuccessiveHalvingStopper::bracket_of(std::int64_t trial_id) const {
  // splitmix64: ids of one rank (r, r + P, r + 2P, ...) spread over every bracket.
  std::uint64_t z = std::uint64_t(trial_id) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return int((z ^ (z >> 31)) % std::uint64_t(brackets_));
}

std::vector<double> SuccessiveHalvingStopper::rungs(int bracket) const {
  // Decision points below the full budget: a trial at max_budget is finished, not stopped.
  std::vector<double> out;
  for (double r = options_.min_budget * std::pow(options_.reduction_factor, bracket);
       r < options_.max_budget * (1 - 1e-12); r *= options_.reduction_factor)
    out.push_back(r);
  return out;
}

namespace {
// Whether report k of `curve` is the trial's first at or past `rung` (its value at that rung).
bool first_at(const std::vector<Progress>& curve, std::size_t k, double rung) {
  const double threshold = rung * (1 - 1e-12);
  return curve[k].budget >= threshold && (k == 0 || curve[k - 1].budget < threshold);
}
}  // namespace

void SuccessiveHalvingStopper::recorded(std::int64_t trial_id, const std::vector<Progress>& curve, std::size_t report) {
  const int bracket = bracket_of(trial_id);
  const std::vector<double> budgets = rungs(bracket);
  for (std::size_t r = 0; r < budgets.size(); ++r) {
    if (!first_at(curve, report, budgets[r])) continue;
    auto& values = rung_values_[{bracket, r}];
    values.insert(std::upper_bound(values.begin(), values.end(), curve[report].value), curve[report].value);
  }
}

bool SuccessiveHalvingStopper::may_decide(std::int64_t trial_id, double previous_budget, double budget,
                                          std::size_t /*reports*/) const {
  for (double rung : rungs(bracket_of(trial_id))) {
    const double threshold = rung * (1 - 1e-12);  // first_at's test, for a report not yet recorded
    if (budget >= threshold && previous_budget < threshold) return true;
  }
  return false;
}

bool SuccessiveHalvingStopper::should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const {
  const int bracket = bracket_of(trial_id);
  const std::vector<double> budgets = rungs(bracket);
  for (std::size_t r = 0; r < budgets.size(); ++r) {
    // Only the rungs this report reached for the first time are decided now.
    if (!first_at(curve, curve.size() - 1, budgets[r])) continue;
    const double mine = curve.back().value;
    const auto& values = rung_values_.at({bracket, r});  // the trial's own value is in it
    const long reached = long(values.size());
    const long ahead = long(values.end() - std::upper_bound(values.begin(), values.end(), mine));
    // ASHA's promotion rule: among the best max(1, n / eta) of the n values at this rung.
    const long keep = std::max<long>(1, long(std::floor(double(reached) / options_.reduction_factor)));
    if (ahead >= keep) return true;
  }
  return false;
}

}  // namespace kyper::search
