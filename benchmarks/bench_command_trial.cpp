// What launching a command costs per trial (README: "Tune any program"): a search of N trials of
// `true` (a supervisor process, the program in its own process group, output captured, the trial
// folder written) against the same search with the built-in no-op function trial, in one process;
// the difference is the overhead of a command trial. fork() copies the page tables of Kyper's
// process, so the cost grows with its resident memory: the last rows hold MB of touched memory.
//   bench_command_trial [TRIALS=200] [RSS_MB=1024] [OUTPUT_DIR=/tmp/kyper_bench_command]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <kyper/command_trial.hpp>
#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/random_search.hpp>

using namespace kyper;

namespace {
// Seconds per trial of a search of `trials` random-search trials of `trial`.
double per_trial(const search::Space& space, const TrialFunction& trial, long trials, const std::string& dir) {
  std::filesystem::remove_all(dir);
  search::SearchOptions so;
  so.seed = 1;
  search::RandomSearch search(space, so);
  SchedulerOptions options;
  options.max_evaluations = trials;
  options.output_dir = dir;
  options.verbose = false;
  const auto start = std::chrono::steady_clock::now();
  const SearchSummary summary = run_search(search, trial, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (summary.failed > 0 && dir.find("/true") == std::string::npos) std::fprintf(stderr, "warning: %ld of %ld trials failed in %s\n", summary.failed, trials, dir.c_str());
  return seconds / double(trials);
}
}  // namespace

int main(int argc, char** argv) {
  Runtime runtime(argc, argv, -1, false);
  const long trials = argc > 1 ? std::atol(argv[1]) : 200;
  const long rss_mb = argc > 2 ? std::atol(argv[2]) : 1024;
  const std::string out = argc > 3 ? argv[3] : "/tmp/kyper_bench_command";

  search::Space space;
  space.add(search::Parameter::real("x", 0, 1));
  const TrialFunction noop = [](const search::Configuration& c, const TrialContext&) {
    return TrialOutcome::success(c.number("x"));
  };
  CommandObjective objective;
  objective.command = {"true"};
  const TrialFunction command_true = make_command_trial(objective, space);
  objective.command = {"sh", "-c", "echo {x}"};
  const TrialFunction command_echo = make_command_trial(objective, space);
  // `true` prints no objective: those trials fail by design ("no objective"), after the full launch.
  std::printf("%ld trials each, one process (ms per trial; overhead = command - no-op function)\n", trials);
  std::printf("| trial | Kyper RSS extra | ms per trial | overhead ms |\n|---|---|---|---|\n");
  std::vector<char> ballast;
  for (long mb : {0L, rss_mb}) {
    if (mb > 0) {
      ballast.assign(std::size_t(mb) << 20, 1);  // touched: resident
      for (std::size_t i = 0; i < ballast.size(); i += 4096) ballast[i] = char(i);
    }
    const double base = per_trial(space, noop, trials, out + "/noop");
    const double t = per_trial(space, command_true, trials, out + "/true");
    const double e = per_trial(space, command_echo, trials, out + "/echo");
    std::printf("| no-op function | %ld MB | %.3f | - |\n", mb, 1e3 * base);
    std::printf("| command `true` | %ld MB | %.3f | %.3f |\n", mb, 1e3 * t, 1e3 * (t - base));
    std::printf("| command `sh -c 'echo {x}'` | %ld MB | %.3f | %.3f |\n", mb, 1e3 * e, 1e3 * (e - base));
  }
  std::filesystem::remove_all(out);
  return 0;
}
