#include <kyper/error.hpp>
#include <kyper/search/stopper.hpp>

#include <cereal/types/map.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/vector.hpp>

#include <cmath>

namespace kyper::search {

template <class Archive>
void serialize(Archive& archive, Progress& p) {
  archive(p.budget, p.value);
}

Stopper::Stopper(const StopperOptions& options, bool maximize) : options_(options), maximize_(maximize) {}

void Stopper::check_report(std::int64_t trial_id, double previous_budget, double budget, double value) const {
  KYPER_REQUIRE(std::isfinite(value), "trial " << trial_id << " reported a value that is not a number (" << value
                                                << ") at budget " << budget);
  KYPER_REQUIRE(std::isfinite(budget) && budget > 0,
                "trial " << trial_id << " reported budget " << budget << "; budgets must be positive");
  KYPER_REQUIRE(budget <= options_.max_budget * (1 + 1e-12),
                "trial " << trial_id << " reported budget " << budget << ", past the maximum budget "
                         << options_.max_budget);
  KYPER_REQUIRE(previous_budget <= 0 || budget > previous_budget,
                "trial " << trial_id << " reported budget " << budget << " after budget " << previous_budget
                         << "; budgets must increase");
}

bool Stopper::may_stop(std::int64_t trial_id, double previous_budget, double budget, std::size_t reports) const {
  return budget < options_.max_budget * (1 - 1e-12) && may_decide(trial_id, previous_budget, budget, reports);
}

void Stopper::record(std::int64_t trial_id, double budget, double value) {
  auto& curve = curves_[trial_id];
  try {
    check_report(trial_id, curve.empty() ? 0 : curve.back().budget, budget, value);
  } catch (...) {
    if (curve.empty()) curves_.erase(trial_id);  // a rejected first report leaves no curve behind
    throw;
  }
  curve.push_back({budget, better(value)});
  ++reports_recorded_;
  recorded(trial_id, curve, curve.size() - 1);
}

bool Stopper::report(std::int64_t trial_id, double budget, double value) {
  record(trial_id, budget, value);
  // A trial at its full budget is finished, not stopped.
  if (budget >= options_.max_budget * (1 - 1e-12)) return false;
  const bool stop = should_stop(trial_id, curves_[trial_id]);
  if (stop) stopped_.insert(trial_id);
  return stop;
}

void Stopper::observe(std::int64_t trial_id, double budget, double value) { record(trial_id, budget, value); }

bool Stopper::continues_by(const StopDigest& digest, std::int64_t trial_id, const std::vector<Progress>& curve) const {
  if (curve.empty()) return false;
  if (!may_stop(trial_id, curve.size() > 1 ? curve[curve.size() - 2].budget : 0, curve.back().budget, curve.size()))
    return true;
  if (digest.empty()) return false;
  std::vector<Progress> internal(curve);
  for (auto& p : internal) p.value = digest.maximize ? p.value : -p.value;
  return continues_by_digest(digest, trial_id, internal);
}

void Stopper::save(cereal::BinaryOutputArchive& archive) const { archive(curves_, stopped_); }

void Stopper::load(CheckedBinaryInputArchive& archive) {
  std::map<std::int64_t, std::vector<Progress>> curves;
  std::set<std::int64_t> stopped;
  archive(curves, stopped);
  curves_ = std::move(curves);
  stopped_ = std::move(stopped);
  reports_recorded_ = 0;
  for (const auto& [id, curve] : curves_) reports_recorded_ += curve.size();
  clear_index();
  for (const auto& [id, curve] : curves_)
    for (std::size_t k = 0; k < curve.size(); ++k) recorded(id, curve, k);
}

std::unique_ptr<Stopper> make_stopper(const StopperOptions& o, bool maximize) {
  if (o.kind == "none") return nullptr;
  KYPER_REQUIRE(o.min_budget > 0 && std::isfinite(o.min_budget), "stopper: min_budget must be > 0, got " << o.min_budget);
  KYPER_REQUIRE(o.max_budget >= o.min_budget && std::isfinite(o.max_budget),
                "stopper: max_budget must be >= min_budget (" << o.min_budget << "), got " << o.max_budget);
  if (o.kind == "asha" || o.kind == "hyperband") {
    KYPER_REQUIRE(o.reduction_factor > 1 && o.reduction_factor <= 100,
                  "stopper: reduction_factor must be in (1, 100], got " << o.reduction_factor);
    int brackets = 1;
    if (o.kind == "hyperband")
      brackets = 1 + int(std::floor(std::log(o.max_budget / o.min_budget) / std::log(o.reduction_factor) + 1e-9));
    return std::make_unique<SuccessiveHalvingStopper>(o, maximize, brackets);
  }
  if (o.kind == "median") {
    KYPER_REQUIRE(o.min_trials >= 1, "stopper: min_trials must be >= 1, got " << o.min_trials);
    return std::make_unique<MedianStopper>(o, maximize);
  }
  if (o.kind == "lce") {
    KYPER_REQUIRE(o.top_k >= 1, "stopper: top_k must be >= 1, got " << o.top_k);
    KYPER_REQUIRE(o.min_probability > 0 && o.min_probability < 1,
                  "stopper: min_probability must be in (0, 1), got " << o.min_probability);
    KYPER_REQUIRE(o.min_points >= 3, "stopper: min_points must be >= 3, got " << o.min_points);
    return std::make_unique<LearningCurveStopper>(o, maximize);
  }
  KYPER_FAIL("stopper: unknown kind '" << o.kind << "' (valid: none, asha, hyperband, median, lce)");
}

}  // namespace kyper::search
