// Ensemble selection on synthetic catalogues: greedy never increases the validation NLL, its trace
// is the NLL of the ensemble it reports, top-K is ordered by each model's own NLL, and diverged
// models are never picked.
#include <cmath>
#include <numeric>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/uq/member_predictions.hpp>
#include <kyper/uq/selection.hpp>
#include <support/error_of.hpp>

using namespace kyper::uq;

namespace {
// `candidates` models on `rows` validation points of y = sin(x) + noise: each has its own bias
// pattern and variance scale, so some are over- and some under-confident.
struct Synthetic {
  MemberPredictions predictions;
  std::vector<float> targets;
};
Synthetic catalogue(int candidates, long rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  Synthetic s;
  std::vector<double> x(static_cast<size_t>(rows));
  for (long r = 0; r < rows; ++r) {
    x[r] = 6 * u(rng) - 3;
    s.targets.push_back(float(std::sin(x[r]) + 0.3 * n(rng)));
  }
  auto& p = s.predictions;
  p.kind = PredictionKind::Gaussian, p.rows = rows, p.outputs = 1, p.names = {"y"};
  for (int m = 0; m < candidates; ++m) {
    const double amplitude = 0.3 * n(rng), frequency = 1 + 2 * u(rng), scale = 0.05 + 0.4 * u(rng);
    for (long r = 0; r < rows; ++r) {
      p.mean.push_back(std::sin(x[r]) + amplitude * std::sin(frequency * x[r]));
      p.variance.push_back(scale * scale);
    }
    p.weights.push_back(1), ++p.members;
  }
  return s;
}

double ensemble_nll(const Synthetic& s, const Selection& selection) {
  const auto ll = member_log_likelihood(s.predictions.pick(selection.members, selection.weights), s.targets.data());
  double nll = 0;
  for (double v : mixture_log_likelihood(ll, selection.weights, s.predictions.rows)) nll -= v;
  return nll / double(s.predictions.rows);
}
}  // namespace

TEST(Selection, GreedyNeverIncreasesValidationNllAndBeatsTheBestModel) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    const Synthetic s = catalogue(40, 300, seed);
    const auto ll = member_log_likelihood(s.predictions, s.targets.data());
    const Selection greedy = select_greedy(ll, 40, 300, 10);
    const Selection best = select_top_k(ll, 40, 300, 1);
    ASSERT_GE(greedy.nll.size(), 2u) << "seed " << seed;
    EXPECT_DOUBLE_EQ(greedy.nll.front(), best.validation_nll()) << "the first step picks the best model";
    EXPECT_EQ(greedy.members.front(), best.members.front());
    for (size_t i = 1; i < greedy.nll.size(); ++i) EXPECT_LE(greedy.nll[i], greedy.nll[i - 1]) << "step " << i;
    EXPECT_LT(greedy.validation_nll(), best.validation_nll() - 1e-3);
    // The reported NLL is the NLL of the reported members and weights.
    EXPECT_NEAR(ensemble_nll(s, greedy), greedy.validation_nll(), 1e-10);
    double total = 0;
    for (double w : greedy.weights) total += w;
    EXPECT_NEAR(total, 1.0, 1e-12);
    EXPECT_LE(greedy.members.size(), 10u);
  }
}

TEST(Selection, GreedyReusesAMemberWhenThatHelps) {
  // Member 0 is right, member 1 is a wider copy: the best mixture weights them 2:1 or more, which
  // selection with replacement can express and selection without cannot.
  MemberPredictions p;
  p.kind = PredictionKind::Gaussian, p.rows = 4, p.outputs = 1, p.names = {"y"}, p.members = 2, p.weights = {1, 1};
  p.mean = {0, 0, 0, 0, 0, 0, 0, 0}, p.variance = {1, 1, 1, 1, 9, 9, 9, 9};
  const float y[] = {3.0f, -0.3f, 0.4f, -0.1f};
  const Selection s = select_greedy(member_log_likelihood(p, y), 2, 4, 3);
  ASSERT_EQ(s.members.size(), 2u);
  EXPECT_EQ(s.members[0], 0);
  EXPECT_NEAR(s.weights[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(s.weights[1], 1.0 / 3, 1e-12);
  EXPECT_EQ(s.nll.size(), 3u);  // 0, then 1, then 0 again; a fourth pick would not help
}

TEST(Selection, TopKOrdersByOwnNllAndSkipsDivergedModels) {
  Synthetic s = catalogue(12, 200, 9);
  // Model 3 diverged (NaN predictions) on one row.
  s.predictions.mean[s.predictions.at(3, 17, 0)] = std::nan("");
  const auto ll = member_log_likelihood(s.predictions, s.targets.data());
  const Selection top = select_top_k(ll, 12, 200, 20);
  EXPECT_EQ(top.members.size(), 11u);  // k larger than the usable candidates
  std::vector<double> own;
  for (int m : top.members) {
    EXPECT_NE(m, 3);
    own.push_back(ensemble_nll(s, Selection{{m}, {1.0}, {}, "one member"}));
  }
  EXPECT_TRUE(std::is_sorted(own.begin(), own.end()));
  for (double w : top.weights) EXPECT_DOUBLE_EQ(w, 1.0 / 11);
  const Selection greedy = select_greedy(ll, 12, 200, 8);
  for (int m : greedy.members) EXPECT_NE(m, 3);
}

TEST(Selection, RejectsBadInput) {
  const Synthetic s = catalogue(3, 10, 1);
  auto ll = member_log_likelihood(s.predictions, s.targets.data());
  EXPECT_THAT(kyper::testing::error_of([&] { select_greedy(ll, 3, 10, 0); }), ::testing::HasSubstr("k must be >= 1"));
  EXPECT_THAT(kyper::testing::error_of([&] { select_top_k(ll, 4, 10, 2); }), ::testing::HasSubstr("4 x 10"));
  for (double& v : ll) v = -INFINITY;
  EXPECT_THAT(kyper::testing::error_of([&] { select_greedy(ll, 3, 10, 2); }), ::testing::HasSubstr("diverged"));
  EXPECT_THAT(kyper::testing::error_of([] { parse_selection_method("best"); }), ::testing::HasSubstr("topk, greedy, robust"));
}

// The robust default: top-K on a small validation set, and on a large one greedy continued until
// K distinct members, even where plain greedy stops at one.
TEST(Selection, RobustTakesTopKOnFewRows) {
  const Synthetic s = catalogue(12, kRobustSelectionMinRows - 1, 21);
  const auto ll = member_log_likelihood(s.predictions, s.targets.data());
  const Selection robust = select_robust(ll, 12, s.predictions.rows, 4);
  const Selection top = select_top_k(ll, 12, s.predictions.rows, 4);
  EXPECT_EQ(robust.members, top.members);
  EXPECT_EQ(robust.weights, top.weights);
  EXPECT_THAT(robust.rule, ::testing::HasSubstr("top 4"));
}

TEST(Selection, RobustReachesKDistinctMembersWhereGreedyCollapses) {
  // One model far better than the rest: plain greedy keeps re-adding it and stops at one member.
  Synthetic s = catalogue(6, 400, 5);
  auto& p = s.predictions;
  for (long r = 0; r < p.rows; ++r) {
    p.mean[p.at(0, r, 0)] = s.targets[r];  // member 0 predicts the targets almost exactly
    p.variance[p.at(0, r, 0)] = 0.01;
  }
  const auto ll = member_log_likelihood(p, s.targets.data());
  const Selection greedy = select_greedy(ll, 6, p.rows, 3);
  ASSERT_EQ(greedy.members.size(), 1u) << "the set-up should make plain greedy collapse";
  const Selection robust = select_robust(ll, 6, p.rows, 3);
  EXPECT_EQ(robust.members.size(), 3u);
  EXPECT_EQ(robust.members.front(), 0);
  EXPECT_NEAR(std::accumulate(robust.weights.begin(), robust.weights.end(), 0.0), 1.0, 1e-12);
  EXPECT_THAT(robust.rule, ::testing::HasSubstr("3 distinct members"));
  // Its reported NLL is the NLL of the mixture it reports.
  const auto mixed = mixture_log_likelihood(member_log_likelihood(p.pick(robust.members, robust.weights), s.targets.data()),
                                            robust.weights, p.rows);
  double nll = 0;
  for (double v : mixed) nll -= v;
  EXPECT_NEAR(robust.validation_nll(), nll / double(p.rows), 1e-9);
}

TEST(Selection, RobustNeverPicksDivergedModels) {
  Synthetic s = catalogue(4, 200, 8);
  auto& p = s.predictions;
  for (long r = 0; r < p.rows; ++r) p.mean[p.at(2, r, 0)] = std::nan("");
  const auto ll = member_log_likelihood(p, s.targets.data());
  const Selection robust = select_robust(ll, 4, p.rows, 4);  // only 3 usable: stops there
  EXPECT_EQ(robust.members.size(), 3u);
  EXPECT_THAT(robust.members, ::testing::Not(::testing::Contains(2)));
}
