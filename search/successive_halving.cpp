#include <kyper/search/stopper.hpp>

#include <algorithm>
#include <cmath>

namespace kyper::search {

namespace {
// A trial's value at a rung: its first report at or past the rung's budget.
const Progress* at_rung(const std::vector<Progress>& curve, double rung) {
  for (const auto& p : curve)
    if (p.budget >= rung * (1 - 1e-12)) return &p;
  return nullptr;
}
}  // namespace

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

bool SuccessiveHalvingStopper::should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const {
  const int bracket = bracket_of(trial_id);
  const double previous = curve.size() > 1 ? curve[curve.size() - 2].budget : 0;
  for (double rung : rungs(bracket)) {
    // Only the rungs this report reached for the first time are decided now.
    if (!(curve.back().budget >= rung * (1 - 1e-12) && previous < rung * (1 - 1e-12))) continue;
    const double mine = at_rung(curve, rung)->value;
    long reached = 0, ahead = 0;
    for (const auto& [id, other] : curves_) {
      if (bracket_of(id) != bracket) continue;
      const Progress* p = at_rung(other, rung);
      if (!p) continue;
      ++reached;
      ahead += p->value > mine;
    }
    // ASHA's promotion rule: among the best max(1, n / eta) of the n values at this rung.
    const long keep = std::max<long>(1, long(std::floor(double(reached) / options_.reduction_factor)));
    if (ahead >= keep) return true;
  }
  return false;
}

}  // namespace kyper::search
