#include <kyper/trial.hpp>

#include <cmath>
#include <sstream>

namespace kyper {

TrialOutcome run_trial_guarded(const TrialFunction& function, const search::Configuration& config,
                               const TrialContext& context) {
  TrialOutcome outcome;
  try {
    outcome = function(config, context);
  } catch (const std::exception& e) {
    outcome = TrialOutcome::failure(std::string("exception: ") + e.what());
  } catch (...) {
    outcome = TrialOutcome::failure("exception of unknown type");
  }
  if (outcome.objective && !std::isfinite(*outcome.objective)) {
    std::ostringstream why;
    why << "non-finite objective (" << *outcome.objective << ")";
    outcome.objective.reset();
    outcome.reason = why.str();
  }
  if (context.expired()) {
    std::ostringstream why;
    why << "timeout: ran " << context.elapsed() << " s, limit " << context.timeout_seconds << " s";
    if (outcome.objective) outcome.metadata["objective_at_timeout"] = std::to_string(*outcome.objective);
    outcome.objective.reset();
    outcome.reason = why.str();
  }
  if (!outcome.objective && outcome.reason.empty()) outcome.reason = "no objective returned";
  // The rank that ran it, for the report's per-rank timeline (a trial's own "rank" is kept).
  outcome.metadata.emplace("rank", std::to_string(context.rank));
  return outcome;
}

}  // namespace kyper
