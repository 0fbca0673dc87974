// Property tests for kyper/search/sampler.hpp: thousands of draws respect bounds, scales,
// steps, conditions and forbidden clauses.
#include <kyper/search/sampler.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

using namespace kyper::search;

namespace {
Space mixed_space() {
  Space s;
  s.add_float("lin", -2.0, 3.0);
  s.add_float("log", 1e-6, 1.0, true);
  s.add_int("ilog", 1, 4096, true);
  s.add(Parameter::integer("istep", 10, 100).with_step(15));
  s.add(Parameter::integer("igeo", 2, 1024).with_ratio(2));
  s.add_categorical("kind", {std::string("a"), std::string("b"), 7.0});
  s.add_ordinal("size", {std::string("S"), std::string("M"), std::string("L")});
  s.add_float("child", 0.0, 1.0);
  s.add_condition("child", "kind", {std::string("b")});
  s.add_forbidden({{{"kind", {std::string("a")}}, {"size", {std::string("L")}}}});
  return s;
}
constexpr int kDraws = 20000;
}  // namespace

TEST(Sampler, PriorDrawsRespectBoundsScalesStepsConditionsAndForbidden) {
  Space s = mixed_space();
  std::mt19937_64 rng(7);
  int log_below_mid = 0, ilog_below_64 = 0, lin_below_mid = 0;
  std::map<std::string, int> kinds;
  std::set<double> geo_seen;
  for (int i = 0; i < kDraws; ++i) {
    Configuration c = sample(s, rng);
    s.validate(c);  // throws on any violation
    const double lin = c.number("lin"), lg = c.number("log");
    ASSERT_TRUE(lin >= -2.0 && lin <= 3.0);
    ASSERT_TRUE(lg >= 1e-6 && lg <= 1.0);
    const double ilog = c.number("ilog");
    ASSERT_TRUE(ilog >= 1 && ilog <= 4096 && std::floor(ilog) == ilog);
    const double step = c.number("istep");
    ASSERT_EQ(std::fmod(step - 10, 15), 0.0);
    ASSERT_LE(step, 100);
    const double geo = c.number("igeo");
    ASSERT_EQ(std::exp2(std::round(std::log2(geo))), geo);
    geo_seen.insert(geo);
    ASSERT_EQ(c.active("child"), c["kind"] == Value(std::string("b")));
    ASSERT_FALSE(c["kind"] == Value(std::string("a")) && c["size"] == Value(std::string("L")));
    log_below_mid += lg < 1e-3;       // geometric midpoint
    ilog_below_64 += ilog <= 63;      // integer k owns [k - 1/2, k + 1/2] in log space
    lin_below_mid += lin < 0.5;
    ++kinds[value_to_string(c["kind"])];
  }
  EXPECT_NEAR(log_below_mid / double(kDraws), 0.5, 0.02);
  EXPECT_NEAR(ilog_below_64 / double(kDraws), std::log(63.5 / 0.5) / std::log(4096.5 / 0.5), 0.015);
  EXPECT_NEAR(lin_below_mid / double(kDraws), 0.5, 0.02);
  EXPECT_EQ(geo_seen.size(), 10u);  // 2, 4, ..., 1024
  // "a" loses a third of its draws to the forbidden (a, L) clause: 2/3 : 1 : 1 of the rest.
  EXPECT_NEAR(kinds["a"] / double(kDraws), 0.25, 0.02);
  EXPECT_NEAR(kinds["b"] / double(kDraws), 0.375, 0.02);
  EXPECT_NEAR(kinds["7"] / double(kDraws), 0.375, 0.02);
}

TEST(Sampler, LatinHypercubePutsOnePointInEachStratum) {
  Space s;
  for (int j = 0; j < 5; ++j) s.add_float("x" + std::to_string(j), 0.0, 10.0);
  s.add_float("lg", 1.0, 1e4, true);
  std::mt19937_64 rng(3);
  const int n = 50;
  auto design = latin_hypercube(s, n, rng);
  ASSERT_EQ(design.size(), static_cast<std::size_t>(n));
  for (std::size_t j = 0; j < s.size(); ++j) {
    std::set<int> strata;
    for (const auto& c : design) {
      const double u = s.parameter(j).encode(c.at(j));
      strata.insert(static_cast<int>(std::floor(u * n)));
    }
    EXPECT_EQ(strata.size(), static_cast<std::size_t>(n)) << s.parameter(j).name;
  }
}

TEST(Sampler, LatinHypercubeHonoursForbiddenAndConditions) {
  Space s = mixed_space();
  std::mt19937_64 rng(5);
  for (const auto& c : latin_hypercube(s, 3000, rng)) s.validate(c);
}

TEST(Sampler, MutateChangesExactlyOneParameterAndStaysValid) {
  Space s = mixed_space();
  std::mt19937_64 rng(11);
  for (int i = 0; i < 5000; ++i) {
    Configuration parent = sample(s, rng);
    for (double scale : {0.0, 0.05}) {
      Configuration child = mutate(s, parent, rng, scale);
      s.validate(child);
      int changed = 0;
      // A child switched on or off by its parent's change does not count as a change.
      for (std::size_t j = 0; j < s.size(); ++j)
        changed += is_active(parent.at(j)) && is_active(child.at(j)) && child.at(j) != parent.at(j);
      ASSERT_EQ(changed, 1) << parent.to_string() << " -> " << child.to_string();
    }
    s.validate(perturb(s, parent, rng, 0.1));
  }
}

TEST(Sampler, SameSeedGivesSameDraws) {
  Space s = mixed_space();
  std::mt19937_64 a(42), b(42);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(sample(s, a), sample(s, b));
}
