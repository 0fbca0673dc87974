// Worker utilisation of the scheduler with synthetic trials of fixed duration (sleep d +- jitter):
// busy time of the ranks that run trials / their wall time. Run under mpiexec by run.sh.
//   bench_scheduler MODE(centralized|decentralized) TRIALS_PER_WORKER SECONDS JITTER OUTPUT_DIR
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/cbo.hpp>

using namespace kyper;

int main(int argc, char** argv) {
  Runtime runtime(argc, argv);
  if (argc < 6) {
    std::fprintf(stderr, "usage: bench_scheduler MODE TRIALS_PER_WORKER SECONDS JITTER OUTPUT_DIR\n");
    return 2;
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const bool decentralized = std::string(argv[1]) == "decentralized";
  const int per_worker = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]), jitter = std::atof(argv[4]);
  const int workers = decentralized || size == 1 ? size : size - 1;

  search::Space space;
  for (int i = 0; i < 5; ++i) space.add_float("x" + std::to_string(i), 0, 1);
  search::SearchOptions so;
  so.seed = 1;
  if (decentralized) so.seed = rank_seed(1, rank), so.id_offset = rank, so.id_stride = size;
  search::CBO search(space, so);
  SchedulerOptions options;
  options.max_evaluations = long(workers) * per_worker;
  options.output_dir = std::string(argv[5]) + "/" + argv[1] + "_np" + std::to_string(size);
  options.decentralized = decentralized;
  options.verbose = false;
  if (rank == 0) std::filesystem::remove_all(options.output_dir);
  MPI_Barrier(MPI_COMM_WORLD);
  TrialFunction trial = [&](const search::Configuration& c, const TrialContext& ctx) {
    std::mt19937_64 rng(std::uint64_t(ctx.trial_id) * 7919 + 1);
    std::uniform_real_distribution<double> u(-jitter, jitter);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds + u(rng)));
    return TrialOutcome::success(-c.number("x0"));
  };
  SearchSummary summary = run_search(search, trial, options, MPI_COMM_WORLD);
  if (rank == 0)
    std::printf("{\"mode\":\"%s\",\"ranks\":%d,\"workers\":%d,\"trials\":%ld,\"seconds\":%.2f,\"utilisation\":%.4f}\n",
                argv[1], size, workers, summary.finished, summary.seconds, summary.utilisation);
  return 0;
}
