// Multi-fidelity benchmark: what each stopper (none, asha, median, lce) buys in epochs, on
//   diabetes:  the built-in training trial (make_training_trial) on examples/data/diabetes.csv, a
//              2-layer MLP trained for 27 epochs, units and learning_rate searched;
//   synthetic: an instant learning curve with known ground truth (below), some configurations
//              improving slowly and then overtaking faster ones.
// Every stopper runs the same search algorithm with the same seed and the same number of trials.
// Random search by default: it proposes the same configurations whatever the objectives it is told,
// so the stopper is the only thing that differs between rows (CBO learns from the values of stopped
// trials, which changes its later proposals; --algorithm cbo runs it anyway).
//
//   bench_multifidelity stoppers [--problems synthetic,diabetes] [--stoppers none,asha,median,lce]
//                                [--seeds 5] [--synthetic-trials 100] [--diabetes-trials 100]
//                                [--epochs 27] [--algorithm random|cbo[:RULE]] [--data PATH]
//                                [--epoch-budget E]  (also: the best reached within E epochs)
//                                [--stopper-trials N] (trials of the rows with a stopper; default:
//                                 as many as the no-stopper row)
//                                [--min-budget B] (the stoppers' first rung or grace budget; 1)
//     (RULE: what CBO learns from stopped trials, CBOOptions::stopped_trials: as_reported,
//      below_further (the default) or ignore)
//   bench_multifidelity utilisation [--trials-per-worker 100] [--sleep-ms 5] [--stopper asha]
//                                   [--algorithm random|cbo] [--epochs 27] [--header 1]
//                                   [--decentralized 0] (1: every rank runs trials; the same
//                                   number of trials in all)
//                                   (under mpiexec; the output folder goes under $TMPDIR)
//
// Trials run one after another in this process (stoppers mode), so "epochs spent" is exact: the
// sum of the epochs every trial trained, counted as they finish; a trial's result counts from the
// moment the epochs it trained are all spent.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <kyper/builtin_trial.hpp>
#include <kyper/dataset.hpp>
#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/random_search.hpp>

namespace fs = std::filesystem;
using namespace kyper;

namespace {

// ---------------------------------------------------------------------------------------------
// The synthetic learning curve. Parameters u1, u2 in [0, 1] (Branin's domain, scaled) and a
// learning rate lr in [1e-3, 1] (log). After e epochs:
//   value(e) = final(x) - a(x) * exp(-alpha(lr) * e) + noise(x, e)
//   final(x) = 1 - branin(15 u1 - 5, 15 u2) / 300 - 0.15 (log10 lr + 1.5)^2  (best lr: 0.03)
//   a(x)     = 0.5 + u2                                                       (initial gap)
//   alpha    = 0.05 (lr / 1e-3)^0.4                                           (0.05 .. 0.79)
//   noise    ~ N(0, 0.005^2), a fixed function of (x, e): the same configuration gives the same curve.
// High learning rates lead for the first epochs and are overtaken by moderate ones around epoch
// 5-9; the lowest ones are still far from final(x) at 27 epochs. Early values rank configurations
// only roughly (the bench prints the rank correlations with epoch 27). The maximum over the space
// of value(27) is about 0.999 (final's maximum: 1 - 0.398/300).
double branin(double u1, double u2) {
  const double x = 15 * u1 - 5, y = 15 * u2;
  const double pi = 3.14159265358979323846;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  return std::pow(y - b * x * x + c * x - 6, 2) + 10 * (1 - t) * std::cos(x) + 10;
}

struct Curve {
  double final_value, gap, alpha;
};

Curve curve_of(double u1, double u2, double lr) {
  const double l = std::log10(lr) + 1.5;
  return {1 - branin(u1, u2) / 300 - 0.15 * l * l, 0.5 + u2, 0.05 * std::pow(lr / 1e-3, 0.4)};
}

std::uint64_t mix(std::uint64_t h) {
  h ^= h >> 33, h *= 0xff51afd7ed558ccdULL, h ^= h >> 33, h *= 0xc4ceb9fe1a85ec53ULL, h ^= h >> 33;
  return h;
}

std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

double noise(double u1, double u2, double lr, int epoch) {
  std::uint64_t h = mix(bits(u1) ^ mix(bits(u2) ^ mix(bits(lr) ^ mix(std::uint64_t(epoch) + 17))));
  std::mt19937_64 rng(h);
  return 0.005 * std::normal_distribution<double>(0, 1)(rng);
}

double curve_value(double u1, double u2, double lr, int epoch) {
  const Curve c = curve_of(u1, u2, lr);
  return c.final_value - c.gap * std::exp(-c.alpha * epoch) + noise(u1, u2, lr, epoch);
}

search::Space synthetic_space() {
  search::Space space;
  space.add_float("u1", 0, 1).add_float("u2", 0, 1).add_float("lr", 1e-3, 1, true);
  return space;
}

// Trains (instantly, or sleeping `sleep_s` per epoch) for up to `epochs` epochs, reporting each;
// the objective is the best value reached (as the built-in trial's best validation loss).
TrialFunction synthetic_trial(int epochs, double sleep_s) {
  return [epochs, sleep_s](const search::Configuration& c, const TrialContext& ctx) {
    const double u1 = c.number("u1"), u2 = c.number("u2"), lr = c.number("lr");
    double best = -std::numeric_limits<double>::infinity();
    for (int e = 1; e <= epochs; ++e) {
      if (sleep_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(sleep_s));
      const double v = curve_value(u1, u2, lr, e);
      best = std::max(best, v);
      if (ctx.report(e, v)) break;
    }
    return TrialOutcome::success(best);
  };
}

// Spearman rank correlation.
double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    for (size_t i = 0; i < v.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[order[i]] = double(i);
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double n = double(a.size()), mean = (n - 1) / 2;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i)
    sab += (ra[i] - mean) * (rb[i] - mean), saa += (ra[i] - mean) * (ra[i] - mean), sbb += (rb[i] - mean) * (rb[i] - mean);
  return sab / std::sqrt(saa * sbb);
}

// ---------------------------------------------------------------------------------------------
// Diabetes: the regression example's data (split seed 7, 20% validation), a 2-layer ReLU MLP,
// Adam, batch 32, MSE on standardised targets, `epochs` epochs without early stopping. Searched:
// units in [8, 128] (log) and learning_rate in [1e-4, 3e-2] (log). Objective: -best validation loss.
std::shared_ptr<TrainingProblem> diabetes_problem(const std::string& csv, int epochs, std::uint64_t seed) {
  auto problem = std::make_shared<TrainingProblem>();
  Dataset all = select(read_csv(csv), {}, {"progression"});
  Split parts = split(all, 0.2, 7);
  problem->train = std::move(parts.train);
  problem->validation = std::move(parts.validation);
  problem->task = Task::Regression;
  problem->objective = Objective::NegativeValidationLoss;
  problem->model.num_layers = 2;
  problem->training.epochs = epochs;
  problem->training.batch_size = 32;
  problem->training.patience = 0;
  problem->training.seed = seed * 100003;
  problem->save_models = false;
  return problem;
}

search::Space diabetes_space() {
  search::Space space;
  space.add_int("units", 8, 128, true).add_float("learning_rate", 1e-4, 3e-2, true);
  return space;
}

// ---------------------------------------------------------------------------------------------
struct Run {
  double final_best = -std::numeric_limits<double>::infinity();
  long total_epochs = 0;
  long stopped = 0;
  long failed = 0;
  std::vector<std::pair<long, double>> trace;  // (epochs spent when the trial finished, its objective)
  std::vector<long> epochs;                     // per finished trial, in finishing order
  std::vector<std::vector<double>> curves;      // the values it reported
  std::vector<double> objectives;               // per finished trial (NaN: failed)

  // The finishing position of the best trial.
  size_t best_position() const {
    size_t best = 0;
    for (size_t i = 0; i < objectives.size(); ++i)
      if (objectives[i] > objectives[best] || std::isnan(objectives[best])) best = i;
    return best;
  }
  double seconds = 0;
};

// Decentralized: rank `rank` of `ranks` gets its own seed and every ranks-th trial id.
std::unique_ptr<search::Search> make_search(const std::string& algorithm, const search::Space& space, std::uint64_t seed,
                                            int rank = 0, int ranks = 1) {
  search::SearchOptions so;
  so.seed = seed + std::uint64_t(rank) * 7919;
  so.id_offset = rank, so.id_stride = ranks;
  if (algorithm.rfind("cbo", 0) == 0) {  // cbo, or cbo:RULE with RULE CBOOptions::stopped_trials
    search::CBOOptions cbo;
    if (algorithm.size() > 4 && algorithm[3] == ':') cbo.stopped_trials = algorithm.substr(4);
    else if (algorithm != "cbo") cbo.stopped_trials = "?";
    try {
      return std::make_unique<search::CBO>(space, so, cbo);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "--algorithm %s: %s\n", algorithm.c_str(), e.what());
      std::exit(2);
    }
  }
  if (algorithm == "random") return std::make_unique<search::RandomSearch>(space, so);
  std::fprintf(stderr, "unknown --algorithm %s (random, cbo or cbo:as_reported|below_further|ignore)\n", algorithm.c_str());
  std::exit(2);
}

search::StopperOptions stopper_options(const std::string& kind, int epochs, double min_budget = 1) {
  search::StopperOptions s;  // defaults: min_budget 1, eta 3, min_trials 3, top_k 1, p 0.05, min_points 3
  s.kind = kind;
  s.max_budget = epochs;
  s.min_budget = min_budget;
  return s;
}

// Wraps a trial: counts the epochs it reports (or the "epochs" the built-in trial says it trained,
// if more: a diverged epoch is not reported) and whether the stopper ended it.
TrialFunction counted(const TrialFunction& inner, Run& run) {
  return [inner, &run](const search::Configuration& c, const TrialContext& ctx) {
    TrialContext mine = ctx;
    long epochs = 0;
    bool stopped = false;
    const auto reporter = ctx.reporter;
    std::vector<double> curve;
    mine.reporter = [&](double budget, double value) {
      ++epochs;
      curve.push_back(value);
      stopped = reporter ? reporter(budget, value) : false;
      return stopped;
    };
    TrialOutcome outcome;
    try {
      outcome = inner(c, mine);
    } catch (...) {
      run.total_epochs += epochs;
      throw;
    }
    auto it = outcome.metadata.find("epochs");
    if (it != outcome.metadata.end()) epochs = std::max(epochs, std::atol(it->second.c_str()));
    run.total_epochs += epochs;
    run.epochs.push_back(epochs);
    run.curves.push_back(std::move(curve));
    run.objectives.push_back(outcome.failed() ? std::nan("") : *outcome.objective);
    if (stopped) ++run.stopped;
    if (outcome.failed()) {
      ++run.failed;
    } else {
      run.trace.push_back({run.total_epochs, *outcome.objective});
      run.final_best = std::max(run.final_best, *outcome.objective);
    }
    return outcome;
  };
}

Run run_one(const TrialFunction& trial, const search::Space& space, const std::string& algorithm, std::uint64_t seed,
            const std::string& stopper, int epochs, long trials, const std::string& dir, double min_budget) {
  Run run;
  auto search = make_search(algorithm, space, seed);
  SchedulerOptions options;
  options.max_evaluations = trials;
  options.output_dir = dir;
  options.verbose = false;
  options.stopper = stopper_options(stopper, epochs, min_budget);
  const auto t0 = std::chrono::steady_clock::now();
  SearchSummary summary = run_search(*search, counted(trial, run), options);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (summary.finished != trials) std::fprintf(stderr, "warning: %ld of %ld trials finished\n", summary.finished, trials);
  return run;
}

// Epochs spent when `run` first had a trial at or above `target`; -1: never.
long epochs_to_reach(const Run& run, double target) {
  const double tolerance = 1e-12 * std::max(1.0, std::fabs(target));
  for (const auto& [spent, value] : run.trace)
    if (value >= target - tolerance) return spent;
  return -1;
}

// Best objective of `run` within `budget` epochs spent.
double best_within(const Run& run, long budget) {
  double best = -std::numeric_limits<double>::infinity();
  for (const auto& [spent, value] : run.trace)
    if (spent <= budget) best = std::max(best, value);
  return best;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  if (n == 0) return std::nan("");
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;  // inf stays inf (two infs: inf)
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) if (!item.empty()) out.push_back(item);
  return out;
}

struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& key, const std::string& fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
};

Args parse(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::fprintf(stderr, "bad argument '%s' (options are --name value)\n", argv[i]);
      std::exit(2);
    }
    a.values[key.substr(2)] = argv[++i];
  }
  return a;
}

std::string find_data(const std::string& given) {
  if (!given.empty()) return given;
  for (std::string p : {"examples/data/diabetes.csv", "../examples/data/diabetes.csv", "../../examples/data/diabetes.csv",
                        "../../../examples/data/diabetes.csv"})
    if (fs::exists(p)) return p;
  return "examples/data/diabetes.csv";
}

int stoppers_mode(const Args& args) {
  const auto problems = split_list(args.get("problems", "synthetic,diabetes"));
  auto stoppers = split_list(args.get("stoppers", "none,asha,median,lce"));
  if (std::find(stoppers.begin(), stoppers.end(), "none") == stoppers.end()) stoppers.insert(stoppers.begin(), "none");
  stoppers.erase(std::find(stoppers.begin(), stoppers.end(), "none"));
  stoppers.insert(stoppers.begin(), "none");  // the reference runs first
  const int seeds = std::stoi(args.get("seeds", "5"));
  const int epochs = std::stoi(args.get("epochs", "27"));
  const long synthetic_trials = std::stol(args.get("synthetic-trials", "100"));
  const long diabetes_trials = std::stol(args.get("diabetes-trials", "100"));
  // Trials of the rows with a stopper (default: as many as without). A stopper saves epochs; with
  // more trials a run can spend them on configurations the no-stopper run never tried.
  const long stopper_trials = std::stol(args.get("stopper-trials", "0"));
  // The stoppers' min_budget (asha, hyperband: the first rung; median, lce: the grace budget).
  const double min_budget = std::stod(args.get("min-budget", "1"));
  const std::string algorithm = args.get("algorithm", "random");
  const std::string data = find_data(args.get("data", ""));

  const fs::path temp = fs::temp_directory_path() / ("kyper-bench-mf-" + std::to_string(::getpid()));
  fs::remove_all(temp);
  fs::create_directories(temp);

  struct Row {
    std::string problem, stopper;
    long trials;
    std::vector<Run> runs;  // per seed
  };
  std::vector<Row> rows;
  for (const std::string& problem : problems) {
    if (problem != "synthetic" && problem != "diabetes") {
      std::fprintf(stderr, "unknown problem %s (synthetic or diabetes)\n", problem.c_str());
      return 2;
    }
    const long trials = problem == "synthetic" ? synthetic_trials : diabetes_trials;
    const search::Space space = problem == "synthetic" ? synthetic_space() : diabetes_space();
    for (const std::string& stopper : stoppers) {
      const long row_trials = stopper != "none" && stopper_trials > 0 ? stopper_trials : trials;
      Row row{problem, stopper, row_trials, {}};
      for (int s = 0; s < seeds; ++s) {
        const std::uint64_t seed = std::uint64_t(s) + 1;
        const TrialFunction trial = problem == "synthetic" ? synthetic_trial(epochs, 0)
                                                           : make_training_trial(diabetes_problem(data, epochs, seed));
        const std::string dir = (temp / (problem + "_" + stopper + "_seed" + std::to_string(seed))).string();
        row.runs.push_back(run_one(trial, space, algorithm, seed, stopper, epochs, row_trials, dir, min_budget));
        const Run& r = row.runs.back();
        std::fprintf(stderr, "[%s %s seed %llu] best %.6g, %ld epochs, %ld stopped, %ld failed, %.1f s", problem.c_str(),
                     stopper.c_str(), (unsigned long long)seed, r.final_best, r.total_epochs, r.stopped, r.failed, r.seconds);
        if (stopper != "none" && algorithm == "random") {
          // What this stopper did to the trial that was best without one (the same configuration).
          const Row* none = nullptr;
          for (const Row& other : rows)
            if (other.problem == problem && other.stopper == "none") none = &other;
          const Run& ref = none->runs[size_t(s)];
          const size_t b = ref.best_position();
          std::fprintf(stderr, "; no-stopper best = trial %zu (%.6g), given %ld epochs here (%.6g); its curve:", b,
                       ref.objectives[b], b < r.epochs.size() ? r.epochs[b] : -1L, b < r.objectives.size() ? r.objectives[b] : 0.0);
          for (size_t e = 0; e < ref.curves[b].size(); e += (e < 9 ? 1 : 3)) std::fprintf(stderr, " %zu:%.4f", e + 1, ref.curves[b][e]);
        }
        std::fprintf(stderr, "\n");
      }
      rows.push_back(std::move(row));
    }
  }
  fs::remove_all(temp);

  std::printf("Stoppers: best objective against epochs spent (%s search, %d seeds, max %d epochs a trial; medians over seeds)\n",
              algorithm.c_str(), seeds, epochs);
  std::printf("| problem | stopper | trials | final best | total epochs | epochs to reach no-stopper best | ratio to no-stopper epochs "
              "| best gap at 1/3 of no-stopper epochs | trials stopped | epochs of the no-stopper best trial | seeds within 1/3 "
              "| target (<= 1/3) |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  const double inf = std::numeric_limits<double>::infinity();
  for (const Row& row : rows) {
    const Row* reference = nullptr;
    for (const Row& r : rows)
      if (r.problem == row.problem && r.stopper == "none") reference = &r;
    std::vector<double> best, total, reach, ratio, gap, stopped, given;
    int within = 0;
    for (size_t s = 0; s < row.runs.size(); ++s) {
      const Run& run = row.runs[s];
      const Run& ref = reference->runs[s];
      const long spent = epochs_to_reach(run, ref.final_best);
      best.push_back(run.final_best);
      total.push_back(double(run.total_epochs));
      reach.push_back(spent < 0 ? inf : double(spent));
      ratio.push_back(spent < 0 ? inf : double(spent) / double(ref.total_epochs));
      gap.push_back(ref.final_best - best_within(run, ref.total_epochs / 3));
      stopped.push_back(double(run.stopped));
      const size_t b = ref.best_position();
      given.push_back(b < run.epochs.size() ? double(run.epochs[b]) : std::nan(""));
      if (spent >= 0 && 3 * spent <= ref.total_epochs) ++within;
    }
    const double m_reach = median(reach), m_ratio = median(ratio);
    char reach_text[32], ratio_text[32];
    if (std::isinf(m_reach)) std::snprintf(reach_text, sizeof reach_text, "never");
    else std::snprintf(reach_text, sizeof reach_text, "%.0f", m_reach);
    if (std::isinf(m_ratio)) std::snprintf(ratio_text, sizeof ratio_text, "never");
    else std::snprintf(ratio_text, sizeof ratio_text, "%.3f", m_ratio);
    const bool met = 2 * within > int(row.runs.size());  // the median seed is within 1/3
    char given_text[32] = "-";  // only random search runs the same configurations in every row
    if (algorithm == "random") std::snprintf(given_text, sizeof given_text, "%.0f", median(given));
    std::printf("| %s | %s | %ld | %.5f | %.0f | %s | %s | %.4f | %.0f | %s | %d/%zu | %s |\n", row.problem.c_str(),
                row.stopper.c_str(), row.trials, median(best), median(total), reach_text, ratio_text, median(gap),
                median(stopped), given_text, within, row.runs.size(),
                row.stopper == "none" ? "(reference)" : met ? "met" : "missed");
  }

  const long epoch_budget = std::stol(args.get("epoch-budget", "0"));
  if (epoch_budget > 0) {
    // The same epochs for every stopper: the fair comparison when the trial count is large enough
    // that every run spends them (a run that spends fewer is marked).
    std::printf("\nBest objective within %ld epochs (medians over seeds, min-max in brackets)\n", epoch_budget);
    std::printf("| problem | stopper | best within %ld epochs | runs that spent fewer |\n|---|---|---:|---:|\n", epoch_budget);
    for (const Row& row : rows) {
      std::vector<double> best;
      int short_runs = 0;
      for (const Run& run : row.runs) {
        best.push_back(best_within(run, epoch_budget));
        short_runs += run.total_epochs < epoch_budget;
      }
      std::printf("| %s | %s | %.5f (%.5f-%.5f) | %d |\n", row.problem.c_str(), row.stopper.c_str(), median(best),
                  *std::min_element(best.begin(), best.end()), *std::max_element(best.begin(), best.end()), short_runs);
    }
  }

  if (std::find(problems.begin(), problems.end(), "synthetic") != problems.end()) {
    // Ground truth of the synthetic problem: how well early epochs rank configurations.
    std::mt19937_64 rng(12345);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> at1, at3, at9, at_end;
    for (int i = 0; i < 2000; ++i) {
      const double u1 = u(rng), u2 = u(rng), lr = std::pow(10.0, -3 + 3 * u(rng));
      at1.push_back(curve_value(u1, u2, lr, 1)), at3.push_back(curve_value(u1, u2, lr, 3));
      at9.push_back(curve_value(u1, u2, lr, 9)), at_end.push_back(curve_value(u1, u2, lr, epochs));
    }
    std::printf("synthetic ground truth: Spearman rank correlation of value at epoch 1 / 3 / 9 with value at epoch %d "
                "(2000 random configurations): %.2f / %.2f / %.2f\n",
                epochs, spearman(at1, at_end), spearman(at3, at_end), spearman(at9, at_end));
  }
  std::printf("final best: best objective of all trials (synthetic: best value a trial reported, ~0.999 at the optimum plus noise; diabetes: -validation MSE on "
              "standardised targets). Epochs to reach: epochs spent when a trial first reached the no-stopper run's final "
              "best of the same seed (the same configurations: %s). Best gap: no-stopper final best minus the best "
              "reached within 1/3 of the no-stopper run's epochs (0: reached). Epochs of the no-stopper best trial: how long this "
              "stopper let that configuration train. Target met: more than half the seeds within 1/3.\n",
              algorithm == "random" ? "random search proposes the same ones whatever it is told" : "not guaranteed with cbo");
  return 0;
}

int utilisation_mode(const Args& args) {
#if KYPER_HAS_MPI
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int per_worker = std::stoi(args.get("trials-per-worker", "100"));
  const double sleep_s = std::stod(args.get("sleep-ms", "5")) / 1000;
  const std::string stopper = args.get("stopper", "asha");
  const std::string algorithm = args.get("algorithm", "random");
  const int epochs = std::stoi(args.get("epochs", "27"));
  const int workers = size == 1 ? 1 : size - 1;
  const bool header = args.get("header", "1") != "0";
  const bool decentralized = args.get("decentralized", "0") != "0";

  std::string dir;
  if (rank == 0) {
    dir = (fs::temp_directory_path() / ("kyper-bench-mf-util-" + std::to_string(::getpid()))).string();
    fs::remove_all(dir);
  }
  int length = int(dir.size());
  MPI_Bcast(&length, 1, MPI_INT, 0, MPI_COMM_WORLD);
  dir.resize(size_t(length));
  MPI_Bcast(dir.data(), length, MPI_CHAR, 0, MPI_COMM_WORLD);

  auto search = decentralized ? make_search(algorithm, synthetic_space(), 1, rank, size)
                              : make_search(algorithm, synthetic_space(), 1);
  SchedulerOptions options;
  options.decentralized = decentralized;
  options.max_evaluations = long(workers) * per_worker;
  options.output_dir = dir;
  options.verbose = false;
  options.stopper = stopper_options(stopper, epochs);
  Run run;  // counts on each rank the trials it ran
  SearchSummary summary = run_search(*search, counted(synthetic_trial(epochs, sleep_s), run), options, MPI_COMM_WORLD);
  long counts[2] = {run.total_epochs, run.stopped}, sums[2] = {0, 0};
  MPI_Reduce(counts, sums, 2, MPI_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    fs::remove_all(dir);
    if (header) {
      std::printf("Utilisation (%s search, stopper %s, %s, %d ranks: %d trial ranks; synthetic curve sleeping "
                  "%.0f ms an epoch, max %d epochs; utilisation: busy / wall time of the trial ranks)\n",
                  algorithm.c_str(), stopper.c_str(), decentralized ? "decentralized" : "centralized", size,
                  decentralized ? size : workers, sleep_s * 1000, epochs);
      std::printf("| output folder in | ranks | trials | epochs | trials stopped | mean trial work s | wall s | utilisation "
                  "| target (>= 95%%) |\n");
      std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    }
    std::printf("| %s | %d | %ld | %ld | %ld | %.3f | %.2f | %.1f%% | %s |\n", fs::path(dir).parent_path().c_str(), size,
                summary.finished, sums[0], sums[1], sleep_s * double(sums[0]) / double(std::max(1L, summary.finished)),
                summary.seconds, 100 * summary.utilisation, summary.utilisation >= 0.95 ? "met" : "missed");
  }
  return 0;
#else
  (void)args;
  std::fprintf(stderr, "utilisation needs a build with MPI (Kyper_ENABLE_MPI=ON)\n");
  return 2;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  Runtime runtime(argc, argv);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "stoppers" && mode != "utilisation") {
    std::fprintf(stderr,
                 "usage: bench_multifidelity stoppers [--problems synthetic,diabetes] [--stoppers none,asha,median,lce] "
                 "[--seeds 5] [--synthetic-trials 100] [--diabetes-trials 100] [--epochs 27] [--algorithm random|cbo] "
                 "[--data diabetes.csv] [--epoch-budget E] [--stopper-trials N] [--min-budget B]\n"
                 "       bench_multifidelity utilisation [--trials-per-worker 100] [--sleep-ms 5] [--stopper asha] "
                 "[--algorithm random|cbo] [--epochs 27] [--header 1]   (under mpiexec; output under $TMPDIR)\n");
    return 2;
  }
  const Args args = parse(argc, argv, 2);
  try {
    return mode == "stoppers" ? stoppers_mode(args) : utilisation_mode(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_multifidelity: %s\n", e.what());
    return 1;
  }
}
