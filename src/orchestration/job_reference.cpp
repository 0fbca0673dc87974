#include <kyper/job_reference.hpp>

#include <sstream>

namespace kyper {

const std::vector<JobKey>& job_reference() {
  static const std::vector<JobKey> keys = {
      {"dataset", "object", "required (none with a command objective)", "the data to train on"},
      {"dataset.path", "string", "required", "CSV file with a header row, relative to the job file"},
      {"dataset.features", "string or [string]", "every column but the targets", "input columns (not with a sequence)"},
      {"dataset.targets", "string or [string]", "required (none with a sequence)",
       "columns to predict (one label column for classification)"},
      {"dataset.validation_fraction", "number in [0.01, 0.9]", "0.2",
       "share of rows held out for validation (the objective); with a sequence, the last rows of the series"},
      {"dataset.split_seed", "integer", "0", "seed of the train/validation split (not with a sequence: it splits by time)"},
      {"dataset.feature_scaler", "none, standard, minmax", "standard", "scaling of the inputs, fitted on the training rows"},
      {"dataset.target_scaler", "none, standard, minmax", "standard", "scaling of regression targets, fitted on the training rows"},
      {"sequence", "object", "none",
       "time-series forecasting: the dataset is one series in time order, cut into sliding windows (README: Sequences)"},
      {"sequence.window", "integer", "required", "past steps (rows) each forecast reads"},
      {"sequence.horizon", "integer", "1", "future steps forecast from each window"},
      {"sequence.stride", "integer", "1", "rows between the starts of consecutive training and validation windows"},
      {"sequence.inputs", "string or [string]", "every column of the file (targets included)",
       "columns read at every past step"},
      {"sequence.targets", "string or [string]", "required", "columns forecast at every future step (regression tasks only)"},
      {"task", "regression, gaussian_regression, classification", "regression",
       "what the network predicts: a value, a mean and a variance, or class probabilities"},
      {"objective", "neg_val_loss, val_r2, val_accuracy, or object", "neg_val_loss (val_accuracy for classification)",
       "what the search maximises; an object: a program run per trial, without dataset, task, model, training or "
       "architecture (README: Tune any program)"},
      {"objective.command", "[string]", "required", "the program and its arguments; {name}: a parameter's value (an "
       "argument naming an inactive one is left out), also {trial_id}, {trial_dir}, {job_dir}, {config_file}, {rank}, "
       "{local_rank}, {device}; {{ }}: braces; no '/': searched on PATH, else relative to the job file"},
      {"objective.field", "string", "none: the last line of stdout that is a number",
       "the objective is this field of the last line of stdout that is a JSON object holding it"},
      {"objective.metadata", "[string]", "none", "fields of that JSON line kept as results.csv columns m:<field>"},
      {"objective.config", "none, file, stdin", "none",
       "the configuration as a JSON object in <trial_dir>/config.json ({config_file}, $KYPER_CONFIG_FILE), or that file on stdin"},
      {"objective.env", "object", "none", "extra environment variables of the command"},
      {"objective.env.<name>", "string", "-", "a variable's value; may hold placeholders (not set when one is inactive)"},
      {"objective.grace_seconds", "number in [0, 3600]", "5",
       "after the trial timeout, seconds between SIGTERM and SIGKILL to the command's process group"},
      {"objective.output_limit", "integer", "1048576",
       "bytes of stdout and of stderr kept in the trial folder (stdout.txt, stderr.txt), then their tail"},
      {"objective.gpu_per_rank", "boolean", "false",
       "each rank's commands see one GPU: CUDA_VISIBLE_DEVICES and HIP_VISIBLE_DEVICES set to $KYPER_DEVICE's"},
      {"objective.devices", "integer", "0 (the GPUs the node shows)",
       "GPUs per node; KYPER_DEVICE is the node-local rank modulo this"},
      {"model", "object", "see its keys", "the default MLP (what the space does not set)"},
      {"model.num_layers", "integer in [0, 64]", "2", "hidden layers"},
      {"model.units", "integer", "32", "units per hidden layer"},
      {"model.activation", "identity, relu, tanh, sigmoid, swish, gelu, elu", "relu", "hidden activation"},
      {"model.dropout", "number in [0, 0.99]", "0", "dropout after each hidden layer"},
      {"training", "object", "see its keys", "training defaults (what the space does not set)"},
      {"training.epochs", "integer", "30", "epochs per trial"},
      {"training.batch_size", "integer", "32", "rows per step"},
      {"training.learning_rate", "number", "0.001", "initial learning rate"},
      {"training.optimizer", "sgd, rmsprop, adam, adamw", "adam", "optimizer"},
      {"training.weight_decay", "number in [0, 10]", "0", "decoupled weight decay (adamw) or L2 (others)"},
      {"training.momentum", "number in [0, 0.999]", "0", "momentum (sgd)"},
      {"training.patience", "integer", "5", "epochs without validation improvement before stopping; 0: never"},
      {"training.clip_norm", "number", "0", "gradient norm clipping; 0: none"},
      {"training.schedule", "constant, step, cosine, plateau", "constant", "learning-rate schedule"},
      {"training.seed", "integer", "0", "seed of initialisation, shuffling and dropout"},
      {"training.save_models", "boolean", "true", "keep every trial's model and validation predictions (the AutoDEUQ catalogue)"},
      {"training.linear_baseline", "boolean", "false",
       "regression: fit a least-squares linear map from the features to the targets first; the network learns what it "
       "misses, and predictions add the two"},
      {"training.loss", "mse, mae, gaussian_nll, cross_entropy, binary_cross_entropy", "from the task", "training loss"},
      {"architecture", "object", "none", "a network search space (NAS); its arch_<node> parameters join the space"},
      {"architecture.inputs", "integer", "the dataset's features", "input width"},
      {"architecture.outputs", "integer", "from the task", "output width"},
      {"architecture.output_activation", "activation name", "identity", "activation of the output layer"},
      {"architecture.max_choices", "integer", "64", "most candidates a node may have"},
      {"architecture.nodes", "array", "required without a preset", "the nodes, in order"},
      {"architecture.nodes[].name", "string", "required", "node name"},
      {"architecture.nodes[].type", "constant, variable, mirror, skip", "required", "node kind"},
      {"architecture.nodes[].op", "operation", "required (constant)", "identity, dense:<units>[:<activation>], dropout:<rate>, activation:<name>, lstm:<units>, gru:<units> (recurrent: with a sequence)"},
      {"architecture.nodes[].ops", "[operation]", "required (variable)", "the candidate operations"},
      {"architecture.nodes[].of", "string", "required (mirror)", "the variable node whose choice it repeats"},
      {"architecture.nodes[].anchors", "integer", "1", "skip: how many previous block outputs it may merge"},
      {"architecture.nodes[].merge", "add, concat", "add", "skip: how the merge combines"},
      {"architecture.preset", "dense_skip, residual_mlp, stacked_rnn", "none",
       "a ready-made space instead of nodes (stacked_rnn: recurrent, with a sequence)"},
      {"architecture.blocks", "integer", "3", "preset: blocks"},
      {"architecture.units", "[integer]", "[16, 32, 48, 64, 96] (stacked_rnn: [16, 32, 64])",
       "dense_skip, stacked_rnn: widths to choose from"},
      {"architecture.widths", "[integer]", "[32, 64, 128]", "residual_mlp: widths to choose from"},
      {"architecture.activations", "[activation name]", "[relu, tanh]", "preset: activations to choose from"},
      {"architecture.anchors", "integer", "2", "preset: previous blocks a skip may reach"},
      {"architecture.dropout", "[number]", "none", "dense_skip: dropout rates to choose from"},
      {"architecture.cells", "[lstm, gru]", "[lstm, gru]", "stacked_rnn: recurrent cells to choose from"},
      {"architecture.merge", "add, concat", "add", "stacked_rnn: how a skip merges"},
      {"architecture.head", "flatten, per_step", "flatten",
       "with a sequence: flatten (every forecast step reads every input step) or per_step (a dense on each step, "
       "seq2seq; needs horizon == window)"},
      {"space", "object", "required without an architecture", "the hyperparameters searched"},
      {"space.parameters", "array", "required", "one object per hyperparameter (alias: params)"},
      {"space.params", "array", "-", "alias of parameters"},
      {"space.parameters[].name", "string", "required",
       "a hyperparameter of the training trial (README: the main job), or any name with a command objective"},
      {"space.parameters[].type", "float, int, categorical, ordinal", "required", "its kind (aliases: real, continuous, integer)"},
      {"space.parameters[].low", "number", "required (float, int)", "lower bound"},
      {"space.parameters[].high", "number", "required (float, int)", "upper bound"},
      {"space.parameters[].log", "boolean", "false", "sample on a log scale"},
      {"space.parameters[].step", "number", "none", "values on a grid of this step"},
      {"space.parameters[].ratio", "number", "none", "values on a geometric grid of this ratio"},
      {"space.parameters[].choices", "[number or string]", "required (categorical, ordinal)", "the values (aliases: sequence, values)"},
      {"space.parameters[].sequence", "[number or string]", "-", "alias of choices"},
      {"space.parameters[].values", "[number or string]", "-", "alias of choices"},
      {"space.parameters[].default", "number or string", "none", "the value the search tries first"},
      {"space.conditions", "array", "none", "parameters active only for some values of another"},
      {"space.conditions[].child", "string", "required", "the conditional parameter"},
      {"space.conditions[].parent", "string", "required", "the parameter it depends on"},
      {"space.conditions[].values", "value or [value]", "required", "parent values that activate the child (alias: in)"},
      {"space.conditions[].in", "value or [value]", "-", "alias of values"},
      {"space.forbidden", "array", "none", "combinations never proposed"},
      {"space.forbidden[].<parameter>", "value or [value]", "-", "a clause: forbidden when every named parameter takes one of its values"},
      {"search", "object", "cbo with its defaults", "the algorithm"},
      {"search.algorithm", "cbo, random, evolution, agebo", "cbo", "Bayesian optimisation, random search, aging evolution, or AgEBO (needs an architecture)"},
      {"search.surrogate", "auto, ET, RF, GP", "auto",
       "cbo: surrogate model; auto: a GP with a mixed-variable kernel while its ask is affordable, then ET (README: the default search)"},
      {"search.acquisition", "UCB, LCB, EI, PI", "UCB", "cbo: acquisition function"},
      {"search.kappa", "number in [0, 100]", "1.96", "cbo: UCB exploration weight (with liar auto: of asks while nothing is pending)"},
      {"search.kappa_decay", "number in [0, 1]", "1", "cbo: kappa is multiplied by this after each proposal"},
      {"search.initial_points", "integer", "10", "cbo: size of the initial design"},
      {"search.liar", "auto, cl_worst, cl_mean, cl_best, believer, qUCB", "auto",
       "cbo: how running trials are told to the surrogate; auto: not at all, each point proposed while trials run draws "
       "its own kappa (qUCB with mean pending_kappa); a sequential ask is plain UCB"},
      {"search.pending_kappa", "number in [0, 100]", "1", "cbo, liar auto: mean kappa of a point proposed while trials run"},
      {"search.objective_transform", "auto, none, log, rank", "auto",
       "cbo: what the surrogate learns instead of the objective; auto: log when the values have a long tail, after clipping "
       "outliers, else none (README: the default search)"},
      {"search.stopped_trials", "below_further, as_reported, ignore", "below_further",
       "cbo with a stopper: what the surrogate learns from trials stopped early; below_further: their value, but never above "
       "a trial that ran longer (README: Multi-fidelity search)"},
      {"search.seed", "integer", "0", "seed of the search"},
      {"search.mode", "centralized, decentralized", "centralized", "MPI: one master rank, or every rank searching and sharing results"},
      {"search.population_size", "integer", "100", "evolution, agebo: population"},
      {"search.sample_size", "integer", "10", "evolution, agebo: tournament size"},
      {"search.minimize", "boolean", "false", "minimise the objective instead of maximising it"},
      {"search.stopper", "object", "none", "multi-fidelity: trials report their progress (the built-in trial after every "
       "epoch, a command with 'kyper-progress BUDGET VALUE' lines) and hopeless ones end early (README: Multi-fidelity search)"},
      {"search.stopper.kind", "none, asha, hyperband, median, lce", "none",
       "successive halving, Hyperband brackets, median stopping or learning-curve extrapolation"},
      {"search.stopper.min_budget", "number", "1", "asha, hyperband: epochs at the first rung; median, lce: epochs before any stop"},
      {"search.stopper.max_budget", "number", "training.epochs (or the top of an epochs parameter); required for a command",
       "a trial's full budget (epochs, or the unit of a command's progress lines)"},
      {"search.stopper.reduction_factor", "number in (1, 100]", "3", "asha, hyperband: eta; the best 1/eta at each rung go on"},
      {"search.stopper.min_trials", "integer", "3", "median: other trials that must have reached a budget before it stops one there"},
      {"search.stopper.top_k", "integer", "1", "lce: the value to beat is the top_k-th best reached by the other trials"},
      {"search.stopper.min_probability", "number in (0, 1)", "0.05", "lce: stop below this probability of beating it"},
      {"search.stopper.min_points", "integer", "3", "lce: reports before a curve is fitted"},
      {"budget", "object", "required", "when the search stops"},
      {"budget.evaluations", "integer", "0 (none)", "finished trials (evaluations and/or seconds must be set)"},
      {"budget.seconds", "number", "0 (none)", "wall time for starting new trials"},
      {"budget.trial_timeout", "number", "0 (none)", "seconds a trial may run (a command's process group is then killed)"},
      {"output", "string", "kyper-output", "output folder, relative to the job file"},
  };
  return keys;
}

std::set<std::string> job_section_keys(const std::string& section) {
  std::set<std::string> out;
  const std::string prefix = section.empty() ? "" : section + ".";
  for (const auto& key : job_reference()) {
    if (key.path.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = key.path.substr(prefix.size());
    if (!rest.empty() && rest.find_first_of(".[") == std::string::npos) out.insert(rest);
  }
  return out;
}

std::string job_reference_markdown() {
  std::ostringstream out;
  out << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& key : job_reference())
    out << "| `" << key.path << "` | " << key.type << " | " << key.default_value << " | " << key.meaning << " |\n";
  return out.str();
}

}  // namespace kyper
