// NAS on the example job (examples/nas/nas.json: diabetes, dense-skip space): best validation
// objective after n trials for random NAS and aging evolution over the architecture alone (the
// job's default training hyperparameters), and AgEBO (architecture evolved, learning rate, batch
// size and optimizer tuned by BO), each with several seeds. Prints a table; not a test.
//
//   bench_nas CONFIG [--trials 150] [--seeds 3] [--output DIR]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search_job.hpp>

namespace fs = std::filesystem;
using namespace kyper;

int main(int argc, char** argv) {
  Runtime runtime(argc, argv, -1, false);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_nas CONFIG [--trials 150] [--seeds 3] [--output DIR]\n");
    return 2;
  }
  long trials = 150;
  int seeds = 3;
  std::string output = "bench_nas-output";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--trials") trials = std::stol(argv[i + 1]);
    else if (arg == "--seeds") seeds = std::stoi(argv[i + 1]);
    else if (arg == "--output") output = argv[i + 1];
  }
  std::vector<long> checkpoints;
  for (long n : {10L, 25L, 50L, 100L, 150L, 200L, 300L})
    if (n < trials) checkpoints.push_back(n);
  checkpoints.push_back(trials);

  const std::vector<std::string> algorithms = {"random", "evolution", "agebo"};
  std::map<std::string, std::vector<std::vector<double>>> best_at;  // algorithm -> seed -> checkpoint
  std::map<std::string, double> seconds;
  for (const auto& algorithm : algorithms) {
    for (int seed = 1; seed <= seeds; ++seed) {
      SearchJob job = load_search_job(argv[1]);
      job.algorithm = algorithm;
      // Random NAS and aging evolution search the architecture alone, with the job's defaults for
      // training; AgEBO also tunes the job's hyperparameters.
      if (algorithm != "agebo") job.space = job.problem->architecture->search_space();
      job.search_options.seed = std::uint64_t(seed);
      job.scheduler.max_evaluations = trials, job.scheduler.verbose = false, job.scheduler.resume = false;
      job.scheduler.output_dir = output + "/" + algorithm + "_" + std::to_string(seed);
      job.problem->save_models = false;
      fs::remove_all(job.scheduler.output_dir);
      auto search = make_search(job);
      const SearchSummary summary = run_search(*search, make_training_trial(job.problem), job.scheduler);
      seconds[algorithm] += summary.seconds / seeds;
      auto observations = search->observations();
      std::sort(observations.begin(), observations.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
      std::vector<double> row;
      double best = -INFINITY;
      size_t next = 0;
      for (size_t i = 0; i < observations.size(); ++i) {
        if (observations[i].objective) best = std::max(best, *observations[i].objective);
        if (next < checkpoints.size() && long(i + 1) == checkpoints[next]) row.push_back(best), ++next;
      }
      best_at[algorithm].push_back(row);
      std::fprintf(stderr, "%s seed %d: best %.4f after %zu trials (%ld failed) in %.1f s\n", algorithm.c_str(), seed,
                   best, observations.size(), summary.failed, summary.seconds);
    }
  }

  std::printf("best validation objective (-MSE, standardised target; higher is better) vs trials; mean ± sd over %d seeds\n\n",
              seeds);
  std::printf("| algorithm |");
  for (long n : checkpoints) std::printf(" %ld trials |", n);
  std::printf(" s per run |\n|---|");
  for (size_t i = 0; i < checkpoints.size(); ++i) std::printf("---:|");
  std::printf("---:|\n");
  for (const auto& algorithm : algorithms) {
    std::printf("| %s |", algorithm == "agebo" ? "AgEBO" : algorithm == "evolution" ? "aging evolution" : "random NAS");
    for (size_t c = 0; c < checkpoints.size(); ++c) {
      double mean = 0, sd = 0;
      const auto& runs = best_at[algorithm];
      for (const auto& r : runs) mean += r[c] / double(runs.size());
      for (const auto& r : runs) sd += (r[c] - mean) * (r[c] - mean);
      sd = runs.size() > 1 ? std::sqrt(sd / double(runs.size() - 1)) : 0;
      std::printf(" %.4f ± %.4f |", mean, sd);
    }
    std::printf(" %.1f |\n", seconds[algorithm]);
  }
  return 0;
}
