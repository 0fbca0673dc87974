#include <kyper/random_init_ensemble.hpp>

#include <cmath>
#include <memory>

#include <kyper/error.hpp>

namespace kyper::uq {

Ensemble train_random_init_ensemble(const TrainingProblem& problem, const search::Configuration& config, int k,
                                    const std::string& output_dir, std::int64_t first_seed) {
  KYPER_REQUIRE(k >= 1, "random-init ensemble size must be >= 1, got " << k);
  auto kept = std::make_shared<TrainingProblem>(problem);
  kept->save_models = true;
  // The K members differ only in their seed: they train together, one launch per step for all
  // (one after the other on a one-thread host, where that is faster).
  std::vector<TrialContext> contexts(k);
  for (int i = 0; i < k; ++i) {
    contexts[i].trial_id = first_seed + i;  // the trial derives its seed from its id
    contexts[i].output_dir = output_dir;
  }
  const std::vector<TrialOutcome> outcomes = run_training_trials_together(kept, config, contexts);
  std::vector<EnsembleMember> members;
  std::string failures;
  for (int i = 0; i < k; ++i) {
    if (!outcomes[i].objective) {
      failures += "\n  seed " + std::to_string(first_seed + i) + ": " + outcomes[i].reason;
      continue;
    }
    members.push_back({catalogue_model_path(output_dir, contexts[i].trial_id), 1.0 / k, contexts[i].trial_id});
  }
  KYPER_REQUIRE(!members.empty(), "random-init ensemble: no member trained" << failures);
  // Score the ensemble on the validation rows the members were written with.
  Catalogue catalogue = load_catalogue(output_dir);
  std::vector<int> which;
  std::vector<double> weights;
  for (const auto& m : members)
    for (size_t e = 0; e < catalogue.entries.size(); ++e)
      if (m.trial == catalogue.entries[e].trial) which.push_back(int(e)), weights.push_back(m.weight);
  const MemberPredictions validation = catalogue.validation.pick(which, weights);
  double nll = 0;
  for (double v : mixture_log_likelihood(member_log_likelihood(validation, catalogue.targets.data()),
                                         validation.weights, validation.rows))
    nll -= v;
  return Ensemble(std::move(members), "random-init", nll / double(validation.rows));
}

}  // namespace kyper::uq
