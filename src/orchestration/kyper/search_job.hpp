// A search job as `kyper search --config search.json` describes it: dataset, task, model and
// training defaults (or a command run per trial), hyperparameter space, algorithm, budget and
// output folder. Unknown keys,
// wrong types and out-of-range values are errors that name the file and the key.
#pragma once

#include <memory>
#include <string>

#include <kyper/builtin_trial.hpp>
#include <kyper/command_trial.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/agebo.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/evolution.hpp>
#include <kyper/search/search.hpp>

namespace kyper {

struct SearchJob {
  std::string config_path;
  // One of the two: the built-in training trial's problem, or a command run per trial ("objective"
  // is an object). trial() makes the trial function of either.
  std::shared_ptr<TrainingProblem> problem;
  std::shared_ptr<CommandObjective> command;
  search::Space space;
  std::string algorithm = "cbo";  // cbo | random | evolution | agebo (needs an architecture)
  search::SearchOptions search_options;
  search::CBOOptions cbo;
  search::EvolutionOptions evolution;
  SchedulerOptions scheduler;

  TrialFunction trial() const { return command ? make_command_trial(*command, space) : make_training_trial(problem); }
};

// Reads and validates a job file; relative paths in it are relative to the file's folder.
SearchJob load_search_job(const std::string& path);

// The job's search for `rank` of `size` ranks (decentralized mode gives each rank its own
// seed and id sequence; centralized mode uses rank 0's only).
std::unique_ptr<search::Search> make_search(const SearchJob& job, int rank = 0, int size = 1);

}  // namespace kyper
