#include <kyper/search_job.hpp>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include <kyper/csv.hpp>
#include <kyper/error.hpp>
#include <kyper/job_reference.hpp>
#include <kyper/json.hpp>
#include <kyper/search/random_search.hpp>
#include <kyper/sequence.hpp>

namespace kyper {

namespace fs = std::filesystem;
namespace rj = json::rj;

namespace {

// The steps of load_search_job, one section of the job file each.

Task read_task(const JsonObject& top) {
  const std::string task = top.text("task", "regression");
  if (task == "regression") return Task::Regression;
  if (task == "gaussian_regression") return Task::GaussianRegression;
  if (task == "classification") return Task::Classification;
  KYPER_FAIL(top.key("task") << " must be regression, gaussian_regression or classification, got '" << task << "'");
}

// "sequence" (with "dataset"): a time series cut into windows and split by time (see
// kyper/sequence.hpp). The dataset's features/targets are replaced by sequence.inputs/targets.
void read_sequence(const JsonObject& top, const JsonObject& data, const std::string& csv_path,
                   TrainingProblem& problem) {
  for (const char* key : {"features", "targets"})
    KYPER_REQUIRE(!data.has(key), data.key(key) << " is not used with a \"sequence\" section: name the columns in "
                                                << (key[0] == 'f' ? "sequence.inputs" : "sequence.targets"));
  KYPER_REQUIRE(!data.has("split_seed"), data.key("split_seed") << " is not used with a \"sequence\" section: the "
                                                                   "split is by time (the last validation_fraction of "
                                                                   "the rows are the validation part)");
  KYPER_REQUIRE(problem.task != Task::Classification,
                top.key("task") << ": a \"sequence\" section forecasts values; the task must be regression or "
                                   "gaussian_regression");
  const JsonObject seq = top.object("sequence", job_section_keys("sequence"));
  SequenceSpec spec;
  KYPER_REQUIRE(seq.has("window"), seq.key("window") << " is missing: the number of past steps each forecast reads");
  spec.window = int(seq.integer("window", 0, 1, 1000000));
  spec.horizon = int(seq.integer("horizon", 1, 1, 1000000));
  spec.stride = int(seq.integer("stride", 1, 1, 1000000));
  spec.targets = seq.text_or_texts("targets");
  KYPER_REQUIRE(!spec.targets.empty(), seq.key("targets") << " must name at least one column to forecast");
  const bool all_inputs = !seq.has("inputs");
  if (!all_inputs) {
    spec.inputs = seq.text_or_texts("inputs");
    KYPER_REQUIRE(!spec.inputs.empty(), seq.key("inputs") << " must name at least one column (leave it out for every column)");
  }
  Table series;
  try {
    std::vector<std::string> columns = spec.inputs;  // read_series skips a target that is also an input
    columns.insert(columns.end(), spec.targets.begin(), spec.targets.end());
    series = read_series(csv_path, all_inputs ? std::vector<std::string>{} : columns);
  } catch (const Error& e) {
    if (!all_inputs) throw;
    KYPER_FAIL(e.what() << " (" << seq.key("inputs")
                        << " is not set, so every column is an input: list the input columns to leave this one out)");
  }
  if (all_inputs) spec.inputs = series.columns;
  // Named twice or empty: the key says where; a column the file lacks: the file says which.
  check_sequence_spec(spec, seq.key(""));
  for (const auto& target : spec.targets) series.column_index(target);  // names the file and the column
  const double fraction = data.number("validation_fraction", 0.2, 0.01, 0.9);
  SequenceSplit split_data = split_sequence(series, spec, fraction, problem.feature_scaling, problem.target_scaling);
  problem.train = std::move(split_data.train.data);
  problem.validation = std::move(split_data.validation.data);
  problem.sequence = spec;
  problem.sequence_feature_scaler = std::move(split_data.feature_scaler);
  problem.sequence_target_scaler = std::move(split_data.target_scaler);
}

// "dataset": reads the CSV, splits it, and for classification counts the classes.
void read_dataset(const JsonObject& top, const std::function<std::string(const std::string&)>& resolve,
                  TrainingProblem& problem) {
  const JsonObject data = top.object("dataset", job_section_keys("dataset"));
  const std::string csv_path = resolve(data.text("path", ""));
  KYPER_REQUIRE(!csv_path.empty() && data.has("path"), data.key("path") << " is missing");
  problem.feature_scaling = data.checked("feature_scaler", [&] { return parse_scaler_kind(data.text("feature_scaler", "standard")); });
  problem.target_scaling = data.checked("target_scaler", [&] { return parse_scaler_kind(data.text("target_scaler", "standard")); });
  if (top.has("sequence")) return read_sequence(top, data, csv_path, problem);
  const auto targets = data.text_or_texts("targets");
  KYPER_REQUIRE(!targets.empty(), data.key("targets") << " must name at least one column");
  Dataset all = select(read_csv(csv_path), data.text_or_texts("features"), targets);
  const double fraction = data.number("validation_fraction", 0.2, 0.01, 0.9);
  Split split_data = split(all, fraction, std::uint64_t(data.integer("split_seed", 0, 0, 1L << 40)));
  problem.train = std::move(split_data.train);
  problem.validation = std::move(split_data.validation);
  if (problem.task == Task::Classification) {
    KYPER_REQUIRE(targets.size() == 1, data.key("targets") << ": classification takes one label column");
    double max_label = 0;
    for (float y : all.targets) {
      KYPER_REQUIRE(y >= 0 && y == std::floor(y), csv_path << ": column '" << targets[0]
                                                            << "' holds a label that is not a non-negative integer (" << y << ")");
      max_label = std::max<double>(max_label, y);
    }
    problem.classes = int(max_label) + 1;
    KYPER_REQUIRE(problem.classes >= 2, csv_path << ": column '" << targets[0] << "' has a single class");
  }
}

Objective read_objective(const JsonObject& top, Task task) {
  const std::string objective = top.text("objective", task == Task::Classification ? "val_accuracy" : "neg_val_loss");
  if (objective == "neg_val_loss") return Objective::NegativeValidationLoss;
  if (objective == "val_r2" && task != Task::Classification) return Objective::ValidationR2;
  if (objective == "val_accuracy" && task == Task::Classification) return Objective::ValidationAccuracy;
  KYPER_FAIL(top.key("objective") << " must be neg_val_loss, val_r2 (regression) or val_accuracy (classification), got '" << objective << "'");
}

// "model" and "training": the defaults for what the space does not set.
void read_model_and_training(const JsonObject& top, TrainingProblem& problem) {
  if (top.has("model")) {
    const JsonObject m = top.object("model", job_section_keys("model"));
    problem.model.num_layers = int(m.integer("num_layers", 2, 0, 64));
    problem.model.units = int(m.integer("units", 32, 1, 1 << 16));
    problem.model.activation = m.checked("activation", [&] { return parse_activation(m.text("activation", "relu")); });
    problem.model.dropout = m.number("dropout", 0, 0, 0.99);
  }
  TrainConfig& t = problem.training;
  t.loss = problem.task == Task::Classification ? Loss::SoftmaxCrossEntropy
           : problem.task == Task::GaussianRegression ? Loss::GaussianNLL : Loss::MSE;
  t.epochs = 30, t.patience = 5;
  if (top.has("training")) {
    const JsonObject s = top.object("training", job_section_keys("training"));
    t.epochs = int(s.integer("epochs", t.epochs, 1, 1000000));
    t.batch_size = int(s.integer("batch_size", t.batch_size, 1, 1 << 24));
    t.optimizer.learning_rate = s.number("learning_rate", t.optimizer.learning_rate, 1e-12, 10);
    t.optimizer.kind = s.checked("optimizer", [&] { return parse_optimizer(s.text("optimizer", "adam")); });
    t.optimizer.weight_decay = s.number("weight_decay", 0, 0, 10);
    t.optimizer.momentum = s.number("momentum", 0, 0, 0.999);
    t.patience = int(s.integer("patience", t.patience, 0, 1000000));
    t.optimizer.clip_norm = s.number("clip_norm", 0, 0, 1e9);
    t.optimizer.schedule.kind = s.checked("schedule", [&] { return parse_schedule(s.text("schedule", "constant")); });
    t.seed = std::uint64_t(s.integer("seed", 0, 0, 1L << 40));
    problem.save_models = s.boolean("save_models", true);
    if (s.has("loss")) t.loss = s.checked("loss", [&] { return parse_loss(s.text("loss", "")); });
    problem.linear_baseline = s.boolean("linear_baseline", false);
    KYPER_REQUIRE(!problem.linear_baseline || (t.loss != Loss::SoftmaxCrossEntropy && t.loss != Loss::BinaryCrossEntropy),
                  s.key("linear_baseline") << " needs a regression loss, not " << to_string(t.loss));
  }
}

// "architecture" (NAS) and "space": the architecture's arch_<node> parameters come first, then the
// hyperparameters of "space" (optional with an architecture).
search::Space read_spaces(const JsonObject& top, const std::string& path, TrainingProblem& problem) {
  search::Space job_space;
  if (const rj::Value* architecture = top.get("architecture")) {
    auto arch = std::make_shared<nas::ArchitectureSpace>(
        nas::ArchitectureSpace::from_json(json::to_text(*architecture), path, "architecture"));
    if (problem.sequence.enabled()) {
      // The space reads the window step by step and forecasts horizon steps of the targets (x2 for
      // a Gaussian head's mean and variance).
      const SequenceSpec& seq = problem.sequence;
      top.checked("architecture", [&] {  // e.g. a per_step head with window != horizon
        arch->set_sequence_io(seq.window, int(seq.inputs.size()), seq.horizon, output_width(problem) / seq.horizon);
        return 0;
      });
    } else if (arch->inputs() == 0 || arch->outputs() == 0) {
      top.checked("architecture", [&] {  // e.g. recurrent layers without a sequence section
        arch->set_io(arch->inputs() ? arch->inputs() : int(problem.train.num_features()),
                     arch->outputs() ? arch->outputs() : output_width(problem));
        return 0;
      });
    }
    KYPER_REQUIRE(arch->inputs() == int(problem.train.num_features()) && arch->outputs() == output_width(problem),
                  top.key("architecture") << " takes " << arch->inputs() << " inputs and gives " << arch->outputs()
                                            << " outputs, the dataset and task need " << problem.train.num_features()
                                            << " and " << output_width(problem));
    problem.architecture = arch;
    job_space = arch->search_space();
  }
  const rj::Value* space = top.get("space");
  KYPER_REQUIRE(space || problem.architecture, top.key("space") << " is missing");
  if (space) {
    const search::Space hyper = search::Space::from_json(json::to_text(*space), path, "space");
    top.checked("space", [&] {
      for (const auto& parameter : hyper.parameters()) job_space.add(parameter);
      for (const auto& c : hyper.conditions()) job_space.add_condition(c.child, c.parent, c.values);
      for (const auto& f : hyper.forbidden()) job_space.add_forbidden(f);
      check_training_space(job_space, problem.architecture.get());
      return 0;
    });
  }

  return job_space;
}

// "search": the algorithm and its options.
void read_search(const JsonObject& top, const std::string& path, bool has_architecture, SearchJob& job) {
  // An absent "search" reads as an empty one; `no_search` must outlive `s`, which refers to it.
  const rj::Value no_search(rj::kObjectType);
  const rj::Value* search_value = top.get("search");
  JsonObject s(search_value ? *search_value : no_search, path, "search", job_section_keys("search"));
  job.algorithm = s.text("algorithm", "cbo");
  KYPER_REQUIRE(job.algorithm == "cbo" || job.algorithm == "random" || job.algorithm == "evolution" ||
                    job.algorithm == "agebo",
                s.key("algorithm") << " must be cbo, random, evolution or agebo, got '" << job.algorithm << "'");
  KYPER_REQUIRE(job.algorithm != "agebo" || has_architecture,
                s.key("algorithm") << ": agebo evolves an architecture; the job needs an \"architecture\" section");
  job.cbo.surrogate = s.text("surrogate", job.cbo.surrogate);
  KYPER_REQUIRE(job.cbo.surrogate == "auto" || job.cbo.surrogate == "ET" || job.cbo.surrogate == "RF" ||
                    job.cbo.surrogate == "GP",
                s.key("surrogate") << " must be auto, ET, RF or GP, got '" << job.cbo.surrogate << "'");
  job.cbo.acquisition = s.text("acquisition", job.cbo.acquisition);
  KYPER_REQUIRE(job.cbo.acquisition == "UCB" || job.cbo.acquisition == "LCB" || job.cbo.acquisition == "EI" ||
                    job.cbo.acquisition == "PI",
                s.key("acquisition") << " must be UCB, LCB, EI or PI, got '" << job.cbo.acquisition << "'");
  job.cbo.kappa = s.number("kappa", job.cbo.kappa, 0, 100);
  job.cbo.kappa_decay = s.number("kappa_decay", job.cbo.kappa_decay, 0, 1);
  job.cbo.initial_points = int(s.integer("initial_points", job.cbo.initial_points, 1, 100000));
  job.cbo.objective_transform = s.text("objective_transform", job.cbo.objective_transform);
  KYPER_REQUIRE(job.cbo.objective_transform == "auto" || job.cbo.objective_transform == "none" ||
                    job.cbo.objective_transform == "log" || job.cbo.objective_transform == "rank",
                s.key("objective_transform") << " must be auto, none, log or rank, got '" << job.cbo.objective_transform
                                             << "'");
  job.cbo.stopped_trials = s.text("stopped_trials", job.cbo.stopped_trials);
  KYPER_REQUIRE(job.cbo.stopped_trials == "below_further" || job.cbo.stopped_trials == "as_reported" ||
                    job.cbo.stopped_trials == "ignore",
                s.key("stopped_trials") << " must be below_further, as_reported or ignore, got '"
                                        << job.cbo.stopped_trials << "'");
  job.cbo.liar = s.text("liar", job.cbo.liar);
  try {
    search::parse_liar(job.cbo.liar);
  } catch (const Error&) {
    KYPER_FAIL(s.key("liar") << " must be auto, cl_worst, cl_mean, cl_best, believer or qUCB, got '" << job.cbo.liar << "'");
  }
  job.cbo.pending_kappa = s.number("pending_kappa", job.cbo.pending_kappa, 0, 100);
  job.evolution.population_size = int(s.integer("population_size", job.evolution.population_size, 2, 1000000));
  job.evolution.sample_size = int(s.integer("sample_size", job.evolution.sample_size, 1, job.evolution.population_size));
  job.search_options.seed = std::uint64_t(s.integer("seed", 0, 0, 1L << 40));
  job.search_options.maximize = !s.boolean("minimize", false);
  const std::string mode = s.text("mode", "centralized");
  KYPER_REQUIRE(mode == "centralized" || mode == "decentralized",
                s.key("mode") << " must be centralized or decentralized, got '" << mode << "'");
  job.scheduler.decentralized = mode == "decentralized";
}

// "search.stopper": multi-fidelity search. The built-in training trial reports its progress every
// epoch, and the full budget defaults to the most epochs a trial may train: training.epochs, or the
// top of an "epochs" hyperparameter. A command reports with "kyper-progress BUDGET VALUE" lines;
// its full budget must be given (max_budget).
void read_stopper(const JsonObject& top, const std::string& path, const TrainingProblem* problem,
                  const search::Space& space, SchedulerOptions& scheduler) {
  const rj::Value* search_value = top.get("search");
  if (!search_value || !search_value->IsObject() || !search_value->HasMember("stopper")) return;
  const JsonObject s(*search_value, path, "search", job_section_keys("search"));
  const JsonObject st = s.object("stopper", job_section_keys("search.stopper"));
  KYPER_REQUIRE(problem || st.has("max_budget"),
                st.key("max_budget") << " is needed with a command objective: the budget its 'kyper-progress BUDGET "
                                        "VALUE' lines count up to (README: Tune any program)");
  search::StopperOptions& o = scheduler.stopper;
  o.kind = st.text("kind", "none");
  KYPER_REQUIRE(o.kind == "none" || o.kind == "asha" || o.kind == "hyperband" || o.kind == "median" || o.kind == "lce",
                st.key("kind") << " must be none, asha, hyperband, median or lce, got '" << o.kind << "'");
  double epochs = problem ? problem->training.epochs : 1;
  if (problem && space.has("epochs")) {
    const search::Parameter& p = space.parameter("epochs");
    if (p.type == search::ParameterType::Float || p.type == search::ParameterType::Int) {
      epochs = p.high;
    } else {
      for (const auto& v : p.choices)
        if (const double* x = std::get_if<double>(&v)) epochs = std::max(epochs, *x);
    }
  }
  o.max_budget = st.number("max_budget", epochs, 1, 1e9);
  o.min_budget = st.number("min_budget", 1, 1e-9, o.max_budget);
  o.reduction_factor = st.number("reduction_factor", 3, 1 + 1e-9, 100);
  o.min_trials = int(st.integer("min_trials", 3, 1, 1000000));
  o.top_k = int(st.integer("top_k", 1, 1, 1000000));
  o.min_probability = st.number("min_probability", 0.05, 1e-9, 1 - 1e-9);
  o.min_points = int(st.integer("min_points", 3, 3, 1000000));
}

// "objective" as an object: a command run per trial. The command trains and evaluates, so the
// sections of the built-in training trial are errors here rather than silently unused.
void read_command_job(const JsonObject& top, const std::string& path, const fs::path& folder, SearchJob& job) {
  for (const char* section : {"dataset", "task", "model", "training", "architecture", "sequence"})
    KYPER_REQUIRE(!top.has(section), top.key(section) << " is not used with a command objective (the command trains "
                                                         "and evaluates; remove it)");
  const JsonObject o = top.object("objective", job_section_keys("objective"));
  auto c = std::make_shared<CommandObjective>();
  const rj::Value* command = o.get("command");
  KYPER_REQUIRE(command, o.key("command") << " is missing: the program and its arguments, e.g. [\"python3\", \"train.py\", \"--lr={lr}\"]");
  KYPER_REQUIRE(command->IsArray(), o.key("command") << " must be an array of strings: the program and its arguments, e.g. "
                                                        "[\"python3\", \"train.py\", \"--lr={lr}\"]");
  c->command = o.texts("command");
  const std::string config = o.text("config", "none");
  KYPER_REQUIRE(config == "none" || config == "file" || config == "stdin",
                o.key("config") << " must be none, file or stdin, got '" << config << "'");
  c->config = config == "file"    ? CommandObjective::ConfigInput::File
              : config == "stdin" ? CommandObjective::ConfigInput::Stdin
                                  : CommandObjective::ConfigInput::None;
  if (const rj::Value* env = o.get("env")) {
    KYPER_REQUIRE(env->IsObject(), o.key("env") << " must be an object of variable names and string values");
    for (auto it = env->MemberBegin(); it != env->MemberEnd(); ++it) {
      const std::string name = it->name.GetString();
      KYPER_REQUIRE(it->value.IsString(), o.key("env." + name) << " must be a string");
      c->environment.emplace_back(name, it->value.GetString());
    }
  }
  c->objective_field = o.text("field", "");
  KYPER_REQUIRE(!o.has("field") || !c->objective_field.empty(), o.key("field") << " must name a field");
  if (o.has("metadata")) c->metadata_fields = o.texts("metadata");
  c->grace_seconds = o.number("grace_seconds", c->grace_seconds, 0, 3600);
  c->output_limit = std::size_t(o.integer("output_limit", long(c->output_limit), 1, 1L << 40));
  c->gpu_per_rank = o.boolean("gpu_per_rank", false);
  c->devices = int(o.integer("devices", 0, 0, 4096));
  c->job_dir = folder.empty() ? "." : folder.string();

  const rj::Value* space = top.get("space");
  KYPER_REQUIRE(space, top.key("space") << " is missing");
  job.space = search::Space::from_json(json::to_text(*space), path, "space");
  check_command_objective(*c, job.space, [&](const std::string& key) { return o.key(key); });
  job.scheduler.metadata_keys = c->metadata_fields;
  job.scheduler.metadata_keys.push_back("exit");
  job.command = std::move(c);
}

// "budget".
void read_budget(const JsonObject& top, SchedulerOptions& scheduler) {
  const JsonObject b = top.object("budget", job_section_keys("budget"));
  scheduler.max_evaluations = b.integer("evaluations", 0, 0, 1L << 40);
  scheduler.max_seconds = b.number("seconds", 0, 0, 1e9);
  scheduler.trial_timeout = b.number("trial_timeout", 0, 0, 1e9);
  KYPER_REQUIRE(scheduler.max_evaluations > 0 || scheduler.max_seconds > 0,
                b.key("") << " needs evaluations and/or seconds");
}

}  // namespace

SearchJob load_search_job(const std::string& path) {
  const rj::Document doc = json::parse_file(path, "search config");
  const fs::path folder = fs::path(path).parent_path();
  auto resolve = [&](const std::string& p) { return fs::path(p).is_absolute() ? p : (folder / p).lexically_normal().string(); };

  // Users have always seen "key ''" here; JsonObject alone would say "<file> must be an object".
  KYPER_REQUIRE(doc.IsObject(), path << ": key '' must be an object");
  const JsonObject top(doc, path, "", job_section_keys(""));
  SearchJob job;
  job.config_path = path;
  const rj::Value* objective = top.get("objective");
  if (objective && objective->IsObject()) {
    read_command_job(top, path, folder, job);
    read_search(top, path, false, job);
    read_stopper(top, path, nullptr, job.space, job.scheduler);
    read_budget(top, job.scheduler);
    job.scheduler.output_dir = resolve(top.text("output", "kyper-output"));
    return job;
  }
  auto problem = std::make_shared<TrainingProblem>();
  problem->task = read_task(top);
  read_dataset(top, resolve, *problem);
  problem->objective = read_objective(top, problem->task);
  read_model_and_training(top, *problem);
  const Loss loss = problem->training.loss;
  KYPER_REQUIRE(!problem->sequence.enabled() || loss == Loss::MSE || loss == Loss::MAE || loss == Loss::GaussianNLL,
                path << ": key 'training.loss': a \"sequence\" section forecasts values; the loss must be mse, mae "
                        "or gaussian_nll, got '" << to_string(loss) << "'");
  job.space = read_spaces(top, path, *problem);
  read_search(top, path, problem->architecture != nullptr, job);
  read_stopper(top, path, problem.get(), job.space, job.scheduler);
  read_budget(top, job.scheduler);
  job.scheduler.output_dir = resolve(top.text("output", "kyper-output"));
  job.scheduler.metadata_keys = {"val_loss", "epochs", "train_seconds", "parameters", "status", "model_path"};
  if (problem->architecture) job.scheduler.metadata_keys.insert(job.scheduler.metadata_keys.begin(), "architecture");
  job.problem = std::move(problem);
  return job;
}

std::unique_ptr<search::Search> make_search(const SearchJob& job, int rank, int size) {
  search::SearchOptions options = job.search_options;
  if (job.scheduler.decentralized) {
    options.seed = rank_seed(options.seed, rank);
    options.id_offset = rank, options.id_stride = size;
  }
  if (job.algorithm == "random") return std::make_unique<search::RandomSearch>(job.space, options);
  if (job.algorithm == "evolution") return std::make_unique<search::AgingEvolution>(job.space, options, job.evolution);
  if (job.algorithm == "agebo") {
    std::vector<std::string> evolved;
    for (const auto& node : job.problem->architecture->dimension_names())
      evolved.push_back(nas::ArchitectureSpace::parameter_name(node));
    return std::make_unique<search::AgEBO>(job.space, evolved, options, job.evolution, job.cbo);
  }
  return std::make_unique<search::CBO>(job.space, options, job.cbo);
}

}  // namespace kyper
