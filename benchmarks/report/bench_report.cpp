// Build time and size of `kyper report`'s page for searches of 100, 1,000 and 5,000 trials (issue
// 17: a 5,000-trial search must give a page of a few MB in seconds). Each folder is written here:
// a 6-parameter mixed space, 64 ranks' timestamps, 4% failures, 30-epoch learning curves. The
// median of 5 builds is printed, with the share the importance (5 forest fits) takes.
//   bench_report [DIR]     DIR: scratch folder (default: a temporary one)
#include <kyper/report.hpp>
#include <kyper/runtime.hpp>
#include <kyper/search/importance.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search/space.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace kyper::search;

namespace {

Space bench_space() {
  Space space;
  space.add_float("learning_rate", 1e-4, 1e-1, true);
  space.add_int("batch_size", 8, 256, true);
  space.add_int("units", 8, 512, true);
  space.add_int("num_layers", 1, 6);
  space.add_float("dropout", 0, 0.5);
  space.add_categorical("activation", {std::string("relu"), std::string("tanh"), std::string("gelu")});
  return space;
}

void write_folder(const fs::path& dir, int trials) {
  fs::create_directories(dir);
  const Space space = bench_space();
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Observation> rows;
  std::vector<double> free_at(64, 1.8e9);
  for (int i = 0; i < trials; ++i) {
    Observation o;
    o.id = i;
    o.config = space.decode(Eigen::VectorXd::NullaryExpr(Eigen::Index(space.size()), [&] { return u(rng); }));
    const std::size_t rank = std::size_t(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    o.timestamp_start = free_at[rank] + 0.05 * u(rng);
    o.timestamp_end = o.timestamp_start + 5 + 20 * u(rng);
    free_at[rank] = o.timestamp_end;
    o.metadata["rank"] = std::to_string(rank);
    if (u(rng) < 0.04) {
      o.reason = "diverged: loss became nan";
    } else {
      const double lr = o.config.number("learning_rate");
      const double final_loss = 0.3 + std::pow(std::log10(lr) + 2.5, 2) / 4 + 0.05 * u(rng);
      o.objective = -final_loss;
      std::string validation, train;
      for (int e = 0; e < 30; ++e) {
        const double v = final_loss + 2 * std::exp(-0.2 * e), t = 0.9 * v;
        validation += (e ? ";" : "") + std::to_string(v);
        train += (e ? ";" : "") + std::to_string(t);
      }
      o.metadata["learning_curve"] = validation;
      o.metadata["train_curve"] = train;
    }
    rows.push_back(o);
  }
  write_results((dir / "results.csv").string(), space, {}, rows);
  std::ofstream(dir / "space.json") << space.to_json();
  std::ofstream(dir / "summary.json") << R"({"algorithm": "cbo", "ranks": 65, "finished": )" << trials
                                      << R"(, "failed": 0, "resumed": 0, "seconds": 1000, "utilisation": 0.95})";
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  kyper::Runtime runtime(argc, argv);
  const fs::path root = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "kyper_bench_report";
  std::printf("%8s %12s %12s %14s %12s\n", "trials", "build (s)", "page (MB)", "importance (s)", "sections");
  for (int trials : {100, 1000, 5000}) {
    const fs::path dir = root / std::to_string(trials);
    fs::remove_all(dir);
    write_folder(dir, trials);
    std::vector<double> seconds, importance_seconds;
    kyper::ReportSummary summary;
    kyper::ReportOptions options;
    options.output_dir = dir.string();
    for (int repeat = 0; repeat < 5; ++repeat) {
      summary = kyper::write_report(options);
      seconds.push_back(summary.seconds);
      const auto start = std::chrono::steady_clock::now();
      const Space space = bench_space();
      (void)permutation_importance(space, read_results((dir / "results.csv").string(), space));
      importance_seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("%8d %12.3f %12.2f %14.3f %12zu\n", trials, median(seconds), double(summary.bytes) / (1 << 20),
                median(importance_seconds), summary.sections.size());
  }
  fs::remove_all(root);
  return 0;
}
