// The kyper command: search (the main job), nas, predict, ensemble, report, --version.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <kyper/atomic_file.hpp>
#include <kyper/config.hpp>
#include <kyper/csv.hpp>
#include <kyper/host_threads.hpp>
#include <kyper/job_reference.hpp>
#include <kyper/json.hpp>
#include <kyper/text.hpp>
#include <kyper/model.hpp>
#include <kyper/report.hpp>
#include <kyper/runtime.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search_job.hpp>
#include <kyper/sequence.hpp>
#include <kyper/uq/ensemble.hpp>
#include <kyper/random_init_ensemble.hpp>
#include <kyper/uq/scores.hpp>

namespace fs = std::filesystem;

namespace {

const char* kUsage =
    "usage:\n"
    "  kyper search --config search.json [--resume] [--output DIR]   (also under mpiexec -n N)\n"
    "  kyper nas --config nas.json [--resume] [--output DIR]         (a search with an \"architecture\")\n"
    "  kyper predict --model best.kyper --data X.csv [--output predictions.csv]\n"
    "  kyper ensemble --catalogue DIR [--k 5] [--method robust|greedy|topk] [--output FILE]\n"
    "  kyper ensemble --catalogue DIR --method random-init --config search.json [--k 5] [--trial ID]\n"
    "  kyper predict --ensemble DIR/ensemble_robust.json --data X.csv [--uncertainty] [--output predictions.csv]\n"
    "  kyper report --output DIR [--top K] [--title TEXT] [--config search.json]\n"
    "  kyper --version\n"
    "  kyper <command> --help     that command's options\n"
    "Any command takes --verbose (errors also say where in Kyper's source they were raised) and\n"
    "Kokkos' own --kokkos-... options (e.g. --kokkos-num-threads=4).\n";

// `kyper <command> --help`: what the command does and every option it takes.
const std::map<std::string, std::string>& command_help() {
  static const std::map<std::string, std::string> help = {
      {"search",
       "usage: kyper search --config FILE [--output DIR] [--resume]\n"
       "Runs the hyperparameter search a job file describes (README: \"The main job\"), one trial per MPI\n"
       "rank under mpiexec, and writes results.csv, summary.json, best.kyper and every trial's model.\n"
       "options:\n"
       "  --config FILE   the job (JSON): dataset, task, model, training, space, search, budget, output;\n"
       "                  or an \"objective\" object, a command run per trial (README: \"Tune any program\")\n"
       "  --output DIR    the output folder (default: the job's \"output\", else kyper-output)\n"
       "  --resume        continue the search in DIR: finished trials are read back, never re-run\n"
       "  --verbose       errors also name the place in Kyper's source that raised them\n"
       "  --keys          (alone) print every key a job file takes, with type, default and meaning\n"},
      {"nas",
       "usage: kyper nas --config FILE [--output DIR] [--resume]\n"
       "A search whose job has an \"architecture\" section: the network itself is searched (random,\n"
       "evolution or agebo); writes best_architecture.txt besides the search's outputs.\n"
       "options:\n"
       "  --config FILE   the job (JSON) with an \"architecture\" section\n"
       "  --output DIR    the output folder (default: the job's \"output\")\n"
       "  --resume        continue the search in DIR\n"
       "  --verbose       errors also name the place in Kyper's source that raised them\n"},
      {"predict",
       "usage: kyper predict (--model FILE | --ensemble FILE) --data X.csv [--uncertainty] [--output FILE]\n"
       "Predicts every row of a CSV file that has the model's feature columns; when it also has the\n"
       "target columns, prints the scores. A sequence model (a job with a \"sequence\" section) forecasts\n"
       "from every window of a series instead: one row per window, its origin first (README: Sequences).\n"
       "options:\n"
       "  --model FILE      a model file (best.kyper or models/trial_<id>.kyper)\n"
       "  --ensemble FILE   an ensemble manifest (ensemble_<method>.json) from kyper ensemble\n"
       "  --data FILE       the rows to predict (CSV with a header)\n"
       "  --uncertainty     with --ensemble: also the aleatoric/epistemic split and the 95% interval\n"
       "  --output FILE     where the predictions go (default predictions.csv)\n"
       "  --verbose         errors also name the place in Kyper's source that raised them\n"},
      {"ensemble",
       "usage: kyper ensemble --catalogue DIR [--method robust|greedy|topk|random-init] [--k K] [--output FILE]\n"
       "Builds a deep ensemble from the models a search kept in DIR/models (AutoDEUQ), without\n"
       "retraining, or retrains one configuration from K seeds (random-init, the baseline).\n"
       "options:\n"
       "  --catalogue DIR   a search's output folder\n"
       "  --method M        robust (default): top K below 100 validation rows, else greedy selection\n"
       "                    continued to K distinct members; greedy: Caruana selection on the validation\n"
       "                    NLL, stops when no addition helps; topk: the K best; random-init: K seeds of\n"
       "                    the best trial's configuration (needs --config)\n"
       "  --k K             ensemble size (default 5): the number of distinct members (greedy: at most)\n"
       "  --config FILE     random-init: the search's job file\n"
       "  --trial ID        random-init: retrain this trial's configuration instead of the best\n"
       "  --output FILE     the manifest (default DIR/ensemble_<method>.json)\n"
       "  --verbose         errors also name the place in Kyper's source that raised them\n"},
      {"report",
       "usage: kyper report --output DIR [--top K] [--title TEXT] [--config FILE] [--report FILE]\n"
       "Writes DIR/report.html: one self-contained page (inline SVG, no scripts, no network) with the\n"
       "search trajectory, worker utilisation, the top trials and their parallel coordinates, hyperparameter\n"
       "importance, training curves, the best NAS architecture and every ensemble's uncertainty views.\n"
       "options:\n"
       "  --output DIR    the search's output folder\n"
       "  --top K         trials in the table, parallel coordinates and curves (default 10)\n"
       "  --title TEXT    the page's title (default: Kyper search: DIR)\n"
       "  --config FILE   the job file, when DIR has no space.json (a search killed before its end)\n"
       "  --report FILE   where the page goes (default DIR/report.html)\n"
       "  --verbose       errors also name the place in Kyper's source that raised them\n"}};
  return help;
}

bool wants_help(const std::string& arg) { return arg == "--help" || arg == "-h"; }

// --key value options after the subcommand; unknown options are errors naming them.
std::map<std::string, std::string> parse_options(int argc, char** argv, const std::vector<std::string>& valued,
                                                 const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (std::find(flags.begin(), flags.end(), arg) != flags.end()) {
      out[arg] = "1";
    } else if (std::find(valued.begin(), valued.end(), arg) != valued.end()) {
      KYPER_REQUIRE(i + 1 < argc, "option " << arg << " needs a value");
      out[arg] = argv[++i];
    } else {
      std::vector<std::string> known = valued;
      known.insert(known.end(), flags.begin(), flags.end());
      KYPER_FAIL("unknown option '" << arg << "'" << kyper::did_you_mean(arg, known) << "; 'kyper " << argv[1]
                                    << " --help' lists the options");
    }
  }
  return out;
}


void write_summary(const kyper::SearchJob& job, const kyper::SearchSummary& summary) {
  namespace rj = kyper::json::rj;
  rj::StringBuffer buffer;
  rj::PrettyWriter<rj::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("config"), w.String(job.config_path.c_str());
  w.Key("algorithm"), w.String(job.algorithm.c_str());
  w.Key("ranks"), w.Int(summary.ranks);
  w.Key("finished"), w.Int64(summary.finished);
  w.Key("failed"), w.Int64(summary.failed);
  w.Key("resumed"), w.Int64(summary.resumed);
  w.Key("seconds"), w.Double(summary.seconds);
  w.Key("utilisation"), w.Double(summary.utilisation);
  w.Key("maximize"), w.Bool(job.search_options.maximize);
  if (summary.best) {
    w.Key("best");
    w.StartObject();
    w.Key("trial"), w.Int64(summary.best->id);
    w.Key("objective"), w.Double(*summary.best->objective);
    w.Key("configuration"), w.String(summary.best->config.to_string().c_str());
    w.EndObject();
  }
  w.EndObject();
  kyper::write_file_atomically((fs::path(job.scheduler.output_dir) / "summary.json").string(),
                               std::string(buffer.GetString()) + "\n", "search summary");
  // The space beside the results, so the folder alone can be read back (kyper report).
  kyper::write_file_atomically((fs::path(job.scheduler.output_dir) / "space.json").string(), job.space.to_json() + "\n",
                               "search space");
}

int search_command(int argc, char** argv, bool nas) {
  auto options = parse_options(argc, argv, {"--config", "--output"}, {"--resume"});
  KYPER_REQUIRE(options.count("--config"), "kyper search needs --config FILE\n" << kUsage);
  kyper::SearchJob job = kyper::load_search_job(options["--config"]);
  KYPER_REQUIRE(!nas || (job.problem && job.problem->architecture),
                job.config_path << ": kyper nas needs an \"architecture\" section (the network search space)");
  if (options.count("--output")) job.scheduler.output_dir = options["--output"];
  job.scheduler.resume = options.count("--resume") > 0;
  int rank = 0, size = 1;
#if KYPER_HAS_MPI
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
#endif
  auto search = kyper::make_search(job, rank, size);
  auto trial = job.trial();
  if (rank == 0 && job.command)
    std::printf("kyper search: %s, %s running '%s' per trial, %d rank(s), output %s\n", job.config_path.c_str(),
                job.algorithm.c_str(), kyper::join(job.command->command, " ").c_str(), size, job.scheduler.output_dir.c_str());
  else if (rank == 0)
    std::printf("kyper search: %s, %s on %zu training / %zu validation %s, %d rank(s), output %s\n",
                job.config_path.c_str(), job.algorithm.c_str(), job.problem->train.rows(),
                job.problem->validation.rows(), job.problem->sequence.enabled() ? "windows" : "rows", size,
                job.scheduler.output_dir.c_str());
  if (rank == 0 && job.algorithm == "cbo") std::printf("%s\n", kyper::search::describe_defaults(job.cbo, job.space).c_str());
  if (rank == 0 && job.problem && job.problem->architecture)
    std::printf("architecture space: %d choices per network, %.6g architectures\n",
                job.problem->architecture->dimensions(), job.problem->architecture->size());
#if KYPER_HAS_MPI
  kyper::SearchSummary summary = kyper::run_search(*search, trial, job.scheduler, MPI_COMM_WORLD);
#else
  kyper::SearchSummary summary = kyper::run_search(*search, trial, job.scheduler);
#endif
  if (rank != 0) return 0;
  write_summary(job, summary);
  const std::string report_hint = "analytics: kyper report --output " + job.scheduler.output_dir;
  std::printf("done: %ld trials (%ld failed, %ld from a previous run) in %.1f s, utilisation %.1f%%\n",
              summary.finished, summary.failed, summary.resumed, summary.seconds, 100 * summary.utilisation);
  if (summary.best) {
    std::printf("best: trial %ld objective %.6g  %s\n", long(summary.best->id), *summary.best->objective,
                summary.best->config.to_string().c_str());
    auto path = summary.best->metadata.find("model_path");
    if (path != summary.best->metadata.end() && fs::exists(path->second)) {
      const fs::path best = fs::path(job.scheduler.output_dir) / "best.kyper";
      fs::copy_file(path->second, best, fs::copy_options::overwrite_existing);
      std::printf("best model: %s\n", best.string().c_str());
    }
    if (job.problem && job.problem->architecture) {
      // The readable form of the winner: layers, widths, skips and parameter count.
      const auto& arch = *job.problem->architecture;
      const fs::path text = fs::path(job.scheduler.output_dir) / "best_architecture.txt";
      std::ofstream(text) << arch.summary(arch.architecture_of(summary.best->config));
      std::printf("best architecture (%s):\n%s", text.string().c_str(),
                  arch.summary(arch.architecture_of(summary.best->config)).c_str());
    }
  }
  std::printf("%s\n", report_hint.c_str());
  return 0;
}


int parse_count(const std::string& option, const std::string& text, int minimum = 1) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  KYPER_REQUIRE(used == text.size() && value >= minimum, "option " << option << " needs a whole number >= " << minimum << ", got '" << text
                                                             << "'");
  return value;
}

bool has_columns(const kyper::Table& table, const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (std::find(table.columns.begin(), table.columns.end(), n) == table.columns.end()) return false;
  return true;
}

void print_scores(const kyper::uq::MemberPredictions& p, const std::vector<float>& targets, const char* what) {
  if (p.kind == kyper::uq::PredictionKind::Gaussian) {
    const auto s = kyper::uq::score_regression(p, targets.data());
    std::printf("%s: NLL %.4f (mixture) %.4f (Gaussian of mean and variance)  RMSE %.4f  CRPS %.4f  "
                "coverage68 %.3f (width %.4g)  coverage95 %.3f (width %.4g)\n",
                what, s.nll, s.gaussian_nll, s.rmse, s.crps, s.coverage68, s.width68, s.coverage95, s.width95);
  } else {
    const auto s = kyper::uq::score_classification(p, targets.data());
    std::printf("%s: NLL %.4f  accuracy %.4f  Brier %.4f  ECE %.4f\n", what, s.nll, s.accuracy, s.brier, s.ece);
  }
}

void print_point_scores(const kyper::Predictions& p, const std::vector<float>& targets, const char* what) {
  double squared = 0, absolute = 0;
  for (std::size_t i = 0; i < p.values.size(); ++i) {
    const double error = double(p.values[i]) - targets[i];
    squared += error * error, absolute += std::abs(error);
  }
  const double n = double(p.values.size());
  std::printf("%s: RMSE %.4f  MAE %.4f  (a point prediction: no NLL)\n", what, std::sqrt(squared / n), absolute / n);
}

// Ensembles of sequence models are not supported yet: say so instead of failing on window columns.
void reject_sequence_model(const std::string& model_path, const std::string& what) {
  const kyper::Model model = kyper::Model::load(model_path);
  KYPER_REQUIRE(!model.sequence().enabled(), what << ": " << model_path << " is a sequence model (window "
                                                  << model.sequence().window << ", horizon " << model.sequence().horizon
                                                  << "); ensembles of sequence models are not supported: use kyper "
                                                     "predict --model with one model");
}

// `kyper predict --model` for a sequence model: a forecast from every window of the series (every
// row where a whole window of inputs exists, whether or not its future is in the file). Columns:
// origin (the file line of the window's last input step; the header is line 1), then the usual
// columns of predict --model for the targets <column>@t+<k>. With the target columns in the file,
// the windows whose future is there are scored: over all steps, then RMSE per horizon step, and
// against persistence (the last input value) for targets that are also inputs.
int predict_sequence(kyper::Model& model, const std::string& model_path, const std::string& data_path,
                     const std::string& out) {
  const kyper::SequenceSpec spec = model.sequence();
  const kyper::Table series = kyper::read_series(data_path, spec.inputs, spec.targets);
  const bool has_targets = has_columns(series, spec.targets);
  const kyper::SequenceWindows windows = kyper::make_prediction_windows(series, spec);
  KYPER_REQUIRE(windows.data.feature_names == model.feature_names(),
                model_path << ": the model's " << model.feature_names().size() << " input columns do not match its "
                           << "sequence windowing (" << windows.data.num_features() << " values per window)");
  const kyper::Predictions raw = model.predict(windows.data);
  const std::size_t H = std::size_t(spec.horizon), T = spec.targets.size(), outputs = H * T;
  const std::size_t cols = raw.columns.size(), stride = cols / outputs;
  // The windows whose whole future is in the file: the first ones (same starts, stride 1).
  const bool scored = has_targets && series.rows() >= std::size_t(spec.window + spec.horizon);
  kyper::SequenceWindows truth;
  if (scored) {
    kyper::SequenceSpec every = spec;
    every.stride = 1;
    truth = kyper::make_windows(series, every);
  }
  const std::size_t m = truth.data.rows();
  kyper::Predictions head = raw;  // the scored rows
  head.rows = long(m);
  head.values.resize(m * cols);
  kyper::Predictions p;
  if (kyper::uq::is_distribution(raw)) {
    kyper::uq::MemberPredictions one;
    one.add(raw, 1.0);
    p = kyper::uq::ensemble_table(one, false);
    if (scored) {
      kyper::uq::MemberPredictions scored_one;
      scored_one.add(head, 1.0);
      print_scores(scored_one, truth.data.targets, (data_path + ", all horizon steps").c_str());
    }
  } else {
    p = raw;
    for (auto& column : p.columns) column += "_mean";
    if (scored) {
      for (auto& column : head.columns) column += "_mean";
      print_point_scores(head, truth.data.targets, (data_path + ", all horizon steps").c_str());
    }
  }
  if (scored) {
    std::printf("RMSE per horizon step (%zu windows):", m);
    std::vector<double> model_sq(H, 0), persistence_sq(H, 0);
    std::vector<long> persistence_input(T, -1);  // the input column of a target, for persistence
    for (std::size_t t = 0; t < T; ++t)
      for (std::size_t i = 0; i < spec.inputs.size(); ++i)
        if (spec.inputs[i] == spec.targets[t]) persistence_input[t] = long(series.column_index(spec.inputs[i]));
    const bool persistence = std::all_of(persistence_input.begin(), persistence_input.end(), [](long c) { return c >= 0; });
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t k = 0; k < H; ++k)
        for (std::size_t t = 0; t < T; ++t) {
          const double y = truth.data.targets[r * outputs + k * T + t];
          const double e = raw.values[r * cols + (k * T + t) * stride] - y;
          model_sq[k] += e * e;
          if (persistence) {
            const double last = series.at(truth.origins[r], std::size_t(persistence_input[t]));
            persistence_sq[k] += (last - y) * (last - y);
          }
        }
    for (std::size_t k = 0; k < H; ++k) std::printf(" t+%zu %.4f", k + 1, std::sqrt(model_sq[k] / double(m * T)));
    std::printf("\n");
    if (persistence) {
      double model_all = 0, persistence_all = 0;
      std::printf("persistence (the last input value) RMSE per horizon step:");
      for (std::size_t k = 0; k < H; ++k) {
        std::printf(" t+%zu %.4f", k + 1, std::sqrt(persistence_sq[k] / double(m * T)));
        model_all += model_sq[k], persistence_all += persistence_sq[k];
      }
      std::printf("\nRMSE over all steps: model %.4f, persistence %.4f\n", std::sqrt(model_all / double(m * outputs)),
                  std::sqrt(persistence_all / double(m * outputs)));
    }
  } else if (has_targets) {
    std::printf("not scored: the series has %zu rows; a window of %d steps and a horizon of %d need %d\n", series.rows(),
                spec.window, spec.horizon, spec.window + spec.horizon);
  }
  // One row per window: its origin line, then the forecast (floats, as predict writes them: exact
  // line numbers up to 2^24).
  KYPER_REQUIRE(series.rows() + 1 < (std::size_t(1) << 24), data_path << ": " << series.rows()
                                                                      << " rows are too many for exact origin lines");
  std::vector<std::string> columns = {"origin"};
  columns.insert(columns.end(), p.columns.begin(), p.columns.end());
  const std::size_t pc = p.columns.size();
  std::vector<float> values;
  values.reserve(std::size_t(p.rows) * (pc + 1));
  for (std::size_t r = 0; r < std::size_t(p.rows); ++r) {
    values.push_back(float(windows.origins[r] + 2));  // row r of the file is line r + 2
    values.insert(values.end(), p.values.begin() + long(r * pc), p.values.begin() + long((r + 1) * pc));
  }
  kyper::write_csv(out, columns, values);
  std::printf("wrote %ld forecasts (origin, %s) to %s\n", p.rows, kyper::join(p.columns).c_str(), out.c_str());
  return 0;
}

int predict_command(int argc, char** argv) {
  auto options = parse_options(argc, argv, {"--model", "--ensemble", "--data", "--output"}, {"--uncertainty"});
  KYPER_REQUIRE((options.count("--model") != options.count("--ensemble")) && options.count("--data"),
                "kyper predict needs --data FILE and one of --model FILE or --ensemble FILE\n" << kUsage);
  const std::string out = options.count("--output") ? options["--output"] : "predictions.csv";
  kyper::Predictions p;
  if (options.count("--model")) {
    KYPER_REQUIRE(!options.count("--uncertainty"), "--uncertainty needs --ensemble (a single model has no epistemic part)");
    kyper::Model model = kyper::Model::load(options["--model"]);
    if (model.sequence().enabled()) return predict_sequence(model, options["--model"], options["--data"], out);
    const kyper::Table table = kyper::read_csv(options["--data"]);
    const bool scored = has_columns(table, model.target_names());
    const kyper::Dataset data =
        kyper::select(table, model.feature_names(), scored ? model.target_names() : std::vector<std::string>{});
    const kyper::Predictions raw = model.predict(data);
    if (kyper::uq::is_distribution(raw)) {
      // A model with a predictive distribution is an ensemble of one: same columns, same scores.
      kyper::uq::MemberPredictions one;
      one.add(raw, 1.0);
      p = kyper::uq::ensemble_table(one, false);
      if (scored) print_scores(one, data.targets, options["--data"].c_str());
    } else {
      p = raw;  // a point regression: "<t>_mean"
      for (auto& column : p.columns) column += "_mean";
      if (scored) print_point_scores(p, data.targets, options["--data"].c_str());
    }
  } else {
    kyper::uq::Ensemble ensemble = kyper::uq::Ensemble::load(options["--ensemble"]);
    if (!ensemble.members().empty())
      reject_sequence_model(ensemble.members().front().model_path, "kyper predict --ensemble " + options["--ensemble"]);
    const kyper::Table table = kyper::read_csv(options["--data"]);
    // With the target columns present, the data is also scored.
    const bool scored = has_columns(table, ensemble.target_names());
    const kyper::Dataset data =
        kyper::select(table, ensemble.feature_names(), scored ? ensemble.target_names() : std::vector<std::string>{});
    const kyper::uq::MemberPredictions members = ensemble.predict(data);
    p = kyper::uq::ensemble_table(members, options.count("--uncertainty") > 0);
    std::printf("ensemble of %d members (%s)\n", members.members, ensemble.method().c_str());
    if (scored) print_scores(members, data.targets, options["--data"].c_str());
  }
  kyper::write_csv(out, p.columns, p.values);
  std::printf("wrote %ld predictions (%s) to %s\n", p.rows, kyper::join(p.columns).c_str(), out.c_str());
  return 0;
}

// The best successful trial of a search's results.csv, or trial `id`.
kyper::search::Configuration trial_configuration(const kyper::SearchJob& job, const std::string& results, long id) {
  const auto rows = kyper::search::read_results(results, job.space);
  const kyper::search::Observation* chosen = nullptr;
  for (const auto& o : rows) {
    if (id >= 0 ? o.id == id : (!o.failed() && (!chosen || (*o.objective > *chosen->objective) == job.search_options.maximize)))
      chosen = &o;
  }
  KYPER_REQUIRE(chosen, results << ": " << (id >= 0 ? "no trial " + std::to_string(id) : std::string("no successful trial")));
  KYPER_REQUIRE(id < 0 || !chosen->failed(), results << ": trial " << id << " failed (" << chosen->reason << ")");
  return chosen->config;
}

int ensemble_command(int argc, char** argv) {
  auto options = parse_options(argc, argv, {"--catalogue", "--k", "--method", "--output", "--config", "--trial"}, {});
  KYPER_REQUIRE(options.count("--catalogue"), "kyper ensemble needs --catalogue DIR (a search's output folder)\n" << kUsage);
  const std::string folder = options["--catalogue"];
  const int k = options.count("--k") ? parse_count("--k", options["--k"]) : 5;
  const std::string method = options.count("--method") ? options["--method"] : "robust";
  kyper::uq::Ensemble ensemble;
  std::string out;
  if (method == "random-init") {
    KYPER_REQUIRE(options.count("--config"), "--method random-init retrains a configuration: it needs --config search.json");
    const kyper::SearchJob job = kyper::load_search_job(options["--config"]);
    KYPER_REQUIRE(job.problem, job.config_path << ": --method random-init retrains the built-in training trial; this job "
                                                  "runs a command (its objective is an object)");
    KYPER_REQUIRE(!job.problem->sequence.enabled(), job.config_path << ": --method random-init: the job has a \"sequence\" "
                                                                       "section; ensembles of sequence models are not supported");
    const long trial = options.count("--trial") ? parse_count("--trial", options["--trial"], 0) : -1;
    const auto config = trial_configuration(job, (fs::path(folder) / "results.csv").string(), trial);
    std::printf("random-init ensemble: training %d seeds of %s\n", k, config.to_string().c_str());
    ensemble = kyper::uq::train_random_init_ensemble(*job.problem, config, k, (fs::path(folder) / "random_init").string());
    out = options.count("--output") ? options["--output"] : (fs::path(folder) / "ensemble_random-init.json").string();
  } else {
    KYPER_REQUIRE(!options.count("--config") && !options.count("--trial"), "--config and --trial are for --method random-init");
    const auto selection_method = kyper::uq::parse_selection_method(method);
    // A sequence search's models: refused before the catalogue's own checks, which would not say why.
    for (const fs::path& dir : {fs::path(folder) / "models", fs::path(folder)}) {
      std::error_code ec;
      for (const auto& file : fs::directory_iterator(dir, ec)) {
        const std::string name = file.path().filename().string();
        if (name.rfind("trial_", 0) == 0 && file.path().extension() == ".kyper") {
          reject_sequence_model(file.path().string(), "kyper ensemble");
          break;
        }
      }
      if (!ec) break;
    }
    const kyper::uq::Catalogue catalogue = kyper::uq::load_catalogue(folder);
    for (const auto& why : catalogue.skipped) std::fprintf(stderr, "skipped: %s\n", why.c_str());
    const auto& v = catalogue.validation;
    const auto ll = kyper::uq::member_log_likelihood(v, catalogue.targets.data());
    const kyper::uq::Selection selection = kyper::uq::select(selection_method, ll, v.members, v.rows, k);
    std::printf("catalogue %s: %d models, %ld validation rows\n", catalogue.folder.c_str(), v.members, v.rows);
    std::printf("%s selection, k = %d: validation NLL by step:", kyper::uq::to_string(selection_method), k);
    for (double nll : selection.nll) std::printf(" %.4f", nll);
    std::printf("\nrule: %s\n", selection.rule.c_str());
    if (selection.members.size() < 2)
      std::fprintf(stderr,
                   "warning: the ensemble has %zu distinct member(s): its epistemic variance is zero. Use a "
                   "larger --k, --method robust or topk, or a catalogue with more usable models.\n",
                   selection.members.size());
    print_scores(v.pick({selection.members.front()}, {1.0}), catalogue.targets, "best single model, validation");
    print_scores(v.pick(selection.members, selection.weights), catalogue.targets, "ensemble, validation");
    ensemble = kyper::uq::Ensemble::from_selection(catalogue, selection, kyper::uq::to_string(selection_method));
    // One manifest per method, so building a second ensemble does not overwrite the first.
    out = options.count("--output") ? options["--output"]
                                    : (fs::path(folder) / ("ensemble_" + method + ".json")).string();
  }
  for (const auto& m : ensemble.members())
    std::printf("  member trial %ld weight %.3f %s\n", long(m.trial), m.weight, m.model_path.c_str());
  ensemble.save(out);
  std::printf("ensemble (validation NLL %.4f): %s\n", ensemble.validation_nll(), out.c_str());
  return 0;
}

int report_command(int argc, char** argv) {
  auto options = parse_options(argc, argv, {"--output", "--top", "--title", "--config", "--report"}, {});
  KYPER_REQUIRE(options.count("--output"), "kyper report needs --output DIR (a search's output folder)\n" << kUsage);
  kyper::ReportOptions report;
  report.output_dir = options["--output"];
  if (options.count("--top")) report.top = parse_count("--top", options["--top"]);
  report.title = options["--title"];
  report.config_path = options["--config"];
  report.report_path = options["--report"];
  const kyper::ReportSummary written = kyper::write_report(report);
  for (const auto& note : written.notes) std::printf("not shown: %s\n", note.c_str());
  std::printf("report: %s (%zu bytes, %ld trials, sections: %s) in %.2f s\n", written.path.c_str(), written.bytes,
              written.trials, kyper::join(written.sections).c_str(), written.seconds);
  return 0;
}

// Removes --verbose from the arguments; true when it was there.
bool take_verbose_flag(int& argc, char** argv) {
  bool verbose = false;
  int kept = 0;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strcmp(argv[i], "--verbose") == 0) verbose = true;
    else argv[kept++] = argv[i];
  }
  argc = kept;
  return verbose;
}

}  // namespace

int main(int argc, char** argv) {
  const bool verbose = take_verbose_flag(argc, argv);
  // Where in Kyper an error came from, only on request: users see the file, line and key they
  // wrote, in every build type (the sanitizer build is not NDEBUG).
  const bool show_source = verbose;
  const std::string command = argc >= 2 ? argv[1] : "";
  // Help is answered before Kokkos starts: Kokkos would take --help for its own.
  if (wants_help(command) || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command_help().count(command))
    for (int i = 2; i < argc; ++i)
      if (wants_help(argv[i])) {
        std::cout << command_help().at(command);
        return 0;
      }
  if (command == "search" && argc == 3 && std::string(argv[2]) == "--keys") {
    std::cout << kyper::job_reference_markdown();  // the README's job file reference
    return 0;
  }
  if (command == "--version" || command == "version") {
    const kyper::HostThreadDefaults threads = kyper::apply_host_thread_defaults(argc, argv);
    std::cout << "kyper " << KYPER_VERSION_STRING << "\n" << kyper::describe_backends() << "\nhost threads: "
              << threads.describe() << "\n";
    return 0;
  }
  if (command != "search" && command != "nas" && command != "predict" && command != "ensemble" && command != "report") {
    std::cerr << kUsage;
    return 2;
  }
  kyper::Runtime runtime(argc, argv, -1, command == "search" || command == "nas");
  try {
    if (command == "search" || command == "nas") return search_command(argc, argv, command == "nas");
    if (command == "report") return report_command(argc, argv);
    return command == "predict" ? predict_command(argc, argv) : ensemble_command(argc, argv);
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const kyper::Error*>(&e);
    if (show_source && error && !error->source_location().empty())
      std::fprintf(stderr, "kyper %s: error: %s [%s]\n", command.c_str(), e.what(), error->source_location().c_str());
    else
      std::fprintf(stderr, "kyper %s: error: %s\n", command.c_str(), e.what());
#if KYPER_HAS_MPI
    int size = 1, initialized = 0;
    MPI_Initialized(&initialized);  // only `search` starts MPI
    if (initialized) MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(MPI_COMM_WORLD, 1);  // the other ranks would wait forever
#endif
    return 1;
  }
}
