// The built-in trial: "train this model on this dataset with these hyperparameters". A
// configuration's values override the problem's defaults by name (learning_rate, batch_size,
// epochs, optimizer, weight_decay, momentum, patience, clip_norm, num_layers, units, units_<i>,
// activation, dropout); the objective is to be maximised (DeepHyper's convention).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <kyper/dataset.hpp>
#include <kyper/graph.hpp>
#include <kyper/nas_space.hpp>
#include <kyper/scaler.hpp>
#include <kyper/search/space.hpp>
#include <kyper/sequence_spec.hpp>
#include <kyper/train_config.hpp>
#include <kyper/trial.hpp>

namespace kyper {

enum class Task : int { Regression = 0, GaussianRegression, Classification };
enum class Objective : int { NegativeValidationLoss = 0, ValidationR2, ValidationAccuracy };

struct ModelDefaults {
  int num_layers = 2;
  int units = 32;
  Activation activation = Activation::Relu;
  double dropout = 0;
};

struct TrainingProblem {
  Dataset train, validation;
  Task task = Task::Regression;
  Objective objective = Objective::NegativeValidationLoss;
  int classes = 0;  // classification
  ModelDefaults model;
  TrainConfig training;
  ScalerKind feature_scaling = ScalerKind::standard, target_scaling = ScalerKind::standard;
  bool save_models = true;  // each trial's model goes to <output>/models/trial_<id>.kyper
  // Every trial's network learns the residual of a least-squares linear map (Model::set_linear_baseline).
  bool linear_baseline = false;
  // Neural architecture search: when set, the network is the architecture the configuration's
  // "arch_<node>" parameters pick (inputs/outputs already set for this problem) instead of an MLP.
  std::shared_ptr<const nas::ArchitectureSpace> architecture;
  // Time-series forecasting (the job's "sequence" section; enabled() when set): train and
  // validation hold windows (window x inputs features, horizon x targets targets), and the scalers
  // were fitted per column on the training part of the series, then repeated per window step. The
  // trial's model gets both, so its file can forecast a new series (kyper predict).
  SequenceSpec sequence;
  Scaler sequence_feature_scaler, sequence_target_scaler;
};

// Names a configuration may set for the built-in trial.
bool is_training_hyperparameter(const std::string& name);
// Throws naming the first parameter of `space` the built-in trial does not understand. With an
// architecture space, its "arch_<node>" parameters are understood and the MLP-shape ones
// (num_layers, units, units_<i>, activation, dropout) are rejected: the architecture fixes them.
void check_training_space(const search::Space& space, const nas::ArchitectureSpace* architecture = nullptr);
// The number of outputs the task needs from a network (targets, 2 x targets, or classes).
int output_width(const TrainingProblem& problem);

TrialFunction make_training_trial(std::shared_ptr<const TrainingProblem> problem);
// The trials of one configuration under each context's id (its seed), as make_training_trial's
// function would run them one after the other (run_trial_guarded), but trained together, one
// fused launch per step for all, when the configuration's network is a chain of dense layers
// (Model::fit_together) and together_is_faster says so (three or more on a GPU, two or more on a
// host with more than one thread); otherwise one after the other. Deadlines and multi-fidelity
// reports are not applied to trials trained together (they are on the one-after-the-other path).
std::vector<TrialOutcome> run_training_trials_together(std::shared_ptr<const TrainingProblem> problem,
                                                       const search::Configuration& config,
                                                       const std::vector<TrialContext>& contexts);

// The model graph and training settings a configuration stands for (what the trial trains).
GraphSpec training_graph(const TrainingProblem& problem, const search::Configuration& config);
TrainConfig training_config(const TrainingProblem& problem, const search::Configuration& config);

}  // namespace kyper
