// AutoDEUQ on the classic 1-D toy problem: y = f(x) + σ(x)·ε with noise that grows with |x|,
// training data on [-3, -0.5] ∪ [0.5, 3] (a gap in the middle), predictions on [-6, 6].
// A CBO search trains Gaussian-output networks, greedy selection builds an ensemble from the
// search's catalogue, and the ensemble's uncertainty is split into its aleatoric part (should
// follow σ(x)) and its epistemic part (should grow where there was no data). Writes the grid
// predictions as CSV and an SVG plot, prints the numbers, and with --check fails unless
//   epistemic variance outside the training range ≥ 5× its mean inside it,
//   aleatoric std correlates with the true σ(x) inside the range (Pearson r ≥ 0.8),
//   the 95% interval covers between 90% and 99% of held-out points from the training range.
//
//   heteroscedastic_1d [--output DIR] [--trials N] [--k K] [--check]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <kyper/builtin_trial.hpp>
#include <kyper/csv.hpp>
#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/uq/ensemble.hpp>
#include <kyper/uq/scores.hpp>

namespace fs = std::filesystem;
using namespace kyper;

namespace {
constexpr double kTrainLimit = 3.0, kGap = 0.5, kPlotLimit = 6.0;

double truth(double x) { return std::sin(1.5 * x) + 0.3 * x; }
double noise_std(double x) { return 0.05 + 0.1 * std::abs(x); }

// `rows` points drawn from the training distribution.
Dataset sample(size_t rows, std::uint64_t seed) {
  Dataset d;
  d.feature_names = {"x"}, d.target_names = {"y"}, d.source = "generated";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(kGap, kTrainLimit);
  std::normal_distribution<double> n(0, 1);
  for (size_t i = 0; i < rows; ++i) {
    const double x = (rng() & 1 ? 1 : -1) * u(rng);
    d.features.push_back(float(x));
    d.targets.push_back(float(truth(x) + noise_std(x) * n(rng)));
  }
  return d;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = double(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb), saa += (a[i] - ma) * (a[i] - ma), sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// The plot: training points, the true function, mean ± 2 aleatoric std (dark band) and
// mean ± 2 total std (light band: the extra width is epistemic).
void write_svg(const std::string& path, const Dataset& train, const std::vector<double>& grid,
               const std::vector<double>& mean, const std::vector<double>& aleatoric, const std::vector<double>& total) {
  const double width = 900, height = 500, y_low = -4.5, y_high = 4.5;
  auto px = [&](double x) { return 40 + (x + kPlotLimit) / (2 * kPlotLimit) * (width - 60); };
  auto py = [&](double y) { return 20 + (y_high - std::clamp(y, y_low, y_high)) / (y_high - y_low) * (height - 50); };
  std::ofstream svg(path);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << width << "' height='" << height << "'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n";
  auto band = [&](const std::vector<double>& variance, const char* colour, double opacity) {
    svg << "<polygon fill='" << colour << "' fill-opacity='" << opacity << "' stroke='none' points='";
    for (size_t i = 0; i < grid.size(); ++i) svg << px(grid[i]) << "," << py(mean[i] + 2 * std::sqrt(variance[i])) << " ";
    for (size_t i = grid.size(); i-- > 0;) svg << px(grid[i]) << "," << py(mean[i] - 2 * std::sqrt(variance[i])) << " ";
    svg << "'/>\n";
  };
  band(total, "#f4a261", 0.45);      // ± 2 total std
  band(aleatoric, "#2a9d8f", 0.55);  // ± 2 aleatoric std
  svg << "<rect x='" << px(-kTrainLimit) << "' y='20' width='" << px(kTrainLimit) - px(-kTrainLimit)
      << "' height='" << height - 50 << "' fill='none' stroke='#999' stroke-dasharray='4 4'/>\n";
  for (size_t i = 0; i < train.rows(); ++i)
    svg << "<circle cx='" << px(train.features[i]) << "' cy='" << py(train.targets[i]) << "' r='1.6' fill='#264653'/>\n";
  auto line = [&](auto f, const char* colour, const char* dash) {
    svg << "<polyline fill='none' stroke='" << colour << "' stroke-width='2' stroke-dasharray='" << dash << "' points='";
    for (size_t i = 0; i < grid.size(); ++i) svg << px(grid[i]) << "," << py(f(i)) << " ";
    svg << "'/>\n";
  };
  line([&](size_t i) { return truth(grid[i]); }, "black", "6 4");
  line([&](size_t i) { return mean[i]; }, "#e63946", "none");
  svg << "<text x='50' y='15' font-family='sans-serif' font-size='13'>AutoDEUQ ensemble: mean (red), "
         "±2 aleatoric std (green), ±2 total std (orange), truth (dashed), training range (box)</text>\n</svg>\n";
}
}  // namespace

int main(int argc, char** argv) {
  Runtime runtime(argc, argv);
  std::string output = "heteroscedastic_1d-output";
  long trials = 40;
  int k = 5;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--output" && i + 1 < argc) output = argv[++i];
    else if (arg == "--trials" && i + 1 < argc) trials = std::stol(argv[++i]);
    else if (arg == "--k" && i + 1 < argc) k = std::stoi(argv[++i]);
    else if (arg == "--check") check = true;
    else {
      std::fprintf(stderr, "usage: heteroscedastic_1d [--output DIR] [--trials N] [--k K] [--check]\n");
      return 2;
    }
  }
  fs::remove_all(output);

  // 1. The problem: Gaussian-output MLPs, hyperparameters searched by CBO.
  auto problem = std::make_shared<TrainingProblem>();
  problem->train = sample(600, 1), problem->validation = sample(200, 2);
  problem->task = Task::GaussianRegression;
  problem->training.loss = Loss::GaussianNLL;
  problem->training.epochs = 300, problem->training.patience = 30, problem->training.seed = 5;
  search::Space space;
  space.add_float("learning_rate", 1e-3, 3e-2, true)
      .add_int("batch_size", 16, 128, true)
      .add_int("num_layers", 1, 3)
      .add_int("units", 8, 64, true)
      .add_categorical("activation", {std::string("relu"), std::string("tanh"), std::string("swish"), std::string("elu")});
  search::CBOOptions cbo;
  cbo.initial_points = 10;
  search::SearchOptions options;
  options.seed = 3;
  search::CBO search(space, options, cbo);
  SchedulerOptions scheduler;
  scheduler.max_evaluations = trials, scheduler.output_dir = output, scheduler.verbose = false;
  const SearchSummary summary = run_search(search, make_training_trial(problem), scheduler);
  std::printf("search: %ld trials (%ld failed) in %.1f s\n", summary.finished, summary.failed, summary.seconds);

  // 2. AutoDEUQ: greedy selection from the catalogue the search left in its output folder.
  const uq::Catalogue catalogue = uq::load_catalogue(output);
  const auto ll = uq::member_log_likelihood(catalogue.validation, catalogue.targets.data());
  const uq::Selection selection =
      uq::select_greedy(ll, catalogue.validation.members, catalogue.validation.rows, k);
  uq::Ensemble ensemble = uq::Ensemble::from_selection(catalogue, selection, "greedy");
  ensemble.save(output + "/ensemble.json");
  std::printf("ensemble: %zu members of %d models, validation NLL %.4f (best single %.4f)\n",
              ensemble.members().size(), catalogue.validation.members, selection.validation_nll(),
              selection.nll.front());

  // 3. Predictions on a grid across and beyond the training range.
  Dataset grid_data;
  grid_data.feature_names = {"x"};
  std::vector<double> grid;
  for (int i = 0; i <= 480; ++i) {
    grid.push_back(-kPlotLimit + i * (2 * kPlotLimit / 480));
    grid_data.features.push_back(float(grid.back()));
  }
  const uq::MemberPredictions members = ensemble.predict(grid_data);
  std::vector<double> mean, aleatoric, epistemic, total;
  for (long r = 0; r < members.rows; ++r) {
    const uq::Decomposition d = uq::decompose(members.mixture(r, 0));
    mean.push_back(d.mean), aleatoric.push_back(d.aleatoric), epistemic.push_back(d.epistemic), total.push_back(d.total());
  }
  const Predictions table = uq::ensemble_table(members, true);
  std::vector<std::string> columns = {"x"};
  columns.insert(columns.end(), table.columns.begin(), table.columns.end());
  std::vector<double> values;
  for (long r = 0; r < table.rows; ++r) {
    values.push_back(grid[r]);
    for (size_t c = 0; c < table.columns.size(); ++c) values.push_back(table.values[r * table.columns.size() + c]);
  }
  write_csv(output + "/grid_predictions.csv", columns, values);
  write_svg(output + "/uncertainty.svg", problem->train, grid, mean, aleatoric, total);

  // 4. The numbers the plot shows.
  double inside = 0, outside = 0, gap = 0;
  int n_inside = 0, n_outside = 0, n_gap = 0;
  std::vector<double> predicted_std, true_std;
  for (size_t i = 0; i < grid.size(); ++i) {
    const double x = std::abs(grid[i]);
    if (x >= kGap && x <= kTrainLimit) {
      inside += epistemic[i], ++n_inside;
      predicted_std.push_back(std::sqrt(aleatoric[i])), true_std.push_back(noise_std(grid[i]));
    } else if (x >= kTrainLimit + 1.5) {
      outside += epistemic[i], ++n_outside;
    } else if (x < kGap) {
      gap += epistemic[i], ++n_gap;
    }
  }
  inside /= n_inside, outside /= n_outside, gap /= n_gap;
  const double ratio = outside / inside, correlation = pearson(predicted_std, true_std);
  const Dataset held_out = sample(2000, 99);
  const uq::RegressionScores scores = uq::score_regression(ensemble.predict(held_out), held_out.targets.data());
  std::printf("epistemic variance: inside the training range %.3g, in the gap %.3g, beyond |x| > %.1f %.3g "
              "(%.1fx inside)\n", inside, gap, kTrainLimit + 1.5, outside, ratio);
  std::printf("aleatoric std vs true noise std inside the range: Pearson r = %.3f\n", correlation);
  std::printf("held-out (2000 points): NLL %.4f RMSE %.4f CRPS %.4f coverage68 %.3f coverage95 %.3f\n", scores.nll,
              scores.rmse, scores.crps, scores.coverage68, scores.coverage95);
  std::printf("wrote %s/grid_predictions.csv and %s/uncertainty.svg\n", output.c_str(), output.c_str());

  if (!check) return 0;
  bool ok = true;
  auto require = [&](bool condition, const char* what) {
    if (!condition) std::fprintf(stderr, "check failed: %s\n", what), ok = false;
  };
  require(ratio >= 5, "epistemic variance outside the training range >= 5x its mean inside");
  require(correlation >= 0.8, "aleatoric std follows the true noise std (r >= 0.8)");
  require(scores.coverage95 >= 0.90 && scores.coverage95 <= 0.99, "95% interval coverage in [0.90, 0.99]");
  return ok ? 0 : 1;
}
