// What a trial is to the scheduler: a function from a configuration to an objective (or a
// failure with its reason) plus metadata. Users register their own; Kyper ships "train this
// model on this dataset" (see builtin_trial.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <kyper/node_local.hpp>
#include <kyper/search/configuration.hpp>
#include <kyper/search/search.hpp>

namespace kyper {

struct TrialContext {
  std::int64_t trial_id = 0;
  int rank = 0;                 // MPI rank running the trial
  int local_rank = 0;           // its rank among the ranks on its node (node_local.hpp)
  int device = -1;              // the GPU of that rank: local_rank modulo the node's GPUs; -1: none
  std::string output_dir;       // where the trial may write (models, logs)
  double timeout_seconds = 0;   // 0: none
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  // Set by the scheduler when the search has a stopper (SchedulerOptions::stopper).
  std::function<bool(double budget, double value)> reporter;

  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
  // Multi-fidelity: reports the objective after `budget` units of work (the built-in trial: after
  // each epoch, budget = epochs so far). True when the search's stopper says the trial is hopeless:
  // it should then return at once, with its current objective; the scheduler records it as stopped
  // early (m:budget, m:stopped_early), not as failed. Budgets must increase; a NaN value or a
  // budget past the stopper's max_budget throws kyper::Error. Without a stopper: always false.
  bool report(double budget, double value) const { return reporter ? reporter(budget, value) : false; }
  // Cooperative deadline: long trials poll this and stop early (C++ cannot safely preempt a
  // thread that is inside Kokkos kernels).
  bool expired() const { return timeout_seconds > 0 && elapsed() > timeout_seconds; }
};

// What a trial function returns (search::Outcome says how it relates to Result and Observation).
struct TrialOutcome : search::Outcome {
  static TrialOutcome success(double objective) {
    TrialOutcome o;
    o.objective = objective;
    return o;
  }
  static TrialOutcome failure(std::string why) {
    TrialOutcome o;
    o.reason = std::move(why);
    return o;
  }
};

using TrialFunction = std::function<TrialOutcome(const search::Configuration&, const TrialContext&)>;

// Runs `function` and turns every way a trial can go wrong into a failed outcome with its reason:
// an exception, a NaN/inf objective, or finishing past the timeout.
TrialOutcome run_trial_guarded(const TrialFunction& function, const search::Configuration& config,
                               const TrialContext& context);

}  // namespace kyper
