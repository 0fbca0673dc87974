// Searches side by side on MPI ranks (decentralized mode, SearchOptions id_stride > 1), simulated
// in one process: every rank asks before any result is in, then each rank's result reaches every
// other rank. They never propose one configuration twice, even where shared parents make a
// collision likely (a categorical flipped while the rest stays bit for bit, a small discrete space).
#include <kyper/search/cbo.hpp>
#include <kyper/search/evolution.hpp>
#include <kyper/search/random_search.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <set>

using namespace kyper::search;

namespace {
Space mixed_space() {
  Space s;
  s.add_float("x", 0.0, 1.0);
  s.add_categorical("mode", {std::string("a"), std::string("b"), std::string("c")});
  return s;
}
Space discrete_space() {  // 48 points
  Space s;
  s.add_int("n", 1, 8);
  s.add_categorical("mode", {std::string("a"), std::string("b"), std::string("c")});
  s.add_categorical("flag", {std::string("on"), std::string("off")});
  return s;
}
double objective(const Configuration& c) {
  const double x = c.has("x") ? c.number("x") : c.number("n") / 8.0;
  return -(x - 0.7) * (x - 0.7) + (c.text("mode") == "b" ? 0.1 : 0.0);
}

using Factory = std::function<std::unique_ptr<Search>(const Space&, SearchOptions)>;

// `ranks` searches, `rounds` rounds of one ask each; returns every configuration run, in order.
std::vector<std::string> run_side_by_side(const Space& space, const Factory& make, int ranks, int rounds) {
  std::vector<std::unique_ptr<Search>> searches;
  for (int r = 0; r < ranks; ++r) {
    SearchOptions options;
    options.seed = 100 + std::uint64_t(r);
    options.id_offset = r, options.id_stride = ranks;
    searches.push_back(make(space, options));
  }
  std::vector<std::string> run;
  for (int round = 0; round < rounds; ++round) {
    std::vector<Trial> trials;
    for (auto& s : searches) trials.push_back(s->ask(1).front());  // all in flight at once
    for (int r = 0; r < ranks; ++r) {
      const Result result = Result::success(trials[r].id, objective(trials[r].config));
      searches[r]->tell(result);
      for (int other = 0; other < ranks; ++other) {
        if (other == r) continue;
        Observation o;
        static_cast<Outcome&>(o) = result;
        o.id = trials[r].id, o.config = trials[r].config;
        searches[other]->warm_start({o});
      }
      run.push_back(trials[r].config.to_string());
    }
  }
  return run;
}

void expect_no_repeats(const std::vector<std::string>& run) {
  std::set<std::string> distinct(run.begin(), run.end());
  EXPECT_EQ(distinct.size(), run.size()) << "a configuration ran twice";
}
}  // namespace

TEST(SideBySide, CBORanksNeverRunOneConfigurationTwice) {
  CBOOptions cbo;
  cbo.initial_points = 3;
  const Factory make = [&](const Space& s, SearchOptions o) { return std::make_unique<CBO>(s, o, cbo); };
  expect_no_repeats(run_side_by_side(mixed_space(), make, 3, 12));
  expect_no_repeats(run_side_by_side(discrete_space(), make, 3, 5));
}

TEST(SideBySide, EvolutionAndRandomRanksNeverRunOneConfigurationTwice) {
  EvolutionOptions evolution;
  evolution.population_size = 6, evolution.sample_size = 3;
  const Factory aging = [&](const Space& s, SearchOptions o) { return std::make_unique<AgingEvolution>(s, o, evolution); };
  const Factory random = [](const Space& s, SearchOptions o) { return std::make_unique<RandomSearch>(s, o); };
  expect_no_repeats(run_side_by_side(mixed_space(), aging, 3, 12));
  expect_no_repeats(run_side_by_side(discrete_space(), aging, 3, 5));
  expect_no_repeats(run_side_by_side(discrete_space(), random, 3, 5));
}

TEST(SideBySide, EachRankKeepsToItsShareAndAOneRankSearchHasThemAll) {
  // The shares split the space: of the 48 points, each of 3 ranks can reach its own only, and
  // together they reach all of them; a rank whose share is used up repeats rather than stalls.
  const Space space = discrete_space();
  std::set<std::string> all;
  std::size_t total = 0;
  for (int r = 0; r < 3; ++r) {
    SearchOptions options;
    options.seed = 7, options.id_offset = r, options.id_stride = 3;
    RandomSearch search(space, options);
    std::set<std::string> mine;
    for (int i = 0; i < 80; ++i) {
      const Trial t = search.ask(1).front();
      search.tell(t.id, 0.0);
      mine.insert(t.config.to_string());
    }
    EXPECT_GE(mine.size(), 5u) << "rank " << r;
    EXPECT_LT(mine.size(), 48u) << "rank " << r << " left its share";
    total += mine.size();
    all.insert(mine.begin(), mine.end());
  }
  EXPECT_EQ(total, all.size()) << "two shares overlap";
  EXPECT_EQ(all.size(), 48u);
  RandomSearch alone(space, {7, true});
  std::set<std::string> seen;
  for (int i = 0; i < 48; ++i) {
    const Trial t = alone.ask(1).front();
    alone.tell(t.id, 0.0);
    seen.insert(t.config.to_string());
  }
  EXPECT_EQ(seen.size(), 48u);
}
