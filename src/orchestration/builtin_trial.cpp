#include <kyper/builtin_trial.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include <kyper/error.hpp>
#include <kyper/multi_trainer.hpp>
#include <kyper/text.hpp>
#include <kyper/metrics.hpp>
#include <kyper/model.hpp>
#include <kyper/uq/catalogue.hpp>

namespace kyper {

namespace {
const std::vector<std::string>& known_names() {
  static const std::vector<std::string> names = {
      "learning_rate", "batch_size", "epochs", "optimizer", "weight_decay", "momentum", "patience",
      "clip_norm",     "num_layers", "units",  "activation", "dropout",     "schedule"};
  return names;
}

bool is_units_i(const std::string& name) {
  if (name.rfind("units_", 0) != 0 || name.size() == 6) return false;
  for (size_t i = 6; i < name.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return false;
  return true;
}

bool active(const search::Configuration& c, const std::string& name) { return c.has(name) && c.active(name); }

double number_or(const search::Configuration& c, const std::string& name, double fallback) {
  return active(c, name) ? c.number(name) : fallback;
}
std::string text_or(const search::Configuration& c, const std::string& name, const std::string& fallback) {
  if (!active(c, name)) return fallback;
  const auto& v = c[name];
  return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : search::value_to_string(v);
}
}  // namespace

bool is_training_hyperparameter(const std::string& name) {
  for (const auto& n : known_names())
    if (n == name) return true;
  return is_units_i(name);
}

void check_training_space(const search::Space& space, const nas::ArchitectureSpace* architecture) {
  std::vector<std::string> architecture_names;
  if (architecture)
    for (const auto& node : architecture->dimension_names())
      architecture_names.push_back(nas::ArchitectureSpace::parameter_name(node));
  for (const auto& name : *space.names()) {
    if (std::find(architecture_names.begin(), architecture_names.end(), name) != architecture_names.end()) continue;
    KYPER_REQUIRE(is_training_hyperparameter(name), "space parameter '" << name
                                                       << "' is not a hyperparameter of the built-in training trial"
                                                       << did_you_mean(name, known_names()) << " ("
                                                       << join(known_names()) << ", units_<i>"
                                                       << (architecture ? ", or an arch_<node> of the architecture)" : ")"));
    const bool shapes_mlp = name == "num_layers" || name == "units" || name == "activation" || name == "dropout" ||
                            is_units_i(name);
    KYPER_REQUIRE(!(architecture && shapes_mlp), "space parameter '" << name
                                                                     << "' shapes the default MLP, but the architecture "
                                                                        "search space defines the network");
  }
}

int output_width(const TrainingProblem& p) {
  const int targets = int(p.train.num_targets());
  if (p.task == Task::GaussianRegression) return 2 * targets;
  if (p.task == Task::Classification) return p.classes;
  return targets;
}

GraphSpec training_graph(const TrainingProblem& p, const search::Configuration& c) {
  if (p.architecture) return p.architecture->build(p.architecture->architecture_of(c));
  const int layers = int(std::lround(number_or(c, "num_layers", p.model.num_layers)));
  KYPER_REQUIRE(layers >= 0 && layers <= 64, "num_layers must be in [0, 64], got " << layers);
  const int default_units = int(std::lround(number_or(c, "units", p.model.units)));
  const Activation act = parse_activation(text_or(c, "activation", to_string(p.model.activation)));
  const double dropout = number_or(c, "dropout", p.model.dropout);
  std::vector<int> hidden;
  for (int i = 0; i < layers; ++i) {
    const int units = int(std::lround(number_or(c, "units_" + std::to_string(i), default_units)));
    KYPER_REQUIRE(units > 0, "units of layer " << i << " must be > 0, got " << units);
    hidden.push_back(units);
  }
  return make_mlp(int(p.train.num_features()), hidden, output_width(p), act, dropout);
}

TrainConfig training_config(const TrainingProblem& p, const search::Configuration& c) {
  TrainConfig t = p.training;
  t.optimizer.learning_rate = number_or(c, "learning_rate", t.optimizer.learning_rate);
  t.batch_size = int(std::lround(number_or(c, "batch_size", t.batch_size)));
  t.epochs = int(std::lround(number_or(c, "epochs", t.epochs)));
  t.patience = int(std::lround(number_or(c, "patience", t.patience)));
  t.optimizer.weight_decay = number_or(c, "weight_decay", t.optimizer.weight_decay);
  t.optimizer.momentum = number_or(c, "momentum", t.optimizer.momentum);
  t.optimizer.clip_norm = number_or(c, "clip_norm", t.optimizer.clip_norm);
  if (active(c, "optimizer")) t.optimizer.kind = parse_optimizer(text_or(c, "optimizer", ""));
  if (active(c, "schedule")) t.optimizer.schedule.kind = parse_schedule(text_or(c, "schedule", ""));
  return t;
}

namespace {

// The model a trial trains: the configuration's graph and settings, seeded by the trial's id.
Model trial_model(const TrainingProblem& p, const search::Configuration& config, std::int64_t trial_id) {
  TrainConfig settings = training_config(p, config);
  settings.seed = p.training.seed + std::uint64_t(trial_id);
  Model model(training_graph(p, config), settings, settings.seed, p.feature_scaling, p.target_scaling);
  model.set_linear_baseline(p.linear_baseline);
  if (p.sequence.enabled()) {
    model.set_sequence(p.sequence);
    model.set_scalers(p.sequence_feature_scaler, p.sequence_target_scaler);
  }
  return model;
}

// What a trial reports once its model is trained: status, curves, the objective, and (when the
// problem keeps models) the catalogue entry AutoDEUQ selects from.
TrialOutcome trial_outcome(const TrainingProblem& p, const search::Configuration& config, const TrialContext& context,
                           Model& model, TrainResult result, bool stopped_early) {
  TrialOutcome outcome;
  outcome.metadata["status"] = to_string(result.status);
  outcome.metadata["epochs"] = std::to_string(result.curve.size());
  outcome.metadata["train_seconds"] = std::to_string(result.seconds);
  outcome.metadata["parameters"] = std::to_string(model.parameter_count());
  if (model.uses_linear_baseline()) {  // the outputs the network did not improve on validation
    std::string outputs;
    for (int j : model.baseline_only_outputs())
      outputs += (outputs.empty() ? "" : " ") + (j < int(model.target_names().size()) ? model.target_names()[j] : "y" + std::to_string(j));
    outcome.metadata["baseline_only_outputs"] = outputs;
  }
  if (p.architecture) {
    std::string vector;
    for (int choice : p.architecture->architecture_of(config)) vector += (vector.empty() ? "" : " ") + std::to_string(choice);
    outcome.metadata["architecture"] = vector;
  }
  std::ostringstream curve;
  for (size_t i = 0; i < result.curve.size(); ++i) curve << (i ? ";" : "") << result.curve[i].validation_loss;
  outcome.metadata["learning_curve"] = curve.str();
  std::ostringstream train_curve;  // the report draws both per epoch
  for (size_t i = 0; i < result.curve.size(); ++i) train_curve << (i ? ";" : "") << result.curve[i].train_loss;
  outcome.metadata["train_curve"] = train_curve.str();
  if (result.status == TrainStatus::Diverged) {
    outcome.reason = "diverged: " + result.message;
    return outcome;
  }
  if (result.status == TrainStatus::Stopped && !stopped_early) {
    outcome.reason = "timeout: training stopped after " + std::to_string(result.curve.size()) + " epochs";
    return outcome;
  }
  const double val_loss = result.best_validation_loss;
  outcome.metadata["val_loss"] = std::to_string(val_loss);
  Predictions predictions = model.predict(p.validation);
  if (p.task == Task::Classification) {
    const double acc = accuracy(predictions.values.data(), p.validation.targets.data(), p.validation.rows(),
                                size_t(p.classes));
    outcome.metadata["val_accuracy"] = std::to_string(acc);
    outcome.objective = p.objective == Objective::ValidationAccuracy ? acc : -val_loss;
  } else {
    // Means only (Gaussian heads interleave mean and variance per target).
    const size_t t = p.validation.num_targets(), stride = predictions.columns.size() / t;
    std::vector<float> means(p.validation.rows() * t);
    for (size_t r = 0; r < p.validation.rows(); ++r)
      for (size_t j = 0; j < t; ++j) means[r * t + j] = predictions.values[r * predictions.columns.size() + j * stride];
    const double score = r2(means.data(), p.validation.targets.data(), p.validation.rows(), t);
    outcome.metadata["val_r2"] = std::to_string(score);
    outcome.objective = p.objective == Objective::ValidationR2 ? score : -val_loss;
  }
  if (p.save_models) {
    // The catalogue entry AutoDEUQ selects from: the model, then its validation predictions
    // (written last, so an entry with predictions always has its model).
    const std::string path = uq::catalogue_model_path(context.output_dir, context.trial_id);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    model.save(path);
    uq::write_validation_predictions(uq::catalogue_predictions_path(context.output_dir, context.trial_id),
                                     predictions, p.validation);
    outcome.metadata["model_path"] = path;
  }
  return outcome;
}

}  // namespace

TrialFunction make_training_trial(std::shared_ptr<const TrainingProblem> problem) {
  return [problem](const search::Configuration& config, const TrialContext& context) -> TrialOutcome {
    const TrainingProblem& p = *problem;
    Model model = trial_model(p, config, context.trial_id);
    model.set_stop_condition([&context] { return context.expired(); });
    // Multi-fidelity: after each epoch the negative validation loss goes to the stopper (cheap,
    // and the same measure for every trial whatever the job's objective).
    bool stopped_early = false;
    model.set_epoch_hook([&context, &stopped_early](const EpochRecord& epoch) {
      if (!std::isfinite(epoch.validation_loss)) return false;  // diverged: fit() ends it
      stopped_early = context.report(epoch.epoch + 1, -epoch.validation_loss);
      return stopped_early;
    });
    TrainResult result = model.fit(p.train, &p.validation);
    if (stopped_early) result.status = TrainStatus::Stopped;
    return trial_outcome(p, config, context, model, std::move(result), stopped_early);
  };
}

std::vector<TrialOutcome> run_training_trials_together(std::shared_ptr<const TrainingProblem> problem,
                                                       const search::Configuration& config,
                                                       const std::vector<TrialContext>& contexts) {
  const TrainingProblem& p = *problem;
  std::vector<TrialOutcome> outcomes;
  // A sequence graph is no dense chain: trains_together is false for it. On a one-thread host the
  // members train one after the other (together_is_faster says why).
  const bool together = together_is_faster(int(contexts.size())) &&
                        trains_together(plan_graph(training_graph(p, config)), training_config(p, config));
  if (!together) {
    const TrialFunction trial = make_training_trial(problem);
    for (const TrialContext& context : contexts) outcomes.push_back(run_trial_guarded(trial, config, context));
    return outcomes;
  }
  std::vector<Model> models;
  for (const TrialContext& context : contexts) models.push_back(trial_model(p, config, context.trial_id));
  std::vector<Model*> pointers;
  for (Model& model : models) pointers.push_back(&model);
  std::vector<TrainResult> results;
  try {
    results = Model::fit_together(pointers, p.train, &p.validation);
  } catch (const std::exception& e) {
    for (size_t i = 0; i < contexts.size(); ++i)
      outcomes.push_back(TrialOutcome::failure(std::string("exception: ") + e.what()));
    return outcomes;
  }
  for (size_t i = 0; i < contexts.size(); ++i) {
    // The outcome goes through the same checks as a trial run alone (non-finite objectives, errors).
    const TrialFunction report = [&](const search::Configuration& c, const TrialContext& context) {
      return trial_outcome(p, c, context, models[i], results[i], false);
    };
    outcomes.push_back(run_trial_guarded(report, config, contexts[i]));
  }
  return outcomes;
}

}  // namespace kyper
