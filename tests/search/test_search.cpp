// Tests for kyper/search/search.hpp (the ask/tell contract and checkpoints) through
// RandomSearch (kyper/search/random_search.hpp).
#include <kyper/error.hpp>
#include <kyper/search/random_search.hpp>

#include <gtest/gtest.h>

#include <set>
#include <sstream>

using namespace kyper::search;

namespace {
Space small_space() {
  Space s;
  s.add_float("x", -1.0, 1.0);
  s.add_int("n", 1, 3);
  s.add_categorical("c", {std::string("p"), std::string("q")});
  return s;
}
double objective(const Configuration& c) { return -c.number("x") * c.number("x") + c.number("n"); }
}  // namespace

TEST(Search, ResultsArriveInAnyOrderAndNameTheirTrial) {
  RandomSearch search(small_space(), {1, true});
  auto trials = search.ask(5);
  ASSERT_EQ(trials.size(), 5u);
  EXPECT_EQ(search.pending().size(), 5u);
  // Tell in reverse order; each observation keeps its own configuration.
  for (auto it = trials.rbegin(); it != trials.rend(); ++it)
    search.tell(Result::success(it->id, objective(it->config)));
  EXPECT_TRUE(search.pending().empty());
  ASSERT_EQ(search.observations().size(), 5u);
  for (const auto& o : search.observations()) {
    const auto& t = *std::find_if(trials.begin(), trials.end(), [&](const Trial& x) { return x.id == o.id; });
    EXPECT_EQ(o.config, t.config);
    EXPECT_EQ(*o.objective, objective(t.config));
    EXPECT_GE(o.timestamp_gather, o.timestamp_submit);
  }
}

TEST(Search, TellRejectsUnknownAndRepeatedTrials) {
  RandomSearch search(small_space(), {1, true});
  auto trials = search.ask(2);
  EXPECT_THROW(search.tell(Result::success(99, 1.0)), kyper::Error);
  search.tell(Result::success(trials[0].id, 1.0));
  EXPECT_THROW(search.tell(Result::success(trials[0].id, 1.0)), kyper::Error);
  // A bad batch changes nothing.
  EXPECT_THROW(search.tell({Result::success(trials[1].id, 1.0), Result::success(77, 2.0)}), kyper::Error);
  EXPECT_EQ(search.pending().size(), 1u);
  EXPECT_THROW(search.tell(Result::success(trials[1].id, std::nan(""))), kyper::Error);
}

TEST(Search, FailuresAreRecordedAndBestFollowsTheDirection) {
  RandomSearch max_search(small_space(), {3, true}), min_search(small_space(), {3, false});
  for (RandomSearch* s : {&max_search, &min_search}) {
    auto trials = s->ask(6);
    for (std::size_t i = 0; i < trials.size(); ++i) {
      if (i == 2) s->tell(Result::failure(trials[i].id, "out of memory"));
      else s->tell(Result::success(trials[i].id, static_cast<double>(i)));
    }
    EXPECT_TRUE(s->observations()[2].failed());
    EXPECT_EQ(s->observations()[2].reason, "out of memory");
  }
  EXPECT_EQ(*max_search.best()->objective, 5.0);
  EXPECT_EQ(*min_search.best()->objective, 0.0);
}

TEST(RandomSearch, ProposesNoDuplicatesInASmallDiscreteSpace) {
  Space s;
  s.add_int("a", 0, 7);
  s.add_int("b", 0, 7);  // 64 points
  RandomSearch search(s, {5, true});
  std::set<std::string> seen;
  auto first = search.ask(40);
  auto second = search.ask(24);  // the first 40 are still pending
  for (const auto* batch : {&first, &second})
    for (const auto& t : *batch) EXPECT_TRUE(seen.insert(t.config.to_string()).second) << t.config.to_string();
}

TEST(Search, CheckpointResumesIdentically) {
  RandomSearch a(small_space(), {11, true});
  for (int i = 0; i < 3; ++i) {
    auto trials = a.ask(4);
    for (std::size_t k = 0; k + 1 < trials.size(); ++k) a.tell(Result::success(trials[k].id, objective(trials[k].config)));
  }
  std::stringstream checkpoint;
  a.save(checkpoint);
  RandomSearch b(small_space(), {11, true});
  b.load(checkpoint);
  EXPECT_EQ(b.observations().size(), a.observations().size());
  EXPECT_EQ(b.pending().size(), 3u);
  auto ta = a.ask(5), tb = b.ask(5);
  for (std::size_t i = 0; i < ta.size(); ++i) {
    EXPECT_EQ(ta[i].id, tb[i].id);
    EXPECT_EQ(ta[i].config, tb[i].config);
  }
  Space other = small_space();
  other.add_float("extra", 0, 1);
  RandomSearch c(other, {11, true});
  std::stringstream again;
  a.save(again);
  EXPECT_THROW(c.load(again), kyper::Error);
}
