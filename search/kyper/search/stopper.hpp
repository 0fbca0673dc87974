// Stoppers end hopeless trials early (multi-fidelity search). A running trial reports its
// objective after each unit of budget it used (the built-in trial: after each epoch); the stopper
// records it and says whether the trial should stop now. Reports of trials run elsewhere (other
// ranks of a decentralized search) are recorded with observe() so every rank decides with the
// same table. Budgets of one trial must increase; values are objectives in the search's direction.
//
//   successive halving (ASHA, Li et al. 2020): rungs at min_budget * eta^k up to max_budget; a
//     trial reaching a rung continues only if its value is among the best max(1, n / eta) of the
//     n values recorded at that rung so far (its own included).
//   hyperband: successive halving in brackets whose first rung is min_budget * eta^s
//     (s = 0 .. s_max); a trial's bracket is a hash of its id modulo the number of brackets, the
//     same on every rank and after a resume.
//   median: after a grace budget, stop a trial whose best value so far is below the median of the
//     best values that at least min_trials other trials had reached by the same budget.
//   learning curve: fits value(b) = c - a * b^(-alpha) (a saturating power law; alpha on a grid,
//     c and a by least squares) to the trial's reports and stops it when the probability that its
//     value at max_budget beats the top_k-th best value reached so far by any trial is below
//     min_probability (a Gaussian predictive distribution from the linear fit at the best alpha).
#pragma once

#include <kyper/binary_archive.hpp>

#include <cereal/archives/binary.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace kyper::search {

struct StopperOptions {
  std::string kind = "none";  // none | asha | hyperband | median | lce
  double min_budget = 1;      // asha/hyperband: first rung; median/lce: grace budget
  double max_budget = 100;    // the full budget of a trial (e.g. the epochs)
  double reduction_factor = 3;  // asha/hyperband: eta
  int min_trials = 3;         // median: other trials needed at a budget before it stops any
  int top_k = 1;              // lce: the value to beat is the top_k-th best reached so far
  double min_probability = 0.05;  // lce: stop below this probability of beating it
  int min_points = 3;         // lce: reports needed before a fit
};

// A report, as recorded (and written to checkpoints and shared between ranks).
struct Progress {
  double budget = 0;
  double value = 0;
};

// What a rank running one trial needs to know of the other trials' curves to tell by itself that a
// report will not stop its trial, so it need not wait for the deciding rank (centralized search).
// Made by the deciding rank's Stopper::digest(); empty when the stopper has none (asha, hyperband)
// or could not tell. A digest older than the stopper's state can only delay a stop: a rank acts
// on it alone when it says "continues", and asks otherwise.
struct StopDigest {
  bool maximize = true;
  std::vector<double> budgets;        // median: budgets at least min_trials trials had reached
  std::vector<double> values;         // median: the median best value by each of those budgets;
                                      // lce: the best values of the top_k + 1 trials
  std::vector<std::int64_t> trials;   // lce: whose values those are
  bool empty() const { return values.empty(); }
};

class Stopper {
 public:
  Stopper(const StopperOptions& options, bool maximize);
  virtual ~Stopper() = default;

  // Records the report of one of this process's trials; true when the trial should stop now
  // (never at max_budget: the trial is finished then).
  // Throws kyper::Error for a budget that does not increase, is not positive, or passes
  // max_budget, and for a value that is not finite.
  bool report(std::int64_t trial_id, double budget, double value);
  // Records a report of a trial decided elsewhere (another rank), without deciding.
  void observe(std::int64_t trial_id, double budget, double value);
  // Whether the stopper stopped this trial (recorded when report() said so).
  bool stopped(std::int64_t trial_id) const { return stopped_.count(trial_id) > 0; }
  // Whether report number `reports` (from 1) of a trial, at `budget` after one at `previous_budget`
  // (0 for none), can stop it, by the options alone: never at max_budget; asha and hyperband only
  // where it first reaches a rung, median past its grace budget, lce past its grace budget with
  // min_points reports. A rank that knows a report cannot stop its trial sends it without waiting
  // for the decision (report() returns false for it whatever the other curves are).
  bool may_stop(std::int64_t trial_id, double previous_budget, double budget, std::size_t reports) const;
  // The checks of one report that report() and observe() make, given the trial's previous budget (0
  // for none): throws kyper::Error naming the trial (see report()).
  void check_report(std::int64_t trial_id, double previous_budget, double budget, double value) const;
  // The digest of every curve recorded so far (values in the stopper's internal direction).
  virtual StopDigest digest() const { return {}; }
  // Whether, by `digest`, the last report of `curve` (one trial's reports, objectives as reported,
  // made after the digest) cannot stop the trial: true only where report() on the stopper the
  // digest came from would have said "continue". Needs only the options, like may_stop().
  bool continues_by(const StopDigest& digest, std::int64_t trial_id, const std::vector<Progress>& curve) const;
  // Reports recorded so far (report() and observe()): a digest made at the same count is current.
  std::size_t reports_recorded() const { return reports_recorded_; }

  const StopperOptions& options() const { return options_; }
  const std::map<std::int64_t, std::vector<Progress>>& curves() const { return curves_; }
  virtual std::string name() const = 0;

  void save(cereal::BinaryOutputArchive& archive) const;
  // Reads through the checked archive, as every binary reader does: a corrupt length is an error.
  void load(CheckedBinaryInputArchive& archive);

 protected:
  // The decision for a trial whose report was just recorded (values in maximise direction).
  virtual bool should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const = 0;
  // Called after each report is recorded (curve[report] is the new one), and for every report
  // again, in order, after load() (which first calls clear_index()): lets a stopper keep its own
  // index of the curves.
  virtual void recorded(std::int64_t /*trial_id*/, const std::vector<Progress>& /*curve*/, std::size_t /*report*/) {}
  virtual void clear_index() {}
  // may_stop() below max_budget: whether should_stop could say yes to this report.
  virtual bool may_decide(std::int64_t /*trial_id*/, double /*previous_budget*/, double /*budget*/,
                          std::size_t /*reports*/) const {
    return true;
  }
  // continues_by() for a curve in the internal direction and a non-empty digest.
  virtual bool continues_by_digest(const StopDigest& /*digest*/, std::int64_t /*trial_id*/,
                                   const std::vector<Progress>& /*curve*/) const {
    return false;
  }
  // Internal value: larger is better.
  double better(double value) const { return maximize_ ? value : -value; }

  StopperOptions options_;
  bool maximize_;
  std::map<std::int64_t, std::vector<Progress>> curves_;  // values already in maximise direction

 private:
  void record(std::int64_t trial_id, double budget, double value);
  std::set<std::int64_t> stopped_;  // trials report() told to stop
  std::size_t reports_recorded_ = 0;
};

class SuccessiveHalvingStopper : public Stopper {
 public:
  SuccessiveHalvingStopper(const StopperOptions& options, bool maximize, int brackets = 1);
  std::string name() const override { return brackets_ > 1 ? "hyperband" : "asha"; }
  // The rung budgets of bracket `bracket`.
  std::vector<double> rungs(int bracket) const;
  int brackets() const { return brackets_; }
  int bracket_of(std::int64_t trial_id) const;

 protected:
  bool should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const override;
  bool may_decide(std::int64_t trial_id, double previous_budget, double budget, std::size_t reports) const override;
  void recorded(std::int64_t trial_id, const std::vector<Progress>& curve, std::size_t report) override;
  void clear_index() override { rung_values_.clear(); }

 private:
  int brackets_;
  // The values at each rung, sorted, by (bracket, rung index): a decision counts the values above
  // a trial's in O(log n) instead of reading every curve.
  std::map<std::pair<int, std::size_t>, std::vector<double>> rung_values_;
};

class MedianStopper : public Stopper {
 public:
  using Stopper::Stopper;
  std::string name() const override { return "median"; }
  // The median of the best values by each budget that min_trials trials have reached (at most
  // kMaxDigestBudgets distinct budgets; past that, empty: every decision is asked for).
  StopDigest digest() const override;
  static constexpr std::size_t kMaxDigestBudgets = 4096;

 protected:
  bool should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const override;
  bool may_decide(std::int64_t, double, double budget, std::size_t) const override {
    return budget >= options_.min_budget;
  }
  bool continues_by_digest(const StopDigest& digest, std::int64_t trial_id,
                           const std::vector<Progress>& curve) const override;
};

class LearningCurveStopper : public Stopper {
 public:
  using Stopper::Stopper;
  std::string name() const override { return "lce"; }

  struct Forecast {
    double mean = 0, sd = 0;  // predictive distribution of the value at max_budget (internal direction)
    double alpha = 0;         // the fitted exponent
  };
  // Fits the power law to a curve (internal direction); needs >= 2 points.
  Forecast forecast(const std::vector<Progress>& curve) const;
  // The best values of the top_k + 1 trials (whichever trial asks, top_k others remain).
  StopDigest digest() const override;

 protected:
  bool should_stop(std::int64_t trial_id, const std::vector<Progress>& curve) const override;
  bool continues_by_digest(const StopDigest& digest, std::int64_t trial_id,
                           const std::vector<Progress>& curve) const override;
  bool may_decide(std::int64_t, double, double budget, std::size_t reports) const override {
    return long(reports) >= options_.min_points && budget >= options_.min_budget;
  }

 private:
  // Whether the curve's forecast beats `target` with a probability below min_probability.
  bool stops_against(const std::vector<Progress>& curve, double target) const;
};

// The stopper `options.kind` names; nullptr for "none". Throws kyper::Error for an unknown kind or
// out-of-range options (min_budget > 0, max_budget >= min_budget, reduction_factor > 1, ...).
std::unique_ptr<Stopper> make_stopper(const StopperOptions& options, bool maximize);

}  // namespace kyper::search
