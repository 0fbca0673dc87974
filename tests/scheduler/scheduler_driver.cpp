// Test driver for the scheduler under mpiexec: runs a search of synthetic trials, logging every
// execution, and verifies a finished output folder. Used by the MPI ctest entries and the
// kill -9 / --resume test (test_resume.sh).
//   scheduler_driver run DIR EVALUATIONS SLEEP_SECONDS PHASE [--resume] [--decentralized] [--stopper KIND]
//   scheduler_driver verify DIR EVALUATIONS [--after-kill PHASE1_ROWS_FILE] [--stopper KIND]
// With --stopper a trial is 9 epochs of SLEEP_SECONDS / 9 each, reporting a learning curve that
// rises to the Branin value (-f - 10 / epoch) after each, and ends early when the stopper says so.
//   scheduler_driver snapshot DIR FILE      (copies the job ids of results*.csv to FILE)
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/results_table.hpp>

using namespace kyper;

namespace {
search::Space space() {
  search::Space s;
  s.add_float("x", -5, 10);
  s.add_float("y", 0, 15);
  s.add_categorical("mode", {std::string("ok"), std::string("ok2"), std::string("ok3")});
  return s;
}

// Branin (to maximise its negative); executions are appended to DIR/executions.log as
// "<phase> <trial id> <config>" with one write(2) per line (atomic with O_APPEND).
constexpr int kEpochs = 9;

TrialFunction logging_trial(const std::string& dir, double sleep_seconds, int phase, bool epochs) {
  return [=](const search::Configuration& c, const TrialContext& ctx) {
    const double x = c.number("x"), y = c.number("y");
    const double b = 5.1 / (4 * M_PI * M_PI), cc = 5 / M_PI, t = 1 / (8 * M_PI);
    const double f = std::pow(y - b * x * x + cc * x - 6, 2) + 10 * (1 - t) * std::cos(x) + 10;
    double value = -f;
    if (epochs) {
      for (int epoch = 1; epoch <= kEpochs; ++epoch) {
        std::this_thread::sleep_for(std::chrono::duration<double>(sleep_seconds / kEpochs));
        value = -f - 10.0 / epoch;
        if (ctx.report(epoch, value)) break;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::duration<double>(sleep_seconds));
    }
    const std::string line = std::to_string(phase) + " " + std::to_string(ctx.trial_id) + " " + c.to_string() + "\n";
    const int fd = ::open((dir + "/executions.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
      ::close(fd);
    }
    TrialOutcome o = TrialOutcome::success(value);
    o.metadata["rank"] = std::to_string(ctx.rank);
    return o;
  };
}

int fail(const std::string& why) {
  std::fprintf(stderr, "verify: FAILED: %s\n", why.c_str());
  return 1;
}

std::vector<search::Observation> rows(const std::string& dir) { return search::read_results(dir + "/results.csv", space()); }
}  // namespace

int main(int argc, char** argv) {
  Runtime runtime(argc, argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "run" && argc >= 6) {
    const std::string dir = argv[2];
    {  // DIR/pid.rank<r>: lets a test kill one chosen rank
      std::filesystem::create_directories(dir);
      std::ofstream(dir + "/pid.rank" + std::to_string(rank)) << ::getpid() << "\n";
    }
    SchedulerOptions options;
    options.output_dir = dir;
    options.max_evaluations = std::atol(argv[3]);
    options.metadata_keys = {"rank"};
    options.verbose = false;
    for (int i = 6; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--resume")) options.resume = true;
      if (!std::strcmp(argv[i], "--decentralized")) options.decentralized = true;
      if (!std::strcmp(argv[i], "--stopper") && i + 1 < argc) options.stopper.kind = argv[++i];
    }
    options.stopper.min_budget = 1, options.stopper.max_budget = kEpochs, options.stopper.min_trials = 2;
    search::SearchOptions so;
    so.seed = 3;
    if (options.decentralized) so.seed = rank_seed(3, rank), so.id_offset = rank, so.id_stride = size;
    search::CBOOptions cbo;
    cbo.initial_points = 5;
    search::CBO search(space(), so, cbo);
    SearchSummary summary =
        run_search(search, logging_trial(dir, std::atof(argv[4]), std::atoi(argv[5]), options.stopper.kind != "none"),
                   options, MPI_COMM_WORLD);
    if (rank == 0)
      std::printf("finished %ld (resumed %ld) utilisation %.3f\n", summary.finished, summary.resumed, summary.utilisation);
    return 0;
  }
  if (rank != 0) return 0;
  if (mode == "snapshot" && argc == 4) {
    // Every finished trial: results.csv, and the per-rank tables of a decentralized search (whose
    // merged results.csv is only written at its end).
    std::set<std::int64_t> ids;
    for (const auto& entry : std::filesystem::directory_iterator(argv[2])) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("results", 0) == 0 && entry.path().extension() == ".csv")
        for (const auto& o : search::read_results(entry.path().string(), space())) ids.insert(o.id);
    }
    std::ofstream out(argv[3]);
    for (std::int64_t id : ids) out << id << "\n";
    return 0;
  }
  if (mode == "verify" && argc >= 4) {
    const std::string dir = argv[2];
    const long evaluations = std::atol(argv[3]);
    auto table = rows(dir);
    if (long(table.size()) != evaluations)
      return fail("results.csv has " + std::to_string(table.size()) + " rows, expected " + std::to_string(evaluations));
    std::set<std::int64_t> ids;
    std::set<std::string> configs;
    for (const auto& o : table) {
      if (!ids.insert(o.id).second) return fail("job_id " + std::to_string(o.id) + " appears twice");
      if (!configs.insert(o.config.to_string()).second) return fail("a configuration was evaluated twice: " + o.config.to_string());
      if (!o.objective) return fail("trial " + std::to_string(o.id) + " failed: " + o.reason);
    }
    // Every recorded trial was executed exactly once (by id) according to the execution log.
    std::map<std::int64_t, int> executed;
    std::map<std::int64_t, int> phase_of;
    std::ifstream log(dir + "/executions.log");
    int phase = 0;
    std::int64_t id = 0;
    std::string rest;
    while (log >> phase >> id && std::getline(log, rest)) ++executed[id], phase_of[id] = phase;
    for (std::int64_t i : ids)
      if (executed[i] != 1) return fail("trial " + std::to_string(i) + " ran " + std::to_string(executed[i]) + " times");
    if (argc >= 6 && !std::strcmp(argv[4], "--after-kill")) {
      // Rows finished before the kill are all still there, and none of them ran again after it.
      std::ifstream before(argv[5]);
      long kept = 0;
      while (before >> id) {
        if (!ids.count(id)) return fail("trial " + std::to_string(id) + " finished before the kill but is lost");
        if (phase_of[id] != 1) return fail("trial " + std::to_string(id) + " finished before the kill but ran again");
        ++kept;
      }
      if (kept == 0) return fail("the search was killed before any trial finished; the test proves nothing");
      long phase2 = 0;
      for (std::int64_t i : ids) phase2 += phase_of[i] == 2;
      if (phase2 == 0) return fail("the resumed search ran no trial");
      std::printf("verify: %ld trials kept from before the kill, %ld run after --resume\n", kept, phase2);
    }
    std::string stopper;
    for (int i = 4; i + 1 < argc; ++i)
      if (!std::strcmp(argv[i], "--stopper")) stopper = argv[i + 1];
    if (!stopper.empty()) {
      // Stopped trials are finished rows with the budget they used; every report of a finished
      // trial is in the progress tables, one per epoch, whatever kills came in between.
      std::map<std::int64_t, int> reports;
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("progress", 0) != 0) continue;
        std::ifstream in(entry.path());
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) ++reports[std::atoll(line.c_str())];
      }
      long stopped = 0;
      for (const auto& o : table) {
        const auto budget = o.metadata.find("budget"), early = o.metadata.find("stopped_early");
        if (budget == o.metadata.end() || early == o.metadata.end())
          return fail("trial " + std::to_string(o.id) + " lacks m:budget or m:stopped_early");
        const int used = std::atoi(budget->second.c_str());
        if (early->second == "true") {
          ++stopped;
          if (used >= kEpochs) return fail("trial " + std::to_string(o.id) + " was stopped at the full budget");
        } else if (early->second != "false" || used != kEpochs) {
          return fail("trial " + std::to_string(o.id) + " neither ran to the end nor was stopped");
        }
        if (reports[o.id] != used)
          return fail("trial " + std::to_string(o.id) + " used budget " + budget->second + " but the progress tables hold " +
                      std::to_string(reports[o.id]) + " reports of it");
      }
      if (stopped == 0) return fail("the stopper (" + stopper + ") stopped no trial");
      std::printf("verify: %ld of %zu trials stopped early by %s\n", stopped, table.size(), stopper.c_str());
    }
    std::printf("verify: OK (%zu trials, each run once)\n", ids.size());
    return 0;
  }
  std::fprintf(stderr, "usage: see the header of scheduler_driver.cpp\n");
  return 2;
}
