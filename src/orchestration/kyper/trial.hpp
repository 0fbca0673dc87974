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

#include <kyper/search/configuration.hpp>
#include <kyper/search/search.hpp>

namespace kyper {

struct TrialContext {
  std::int64_t trial_id = 0;
  int rank = 0;                 // MPI rank running the trial
  std::string output_dir;       // where the trial may write (models, logs)
  double timeout_seconds = 0;   // 0: none
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();

  double elapsed() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); }
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
