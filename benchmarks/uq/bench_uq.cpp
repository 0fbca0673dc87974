// AutoDEUQ on a regression dataset (the job's: diabetes from scikit-learn in examples/data, or
// Boston from R's MASS through run.sh): over several random train/validation/test splits, test
// NLL, RMSE, CRPS and 95% coverage of
//   (a) the single best model of a search (by validation NLL),
//   (b) a deep ensemble of K random initialisations of that model's configuration,
//   (b') the same for the space's default configuration (a deep ensemble without a search),
//   (c) AutoDEUQ: greedy selection of K members from the search's catalogue,
//   (d) top-K by validation NLL from the same catalogue.
// The search is the job given (examples/regression/autodeuq.json: Gaussian regression, CBO), with
// its split replaced per split. Prints the table of means and one row per split.
//
//   bench_uq CONFIG [--splits 5] [--trials 50] [--k 5] [--output DIR]
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
#include <kyper/uq/ensemble.hpp>
#include <kyper/random_init_ensemble.hpp>
#include <kyper/uq/scores.hpp>

namespace fs = std::filesystem;
using namespace kyper;

namespace {
struct Row {
  double nll, rmse, crps, coverage95, width95, members;
};

Row score(uq::Ensemble& ensemble, const Dataset& test) {
  const uq::MemberPredictions p = ensemble.predict(test);
  const uq::RegressionScores s = uq::score_regression(p, test.targets.data());
  return {s.nll, s.rmse, s.crps, s.coverage95, s.width95, double(p.members)};
}
}  // namespace

int main(int argc, char** argv) {
  Runtime runtime(argc, argv, -1, false);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_uq CONFIG [--splits 5] [--trials 50] [--k 5] [--output DIR]\n");
    return 2;
  }
  const std::string config = argv[1];
  int splits = 5, k = 5;
  long trials = 50;
  std::string output = "bench_uq-output";
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--splits") splits = std::stoi(argv[i + 1]);
    else if (arg == "--trials") trials = std::stol(argv[i + 1]);
    else if (arg == "--k") k = std::stoi(argv[i + 1]);
    else if (arg == "--output") output = argv[i + 1];
  }
  const char* methods[] = {"(a) single best", "(b) random-init K, best config", "(b') random-init K, default config",
                           "(c) AutoDEUQ greedy K", "(d) top-K", "(e) robust (the default)"};
  std::map<std::string, std::vector<Row>> rows;
  for (int s = 0; s < splits; ++s) {
    SearchJob job = load_search_job(config);
    // The job's own split is replaced: 20% test, then 20% of the rest for validation.
    Dataset all = job.problem->train;
    all.features.insert(all.features.end(), job.problem->validation.features.begin(), job.problem->validation.features.end());
    all.targets.insert(all.targets.end(), job.problem->validation.targets.begin(), job.problem->validation.targets.end());
    const Split outer = split(all, 0.2, 1000 + s);
    const Split inner = split(outer.train, 0.2, 2000 + s);
    job.problem->train = inner.train, job.problem->validation = inner.validation;
    const Dataset& test = outer.validation;
    job.search_options.seed = 10 + s;
    job.scheduler.max_evaluations = trials, job.scheduler.verbose = false, job.scheduler.resume = false;
    job.scheduler.output_dir = output + "/split_" + std::to_string(s);
    fs::remove_all(job.scheduler.output_dir);
    auto search = make_search(job);
    const SearchSummary summary = run_search(*search, make_training_trial(job.problem), job.scheduler);

    const uq::Catalogue catalogue = uq::load_catalogue(job.scheduler.output_dir);
    const auto ll = uq::member_log_likelihood(catalogue.validation, catalogue.targets.data());
    const auto& v = catalogue.validation;
    const uq::Selection best = uq::select_top_k(ll, v.members, v.rows, 1);
    const uq::Selection greedy = uq::select_greedy(ll, v.members, v.rows, k);
    const uq::Selection top = uq::select_top_k(ll, v.members, v.rows, k);
    uq::Ensemble single = uq::Ensemble::from_selection(catalogue, best, "best");
    uq::Ensemble autodeuq = uq::Ensemble::from_selection(catalogue, greedy, "greedy");
    uq::Ensemble topk = uq::Ensemble::from_selection(catalogue, top, "topk");
    const uq::Selection robust_selection = uq::select_robust(ll, v.members, v.rows, k);
    uq::Ensemble robust = uq::Ensemble::from_selection(catalogue, robust_selection, "robust");
    // The best model's configuration, retrained from K seeds.
    search::Configuration best_config;
    for (const auto& o : search->observations())
      if (o.id == catalogue.entries[size_t(best.members[0])].trial) best_config = o.config;
    uq::Ensemble random_init =
        uq::train_random_init_ensemble(*job.problem, best_config, k, job.scheduler.output_dir + "/random_init");
    uq::Ensemble default_init = uq::train_random_init_ensemble(*job.problem, job.space.default_configuration(), k,
                                                               job.scheduler.output_dir + "/default_init");

    rows[methods[0]].push_back(score(single, test));
    rows[methods[1]].push_back(score(random_init, test));
    rows[methods[2]].push_back(score(default_init, test));
    rows[methods[3]].push_back(score(autodeuq, test));
    rows[methods[4]].push_back(score(topk, test));
    rows[methods[5]].push_back(score(robust, test));
    std::fprintf(stderr,
                 "split %d: %ld trials (%ld failed) in %.1f s, %ld validation rows; test NLL a %.4f b %.4f b' %.4f c %.4f "
                 "d %.4f e %.4f (e: %zu members, coverage95 %.3f; %s)\n",
                 s, summary.finished, summary.failed, summary.seconds, v.rows, rows[methods[0]].back().nll,
                 rows[methods[1]].back().nll, rows[methods[2]].back().nll, rows[methods[3]].back().nll,
                 rows[methods[4]].back().nll, rows[methods[5]].back().nll, robust_selection.members.size(),
                 rows[methods[5]].back().coverage95, robust_selection.rule.c_str());
  }

  auto mean_sd = [](const std::vector<Row>& r, double Row::*field) {
    double m = 0, s = 0;
    for (const auto& x : r) m += x.*field / double(r.size());
    for (const auto& x : r) s += (x.*field - m) * (x.*field - m);
    return std::pair<double, double>(m, r.size() > 1 ? std::sqrt(s / double(r.size() - 1)) : 0.0);
  };
  const std::string dataset = fs::path(load_search_job(config).problem->train.source).stem().string();
  std::printf("%s, %d splits (60/20/20 train/validation/test), search of %ld trials per split, K = %d\n\n",
              dataset.c_str(), splits, trials, k);
  std::printf("| method | members | test NLL | test RMSE | test CRPS | coverage95 | width95 |\n|---|---:|---:|---:|---:|---:|---:|\n");
  for (const char* m : methods) {
    const auto& r = rows[m];
    auto f = [&](double Row::*field, const char* format) {
      const auto [mean, sd] = mean_sd(r, field);
      std::printf(format, mean, sd);
    };
    std::printf("| %s ", m);
    f(&Row::members, "| %.1f ");
    f(&Row::nll, "| %.3f ± %.3f ");
    f(&Row::rmse, "| %.2f ± %.2f ");
    f(&Row::crps, "| %.2f ± %.2f ");
    f(&Row::coverage95, "| %.3f ± %.3f ");
    f(&Row::width95, "| %.1f ± %.1f ");
    std::printf("|\n");
  }
  // Per split: test NLL of each method, and the default's members and coverage.
  std::printf("\n| split | (a) | (b) | (b') | (c) | (d) | (e) | (e) members | (e) coverage95 |\n"
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (int s = 0; s < splits; ++s) {
    std::printf("| %d ", s);
    for (const char* m : methods) std::printf("| %.3f ", rows[m][std::size_t(s)].nll);
    std::printf("| %.0f | %.3f |\n", rows[methods[5]][std::size_t(s)].members, rows[methods[5]][std::size_t(s)].coverage95);
  }
  int wins = 0;
  int wins_default = 0;
  for (int s = 0; s < splits; ++s) {
    wins += rows[methods[3]][s].nll < rows[methods[1]][s].nll;
    wins_default += rows[methods[3]][s].nll < rows[methods[2]][s].nll;
  }
  const double c = mean_sd(rows[methods[3]], &Row::nll).first, b = mean_sd(rows[methods[1]], &Row::nll).first,
               b0 = mean_sd(rows[methods[2]], &Row::nll).first;
  std::printf("\n(c) AutoDEUQ vs (b) random-init of the best config: mean test NLL %.3f vs %.3f, better on %d of %d "
              "splits; target (c) < (b): %s\n", c, b, wins, splits, c < b ? "met" : "missed");
  std::printf("(c) AutoDEUQ vs (b') random-init of the default config: %.3f vs %.3f, better on %d of %d splits\n", c, b0,
              wins_default, splits);
  // The default's targets: beat (b) on mean test NLL, never below 3 distinct members, 95% coverage in [0.92, 0.97].
  int robust_wins = 0;
  double fewest = 1e9;
  for (int s = 0; s < splits; ++s) {
    robust_wins += rows[methods[5]][s].nll < rows[methods[1]][s].nll;
    fewest = std::min(fewest, rows[methods[5]][s].members);
  }
  const double e = mean_sd(rows[methods[5]], &Row::nll).first, cover = mean_sd(rows[methods[5]], &Row::coverage95).first;
  std::printf("(e) robust default vs (b): mean test NLL %.3f vs %.3f, better on %d of %d splits: %s; fewest members %.0f "
              "(target >= 3: %s); mean coverage95 %.3f (target 0.92-0.97: %s)\n",
              e, b, robust_wins, splits, e < b ? "met" : "missed", fewest, fewest >= 3 ? "met" : "missed", cover,
              cover >= 0.92 && cover <= 0.97 ? "met" : "missed");
  return 0;
}
