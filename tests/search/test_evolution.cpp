// Tests for kyper/search/evolution.hpp: children are one-parameter mutations of tournament
// winners from the newest population, and evolution beats random search.
#include <kyper/error.hpp>
#include <kyper/search/evolution.hpp>
#include <kyper/search/random_search.hpp>

#include <gtest/gtest.h>

#include <cmath>

using namespace kyper::search;

namespace {
Space space() {
  Space s;
  for (int j = 0; j < 6; ++j) s.add_int("k" + std::to_string(j), 0, 20);
  s.add_categorical("act", {std::string("relu"), std::string("tanh"), std::string("gelu")});
  return s;
}
double objective(const Configuration& c) {
  double f = c["act"] == Value(std::string("gelu")) ? 0.0 : -3.0;
  for (int j = 0; j < 6; ++j) f -= std::abs(c.number("k" + std::to_string(j)) - 13.0);
  return f;
}
}  // namespace

TEST(AgingEvolution, ChildrenMutateOneParameterOfAPopulationMember) {
  AgingEvolution evo(space(), {1, true}, {20, 5});
  for (int i = 0; i < 60; ++i) {
    const Trial t = evo.ask(1)[0];
    if (i >= 20) {
      // The population is the newest 20 results; the child differs from one in one place.
      const auto& obs = evo.observations();
      bool found = false;
      for (std::size_t m = obs.size() - 20; m < obs.size() && !found; ++m) {
        int diff = 0;
        for (std::size_t j = 0; j < t.config.size(); ++j) diff += t.config.at(j) != obs[m].config.at(j);
        found = diff == 1;
      }
      EXPECT_TRUE(found) << t.config.to_string();
    }
    evo.tell(Result::success(t.id, objective(t.config)));
  }
}

TEST(AgingEvolution, BeatsRandomSearch) {
  double evo_total = 0, random_total = 0;
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    AgingEvolution evo(space(), {seed, true}, {30, 8});
    RandomSearch random(space(), {seed, true});
    for (Search* s : {static_cast<Search*>(&evo), static_cast<Search*>(&random)})
      for (int i = 0; i < 50; ++i) {
        auto trials = s->ask(4);
        for (const auto& t : trials) s->tell(Result::success(t.id, objective(t.config)));
      }
    evo_total += *evo.best()->objective;
    random_total += *random.best()->objective;
  }
  EXPECT_GT(evo_total / 5, random_total / 5 + 5.0);
}

TEST(AgingEvolution, FailedMembersNeverWinAndBadOptionsAreRejected) {
  AgingEvolution evo(space(), {2, true}, {10, 10});
  for (int i = 0; i < 10; ++i) {
    const Trial t = evo.ask(1)[0];
    if (i == 3) evo.tell(Result::success(t.id, objective(t.config)));
    else evo.tell(Result::failure(t.id, "crash"));
  }
  // sample_size = population: the only success is always the parent.
  const Configuration& parent = evo.observations()[3].config;
  for (const auto& t : evo.ask(10)) {
    int diff = 0;
    for (std::size_t j = 0; j < t.config.size(); ++j) diff += t.config.at(j) != parent.at(j);
    EXPECT_EQ(diff, 1);
  }
  EXPECT_THROW(AgingEvolution(space(), {}, {10, 11}), kyper::Error);
  EXPECT_THROW(AgingEvolution(space(), {}, {0, 1}), kyper::Error);
}
