// Permutation importance (search/importance): it must find the parameters an objective depends on,
// give nothing to those it ignores, say when it cannot tell, and refuse too few trials.
#include <kyper/error.hpp>
#include <kyper/search/importance.hpp>
#include <kyper/search/space.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace kyper::search;

namespace {

Space space_of_three() {
  Space space;
  space.add_float("x", -1, 1);
  space.add_float("lr", 1e-4, 1e-1, true);
  space.add_categorical("kind", {std::string("a"), std::string("b"), std::string("c")});
  return space;
}

// n random trials scored by f.
template <class F>
std::vector<Observation> trials(const Space& space, int n, F f, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Observation> out;
  for (int i = 0; i < n; ++i) {
    Observation o;
    o.id = i;
    o.config = space.make({{"x", -1 + 2 * u(rng)},
                           {"lr", std::pow(10.0, -4 + 3 * u(rng))},
                           {"kind", std::string(1, char('a' + int(3 * u(rng)) % 3))}});
    o.objective = f(o.config);
    out.push_back(o);
  }
  return out;
}

double share(const Importance& result, const std::string& name) {
  for (const auto& p : result.parameters)
    if (p.name == name) return p.share;
  ADD_FAILURE() << "no parameter " << name;
  return -1;
}

}  // namespace

TEST(Importance, FindsTheOneParameterThatMatters) {
  const Space space = space_of_three();
  const auto rows = trials(space, 200, [](const Configuration& c) { return -std::pow(std::log10(c.number("lr")) + 2.5, 2); });
  const Importance result = permutation_importance(space, rows);
  EXPECT_EQ(result.parameters.front().name, "lr");
  EXPECT_GT(share(result, "lr"), 0.9);
  EXPECT_GT(result.cv_r2, 0.8);
  EXPECT_EQ(result.rows, 200u);
  double total = 0;
  for (const auto& p : result.parameters) {
    total += p.share;
    EXPECT_GE(p.share, 0.0);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  EXPECT_NE(result.method.find("5-fold"), std::string::npos);
}

TEST(Importance, SplitsBetweenTwoParametersAndSeesCategoricals) {
  const Space space = space_of_three();
  const auto rows = trials(space, 300, [](const Configuration& c) {
    return 2 * c.number("x") + (c.text("kind") == "b" ? 2.0 : 0.0);
  });
  const Importance result = permutation_importance(space, rows);
  EXPECT_GT(share(result, "x"), 0.3);
  EXPECT_GT(share(result, "kind"), 0.2);
  EXPECT_LT(share(result, "lr"), 0.05);
}

TEST(Importance, ConstantObjectiveAndPureNoiseAreReportedAsSuch) {
  const Space space = space_of_three();
  const Importance constant = permutation_importance(space, trials(space, 40, [](const Configuration&) { return 3.0; }));
  for (const auto& p : constant.parameters) EXPECT_EQ(p.share, 0.0);
  EXPECT_EQ(constant.cv_r2, 0.0);
  std::mt19937_64 noise(7);
  std::normal_distribution<double> n(0, 1);
  const Importance random = permutation_importance(space, trials(space, 80, [&](const Configuration&) { return n(noise); }));
  EXPECT_LT(random.cv_r2, 0.2);  // the forest explains nothing: the report says so
}

TEST(Importance, FailedAndNonFiniteTrialsAreLeftOutAndTooFewRefused) {
  const Space space = space_of_three();
  auto rows = trials(space, 30, [](const Configuration& c) { return c.number("x"); });
  rows[0].objective.reset();
  rows[1].objective = std::numeric_limits<double>::infinity();
  rows[2].objective = std::nan("");
  EXPECT_EQ(permutation_importance(space, rows).rows, 27u);
  rows.resize(12);
  try {
    permutation_importance(space, rows);
    FAIL() << "9 usable trials accepted";
  } catch (const kyper::Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 10 successful trials with finite objectives, got 9"), std::string::npos)
        << e.what();
  }
}

TEST(Importance, SameSeedSameResult) {
  const Space space = space_of_three();
  const auto rows = trials(space, 60, [](const Configuration& c) { return c.number("x") * c.number("x"); });
  const Importance a = permutation_importance(space, rows), b = permutation_importance(space, rows);
  ASSERT_EQ(a.parameters.size(), b.parameters.size());
  for (std::size_t i = 0; i < a.parameters.size(); ++i) EXPECT_EQ(a.parameters[i].share, b.parameters[i].share);
}
