// The classic deep ensemble (Lakshminarayanan et al. 2017) as a baseline for AutoDEUQ: one
// configuration trained k times from different random initialisations.
#pragma once

#include <cstdint>
#include <string>

#include <kyper/builtin_trial.hpp>
#include <kyper/uq/ensemble.hpp>

namespace kyper::uq {

// Trains `config` k times (seeds problem.training.seed + first_seed + i) with the built-in trial,
// keeps the models and validation predictions as a catalogue under `output_dir`, and returns the
// equal-weight ensemble of those that trained. Throws if none did.
Ensemble train_random_init_ensemble(const TrainingProblem& problem, const search::Configuration& config, int k,
                                    const std::string& output_dir, std::int64_t first_seed = 1000000);

}  // namespace kyper::uq
