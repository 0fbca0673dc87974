// Trials that throw, return NaN, diverge or run past their timeout are recorded as failed with
// their reason, and the worker goes on. Runs in-process and under mpiexec (1, 2, 4 ranks).
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/builtin_trial.hpp>
#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/random_search.hpp>
#include <kyper/search/results_table.hpp>

using namespace kyper;
using ::testing::HasSubstr;

namespace {
int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

std::string fresh_dir(const std::string& name) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string dir = ::testing::TempDir() + "kyper_" + name + "_np" + std::to_string(size);
  if (world_rank() == 0) std::filesystem::remove_all(dir);
  MPI_Barrier(MPI_COMM_WORLD);
  return dir;
}
}  // namespace

TEST(Failures, ThrowNanAndTimeoutAreRecordedWithReasons) {
  search::Space space;
  space.add_categorical("mode", {std::string("ok"), std::string("throw"), std::string("nan"), std::string("slow")});
  space.add_float("x", 0, 1);
  SchedulerOptions options;
  options.output_dir = fresh_dir("failures");
  options.max_evaluations = 24;
  options.trial_timeout = 0.2;
  options.verbose = false;
  search::RandomSearch search(space, {});
  TrialFunction trial = [](const search::Configuration& c, const TrialContext& ctx) {
    const std::string mode = c.text("mode");
    if (mode == "throw") throw std::runtime_error("deliberate failure");
    if (mode == "nan") return TrialOutcome::success(std::nan(""));
    if (mode == "slow") {
      while (!ctx.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return TrialOutcome::success(1.0);
    }
    return TrialOutcome::success(c.number("x"));
  };
  SearchSummary summary = run_search(search, trial, options, MPI_COMM_WORLD);
  if (world_rank() != 0) return;
  auto rows = search::read_results(options.output_dir + "/results.csv", space);
  ASSERT_EQ(rows.size(), 24u);
  const std::map<std::string, std::string> reason_of = {
      {"throw", "deliberate failure"}, {"nan", "non-finite objective"}, {"slow", "timeout"}};
  std::map<std::string, int> seen;
  for (const auto& o : rows) {
    const std::string mode = o.config.text("mode");
    ++seen[mode];
    if (mode == "ok") {
      ASSERT_TRUE(o.objective.has_value());
      EXPECT_DOUBLE_EQ(*o.objective, o.config.number("x"));
    } else {
      EXPECT_FALSE(o.objective.has_value()) << mode;
      EXPECT_THAT(o.reason, HasSubstr(reason_of.at(mode))) << mode;
    }
  }
  EXPECT_EQ(seen.size(), 4u) << "every failure mode should have been drawn";
  EXPECT_EQ(summary.failed, 24 - seen["ok"]);
}

TEST(Failures, BadProgressReportsFailTheTrialWithTheReason) {
  // Through the stopper on rank 0 (centralized: the error travels back to the worker).
  search::Space space;
  space.add_categorical("mode", {std::string("ok"), std::string("nan"), std::string("again"), std::string("past")});
  space.add_float("x", 0, 1);
  SchedulerOptions options;
  options.output_dir = fresh_dir("reports");
  options.max_evaluations = 24;
  options.verbose = false;
  options.stopper.kind = "median", options.stopper.max_budget = 3;
  search::RandomSearch search(space, {});
  TrialFunction trial = [](const search::Configuration& c, const TrialContext& ctx) {
    const std::string mode = c.text("mode");
    ctx.report(1, c.number("x"));
    if (mode == "nan") ctx.report(2, std::nan(""));
    if (mode == "again") ctx.report(1, c.number("x"));
    if (mode == "past") ctx.report(4, c.number("x"));
    ctx.report(3, c.number("x"));
    return TrialOutcome::success(c.number("x"));
  };
  run_search(search, trial, options, MPI_COMM_WORLD);
  if (world_rank() != 0) return;
  const std::map<std::string, std::string> reason_of = {
      {"nan", "not a number"}, {"again", "budgets must increase"}, {"past", "past the maximum budget 3"}};
  std::map<std::string, int> seen;
  for (const auto& o : search::read_results(options.output_dir + "/results.csv", space)) {
    const std::string mode = o.config.text("mode");
    ++seen[mode];
    if (mode == "ok") {
      EXPECT_TRUE(o.objective.has_value());
      EXPECT_EQ(o.metadata.at("budget"), "3");
      continue;
    }
    EXPECT_FALSE(o.objective.has_value()) << mode;
    EXPECT_THAT(o.reason, HasSubstr(reason_of.at(mode))) << mode;
  }
  EXPECT_EQ(seen.size(), 4u) << "every kind of report should have been drawn";
}

TEST(Failures, DivergingTrainingIsAFailureNotACrash) {
  auto problem = std::make_shared<TrainingProblem>();
  for (int i = 0; i < 64; ++i) {
    const float x = float(i) / 63.0f;
    (i % 4 ? problem->train : problem->validation).features.push_back(x);
    (i % 4 ? problem->train : problem->validation).targets.push_back(std::sin(6 * x));
  }
  for (Dataset* d : {&problem->train, &problem->validation}) d->feature_names = {"x"}, d->target_names = {"y"};
  problem->training.epochs = 20;
  problem->training.optimizer.kind = OptimizerKind::SGD;
  problem->save_models = false;
  search::Space space;
  space.add_float("learning_rate", 1e6, 1e7, true);  // every trial diverges
  SchedulerOptions options;
  options.output_dir = fresh_dir("diverge");
  options.max_evaluations = 4;
  options.verbose = false;
  search::RandomSearch search(space, {});
  SearchSummary summary = run_search(search, make_training_trial(problem), options, MPI_COMM_WORLD);
  if (world_rank() != 0) return;
  EXPECT_EQ(summary.finished, 4);
  EXPECT_EQ(summary.failed, 4);
  for (const auto& o : search::read_results(options.output_dir + "/results.csv", space))
    EXPECT_THAT(o.reason, HasSubstr("diverged"));
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  Runtime runtime(argc, argv);
  // Only rank 0 reports, so ctest output stays readable.
  if (world_rank() != 0) delete ::testing::UnitTest::GetInstance()->listeners().Release(
      ::testing::UnitTest::GetInstance()->listeners().default_result_printer());
  return RUN_ALL_TESTS();
}
