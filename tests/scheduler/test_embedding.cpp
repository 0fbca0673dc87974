// A host code that owns MPI and Kokkos: it initialises both itself, runs a search through Kyper
// on a sub-communicator (even and odd world ranks search separately), and finalises them after.
// Kyper must use what it finds and finalise nothing.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <Kokkos_Core.hpp>
#include <kyper/builtin_trial.hpp>
#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/random_search.hpp>
#include <kyper/search/results_table.hpp>

using namespace kyper;

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  int failures = 0;
  auto check = [&](bool ok, const char* what) {
    if (!ok) std::fprintf(stderr, "embedding: FAILED: %s\n", what), ++failures;
  };
  int world_rank = 0, world_size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  MPI_Comm sub;
  MPI_Comm_split(MPI_COMM_WORLD, world_rank % 2, world_rank, &sub);
  int sub_rank = 0;
  MPI_Comm_rank(sub, &sub_rank);
  {
    Runtime runtime(argc, argv);  // must adopt, not re-initialise
    check(!runtime.owns_kokkos() && !runtime.owns_mpi(), "Runtime claimed a runtime the host owns");

    auto problem = std::make_shared<TrainingProblem>();
    for (int i = 0; i < 120; ++i) {
      const float x = -2.0f + 4.0f * float(i) / 119.0f;
      Dataset& d = i % 5 ? problem->train : problem->validation;
      d.features.push_back(x);
      d.targets.push_back(x * x);
    }
    for (Dataset* d : {&problem->train, &problem->validation}) d->feature_names = {"x"}, d->target_names = {"y"};
    problem->training.epochs = 30;
    problem->save_models = false;
    search::Space space;
    space.add_float("learning_rate", 1e-3, 3e-2, true);
    space.add_int("units", 4, 32);
    SchedulerOptions options;
    options.output_dir = std::string(KYPER_TEST_OUTPUT) + "/embedding_np" + std::to_string(world_size) + "_group" +
                         std::to_string(world_rank % 2);
    options.max_evaluations = 6;
    options.verbose = false;
    if (sub_rank == 0) std::filesystem::remove_all(options.output_dir);
    MPI_Barrier(sub);
    search::SearchOptions so;
    so.seed = std::uint64_t(world_rank % 2);
    search::RandomSearch search(space, so);
    SearchSummary summary = run_search(search, make_training_trial(problem), options, sub);
    if (sub_rank == 0) {
      check(summary.finished == 6, "the sub-communicator search did not finish its 6 trials");
      check(summary.failed == 0, "a trial failed");
      check(summary.best && *summary.best->objective > -0.5, "training did not learn y = x^2");
      check(search::read_results(options.output_dir + "/results.csv", space).size() == 6, "results.csv incomplete");
    }
  }
  check(Kokkos::is_initialized(), "Kyper finalised the host's Kokkos");
  int mpi_finalized = 0;
  MPI_Finalized(&mpi_finalized);
  check(!mpi_finalized, "Kyper finalised the host's MPI");
  MPI_Comm_free(&sub);
  int total = 0;
  MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  Kokkos::finalize();
  MPI_Finalize();
  if (world_rank == 0) std::printf("embedding: %s\n", total == 0 ? "OK" : "FAILED");
  return total == 0 ? 0 : 1;
}
