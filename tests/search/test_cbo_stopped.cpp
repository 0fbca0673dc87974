// Tests of what CBO learns from trials a stopper ended early (CBOOptions::stopped_trials): the
// "below_further" cap on hand-made budgets, the rows "ignore" keeps, the option's check, and a
// search that is not lured by a stopped trial's short-budget value.
#include <kyper/error.hpp>
#include <kyper/search/cbo.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

using namespace kyper::search;

namespace {
Space unit_line() {
  Space s;
  s.add_float("x", 0, 1);
  return s;
}

// A trial that ran to the end (no stopper metadata), or one stopped after `budget` epochs.
Observation trial(std::int64_t id, double x, double value, double budget = -1, bool failed = false) {
  Observation o;
  o.id = id;
  static const Space line = unit_line();
  o.config = Configuration(line.names(), {x});
  if (!failed) o.objective = value;
  if (budget >= 0) {
    o.metadata["stopped_early"] = "true";
    o.metadata["budget"] = std::to_string(budget);
  }
  return o;
}
}  // namespace

TEST(CBOStoppedTrials, BelowFurtherCapsEachStoppedTrialByTheTrialsThatRanLonger) {
  const std::vector<Observation> obs = {
      trial(0, 0.1, 0.50),             // ran to the end
      trial(1, 0.2, 0.90, 3),          // stopped at 3, above everything that went further: capped to 0.40
      trial(2, 0.3, 0.40, 9),          // stopped at 9, below the full trial: kept
      trial(3, 0.4, 0.45, 3),          // stopped at 3: capped by trial 2 (budget 9), not by trial 1 (same budget)
      trial(4, 0.5, 0.70, 9),          // stopped at 9: capped by the full trial
      trial(5, 0.6, 0.00, 1, true),    // failed: left alone
  };
  Eigen::VectorXd y(6);
  y << 0.50, 0.90, 0.40, 0.45, 0.70, -1.0;
  cap_stopped_targets(obs, y);
  EXPECT_DOUBLE_EQ(y[0], 0.50);
  EXPECT_DOUBLE_EQ(y[1], 0.40);
  EXPECT_DOUBLE_EQ(y[2], 0.40);
  EXPECT_DOUBLE_EQ(y[3], 0.40);
  EXPECT_DOUBLE_EQ(y[4], 0.50);
  EXPECT_DOUBLE_EQ(y[5], -1.0);
}

TEST(CBOStoppedTrials, BelowFurtherLeavesTheTrialsThatWentFurthestAsTheyAre) {
  // No trial ran to the end: the one stopped at the largest budget keeps its value.
  const std::vector<Observation> obs = {trial(0, 0.1, 0.90, 3), trial(1, 0.2, 0.95, 1), trial(2, 0.3, 0.20, 1)};
  Eigen::VectorXd y(3);
  y << 0.90, 0.95, 0.20;
  cap_stopped_targets(obs, y);
  EXPECT_DOUBLE_EQ(y[0], 0.90);
  EXPECT_DOUBLE_EQ(y[1], 0.90);
  EXPECT_DOUBLE_EQ(y[2], 0.20);
}

TEST(CBOStoppedTrials, IgnoreKeepsTheTrialsThatRanToTheEndWhileThereAreTwo) {
  std::vector<Observation> obs = {trial(0, 0.1, 0.5), trial(1, 0.2, 0.9, 3), trial(2, 0.3, 0.4),
                                  trial(3, 0.4, 0.0, -1, true)};
  EXPECT_EQ(rows_without_stopped(obs), (std::vector<bool>{true, false, true, true}));
  obs[2] = trial(2, 0.3, 0.4, 9);  // one success left that ran to the end: too few, every row stays
  EXPECT_EQ(rows_without_stopped(obs), (std::vector<bool>{true, true, true, true}));
}

TEST(CBOStoppedTrials, TheRuleIsCheckedAndNamed) {
  for (const char* rule : {"as_reported", "below_further", "ignore"}) {
    CBOOptions o;
    o.stopped_trials = rule;
    EXPECT_NO_THROW(CBO(unit_line(), {}, o)) << rule;
  }
  EXPECT_EQ(CBOOptions{}.stopped_trials, "below_further");
  CBOOptions bad;
  bad.stopped_trials = "budget_input";
  try {
    CBO(unit_line(), {}, bad);
    FAIL() << "accepted stopped_trials 'budget_input'";
  } catch (const kyper::Error& e) {
    EXPECT_NE(std::string(e.what()).find("stopped_trials 'budget_input'"), std::string::npos) << e.what();
  }
}

// Full-budget trials peak at x = 0.2; one trial stopped after 1 epoch at x = 0.9 reported a value
// above all of them (as an objective that is best early and worse with training would). Taken as
// reported it draws the next proposal to x = 0.9; capped or ignored, the search stays at 0.2.
TEST(CBOStoppedTrials, AStoppedTrialsShortBudgetValueDoesNotLureTheSearch) {
  std::vector<Observation> obs;
  std::int64_t id = 0;
  for (double x : {0.0, 0.1, 0.15, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0})
    obs.push_back(trial(id++, x, -(x - 0.2) * (x - 0.2)));
  obs.push_back(trial(id++, 0.9, 1.0, 1));
  auto next_x = [&](const std::string& rule) {
    CBOOptions o;
    o.stopped_trials = rule;
    o.initial_points = 2;
    o.surrogate = "GP";
    CBO cbo(unit_line(), {3, true}, o);
    cbo.warm_start(obs);
    return cbo.ask(1)[0].config.number("x");
  };
  EXPECT_GT(next_x("as_reported"), 0.75);
  EXPECT_LT(std::fabs(next_x("below_further") - 0.2), 0.15);
  EXPECT_LT(std::fabs(next_x("ignore") - 0.2), 0.15);
}
