// Stoppers (kyper/search/stopper.hpp) on hand-made learning curves: which trial stops, at which
// budget; bad reports and options; checkpoint round trip.
#include <kyper/error.hpp>
#include <kyper/search/stopper.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <sstream>

using namespace kyper::search;

namespace {
StopperOptions options(const std::string& kind, double min_budget, double max_budget) {
  StopperOptions o;
  o.kind = kind, o.min_budget = min_budget, o.max_budget = max_budget;
  return o;
}
// Reports budgets 1, 2, ... of `curve` until the stopper stops the trial; the budget it stopped
// at, or 0 when it ran to the end.
double run_curve(Stopper& s, std::int64_t id, const std::function<double(double)>& curve, int budgets) {
  for (int b = 1; b <= budgets; ++b)
    if (s.report(id, b, curve(b))) return b;
  return 0;
}
}  // namespace

TEST(Stoppers, SuccessiveHalvingKeepsTheTopThirdAtEachRung) {
  auto s = make_stopper(options("asha", 1, 27), true);
  auto& asha = static_cast<SuccessiveHalvingStopper&>(*s);
  EXPECT_EQ(asha.rungs(0), (std::vector<double>{1, 3, 9}));
  // Rung 1, values in arrival order: the first always goes on; then one in three may.
  EXPECT_FALSE(s->report(0, 1, 0.5));  // 1 value: keep 1, best
  EXPECT_TRUE(s->report(1, 1, 0.4));   // 2 values: keep 1, one ahead
  EXPECT_FALSE(s->report(2, 1, 0.9));  // 3 values: keep 1, best
  EXPECT_TRUE(s->report(3, 1, 0.6));   // 4 values: keep 1, 0.9 ahead
  EXPECT_FALSE(s->report(4, 1, 0.95));
  EXPECT_TRUE(s->report(5, 1, 0.55));  // 6 values: keep 2, 0.95 and 0.9 and 0.6 ahead
  EXPECT_FALSE(s->report(6, 1, 0.92)); // 7 values: keep 2, only 0.95 ahead
  EXPECT_TRUE(s->stopped(1));
  EXPECT_FALSE(s->stopped(0));
  // Between rungs nothing is decided; at rung 3 trial 0 is alone and goes on, trial 2 beats it.
  EXPECT_FALSE(s->report(0, 2, 0.1));
  EXPECT_FALSE(s->report(0, 3, 0.7));
  EXPECT_FALSE(s->report(2, 3, 0.8));
  EXPECT_TRUE(s->report(4, 3, 0.6));  // 3 values at rung 3: keep 1, two ahead
  // A report that jumps over rungs is decided at each of them.
  EXPECT_TRUE(s->report(7, 9, 0.0));
}

TEST(Stoppers, SuccessiveHalvingMinimisesToo) {
  auto s = make_stopper(options("asha", 1, 27), false);
  EXPECT_FALSE(s->report(0, 1, 0.5));
  EXPECT_FALSE(s->report(1, 1, 0.4));  // lower is better: it leads
  EXPECT_TRUE(s->report(2, 1, 0.45));
}

TEST(Stoppers, HyperbandBracketsStartAtHigherRungsAndSpreadTrials) {
  auto s = make_stopper(options("hyperband", 1, 27), true);
  auto& hb = static_cast<SuccessiveHalvingStopper&>(*s);
  ASSERT_EQ(hb.brackets(), 4);
  EXPECT_EQ(hb.rungs(1), (std::vector<double>{3, 9}));
  EXPECT_TRUE(hb.rungs(3).empty());  // the full-budget bracket never stops a trial
  // Ids of one rank of four (stride 4) reach every bracket.
  std::set<int> seen;
  for (std::int64_t id = 2; id < 200; id += 4) seen.insert(hb.bracket_of(id));
  EXPECT_EQ(seen.size(), 4u);
  // Trials compete only within their bracket: find two ids in bracket 0 and one in bracket 1.
  std::vector<std::int64_t> zero, one;
  for (std::int64_t id = 0; zero.size() < 2 || one.empty(); ++id) {
    if (hb.bracket_of(id) == 0 && zero.size() < 2) zero.push_back(id);
    if (hb.bracket_of(id) == 1 && one.empty()) one.push_back(id);
  }
  EXPECT_FALSE(s->report(zero[0], 1, 0.9));
  EXPECT_TRUE(s->report(zero[1], 1, 0.1));     // behind 0.9 at rung 1 of bracket 0
  EXPECT_FALSE(s->report(one[0], 1, 0.0));     // bracket 1 decides first at budget 3
  EXPECT_FALSE(s->report(one[0], 3, 0.0));     // alone at its rung
}

TEST(Stoppers, MedianStopsBelowTheMedianAfterTheGracePeriod) {
  StopperOptions o = options("median", 2, 5);
  o.min_trials = 3;
  auto s = make_stopper(o, true);
  for (int t = 0; t < 3; ++t)
    EXPECT_EQ(run_curve(*s, t, [t](double b) { return 0.1 * b + 0.1 * t; }, 5), 0) << "trial " << t;
  // At budget 2 the others' bests are 0.2, 0.3, 0.4: median 0.3.
  EXPECT_FALSE(s->report(3, 1, 0.0));  // grace period
  EXPECT_TRUE(s->report(3, 2, 0.29));
  EXPECT_EQ(run_curve(*s, 4, [](double b) { return 0.1 * b + 0.11; }, 5), 0);  // above the median all along
  // With fewer than min_trials others at a budget nothing is stopped.
  auto few = make_stopper(o, true);
  EXPECT_EQ(run_curve(*few, 0, [](double b) { return b; }, 5), 0);
  EXPECT_FALSE(few->report(1, 2, -100.0));
}

TEST(Stoppers, LearningCurveForecastsAPowerLawAndStopsHopelessTrials) {
  StopperOptions o = options("lce", 3, 100);
  o.min_probability = 0.05;
  auto s = make_stopper(o, true);
  auto& lce = static_cast<LearningCurveStopper&>(*s);
  auto law = [](double c, double a, double alpha) { return [=](double b) { return c - a * std::pow(b, -alpha); }; };
  // A noiseless curve is extrapolated to its value at budget 100.
  std::vector<Progress> curve;
  for (int b = 1; b <= 6; ++b) curve.push_back({double(b), law(0.9, 0.5, 0.7)(b)});
  const auto f = lce.forecast(curve);
  EXPECT_NEAR(f.mean, law(0.9, 0.5, 0.7)(100), 0.02);
  EXPECT_NEAR(f.alpha, 0.7, 0.1);
  // The value to beat is the second best any other trial reached (top_k 2): the first two trials
  // run to the end (fewer than two others), one heading for 0.5 stops as soon as it has
  // min_points points, one heading above them never does.
  o.top_k = 2;
  s = make_stopper(o, true);
  EXPECT_EQ(run_curve(*s, 0, law(0.9, 0.5, 0.7), 100), 0);   // ends at 0.896
  EXPECT_EQ(run_curve(*s, 1, law(0.85, 0.5, 0.7), 100), 0);  // ends at 0.830
  EXPECT_EQ(run_curve(*s, 2, law(0.5, 0.5, 0.7), 100), 3);
  EXPECT_EQ(run_curve(*s, 3, law(1.0, 0.9, 0.7), 100), 0);   // ends at 0.964
  // A slow starter (0.23 at budget 3, far below the others then) heading for 0.96 goes on; one
  // heading for 0.86, below the second best 0.896, stops.
  EXPECT_EQ(run_curve(*s, 4, law(1.2, 1.5, 0.4), 100), 0);
  EXPECT_EQ(run_curve(*s, 5, law(1.1, 1.5, 0.4), 100), 3);
}

TEST(Stoppers, BadReportsAndOptionsAreClearErrors) {
  auto s = make_stopper(options("asha", 1, 10), true);
  s->report(0, 2, 0.5);
  EXPECT_THROW(s->report(0, 2, 0.6), kyper::Error);  // budget does not increase
  EXPECT_THROW(s->report(0, 1, 0.6), kyper::Error);
  EXPECT_THROW(s->report(0, 11, 0.6), kyper::Error);  // past the maximum
  EXPECT_THROW(s->report(1, 1, std::nan("")), kyper::Error);
  EXPECT_THROW(s->report(1, 0, 0.1), kyper::Error);
  try {
    s->report(0, 2, 0.6);
    FAIL();
  } catch (const kyper::Error& e) {
    EXPECT_NE(std::string(e.what()).find("budgets must increase"), std::string::npos) << e.what();
  }
  EXPECT_EQ(make_stopper(options("none", 1, 10), true), nullptr);
  EXPECT_THROW(make_stopper(options("asa", 1, 10), true), kyper::Error);
  EXPECT_THROW(make_stopper(options("asha", 0, 10), true), kyper::Error);
  EXPECT_THROW(make_stopper(options("asha", 5, 4), true), kyper::Error);
  StopperOptions o = options("asha", 1, 10);
  o.reduction_factor = 1;
  EXPECT_THROW(make_stopper(o, true), kyper::Error);
  o = options("lce", 1, 10);
  o.min_probability = 1;
  EXPECT_THROW(make_stopper(o, true), kyper::Error);
}

TEST(Stoppers, CheckpointRoundTripKeepsTheDecisions) {
  for (const std::string kind : {"asha", "hyperband", "median", "lce"}) {
    StopperOptions o = options(kind, 2, 30);
    o.min_trials = 2;
    auto a = make_stopper(o, true), b = make_stopper(o, true);
    for (int t = 0; t < 6; ++t)
      for (int budget = 1; budget <= 2 + 4 * t; ++budget)
        if (a->report(t, budget, 0.1 * budget + 0.05 * (t % 3))) break;
    a->observe(100, 5, 0.3);  // another rank's trial
    std::stringstream bytes;
    {
      cereal::BinaryOutputArchive out(bytes);
      a->save(out);
    }
    kyper::CheckedBinaryInputArchive in(bytes);
    b->load(in);
    EXPECT_EQ(a->curves().size(), b->curves().size()) << kind;
    for (int t = 0; t < 6; ++t) EXPECT_EQ(a->stopped(t), b->stopped(t)) << kind;
    for (int budget = 1; budget <= 30; ++budget) {
      const bool stop_a = a->report(50, budget, 0.02 * budget), stop_b = b->report(50, budget, 0.02 * budget);
      ASSERT_EQ(stop_a, stop_b) << kind << " at budget " << budget;
      if (stop_a) break;
    }
  }
}

// The successive-halving decision from every curve, read the slow way: at each rung a report
// reaches for the first time, the trial stops unless it is among the best max(1, n / eta) of the
// n trials of its bracket that reached that rung (values ahead of it strictly better).
namespace {
bool brute_force_stop(const SuccessiveHalvingStopper& s, std::int64_t id) {
  const auto& curve = s.curves().at(id);
  const int bracket = s.bracket_of(id);
  auto at_rung = [](const std::vector<Progress>& c, double rung) -> const Progress* {
    for (const auto& p : c)
      if (p.budget >= rung * (1 - 1e-12)) return &p;
    return nullptr;
  };
  const double previous = curve.size() > 1 ? curve[curve.size() - 2].budget : 0;
  for (double rung : s.rungs(bracket)) {
    if (!(curve.back().budget >= rung * (1 - 1e-12) && previous < rung * (1 - 1e-12))) continue;
    const double mine = at_rung(curve, rung)->value;
    long reached = 0, ahead = 0;
    for (const auto& [other_id, other] : s.curves()) {
      if (s.bracket_of(other_id) != bracket) continue;
      if (const Progress* p = at_rung(other, rung)) ++reached, ahead += p->value > mine;
    }
    if (ahead >= std::max<long>(1, long(std::floor(double(reached) / s.options().reduction_factor)))) return true;
  }
  return false;
}
}  // namespace

TEST(Stoppers, SuccessiveHalvingIndexDecidesAsReadingEveryCurve) {
  for (const std::string kind : {"asha", "hyperband"}) {
    auto made = make_stopper(options(kind, 1, 27), false);  // minimising: values are negated inside
    auto& s = static_cast<SuccessiveHalvingStopper&>(*made);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    long stops = 0;
    for (std::int64_t id = 0; id < 300; ++id) {
      // Budgets that skip rungs now and then (a report every 1 to 4 epochs), ties in the values.
      double budget = 0;
      const double level = std::round(u(rng) * 20) / 20;
      while (budget < 27) {
        budget = std::min(27.0, budget + 1 + std::floor(u(rng) * 4));
        if (id % 7 == 3) {
          made->observe(id, budget, level / budget);  // another rank's trial: recorded, not decided
          continue;
        }
        const bool stop = made->report(id, budget, level / budget);
        ASSERT_EQ(stop, budget < 27 && brute_force_stop(s, id)) << kind << " trial " << id << " budget " << budget;
        if (stop) {
          ++stops;
          break;
        }
      }
    }
    EXPECT_GT(stops, 100) << kind;
  }
}

// may_stop is what a worker rank uses to send a report without waiting for rank 0's decision: it
// must be true for every report that stops a trial, and false often enough to matter.
TEST(Stoppers, MayStopHoldsForEveryReportThatStops) {
  for (const std::string kind : {"asha", "hyperband", "median", "lce"}) {
    StopperOptions o = options(kind, kind == "asha" || kind == "hyperband" ? 1 : 4, 27);
    auto stopper = make_stopper(o, true);
    std::mt19937 rng(11);
    std::uniform_real_distribution<double> u(0, 1);
    long stops = 0, reports = 0, may = 0;
    for (std::int64_t id = 0; id < 200; ++id) {
      double budget = 0, previous = 0;
      std::size_t count = 0;
      const double level = u(rng), rate = 0.05 + 0.3 * u(rng);
      while (budget < 27) {
        previous = budget;
        budget = std::min(27.0, budget + 1 + std::floor(u(rng) * 3));
        const double value = level * (1 - std::exp(-rate * budget)) + 0.01 * u(rng);
        const bool can = stopper->may_stop(id, previous, budget, ++count);
        const bool stop = stopper->report(id, budget, value);
        ++reports, may += can;
        if (stop) {
          ASSERT_TRUE(can) << kind << " trial " << id << " stopped at budget " << budget << " after " << previous;
          ++stops;
          break;
        }
      }
    }
    EXPECT_GT(stops, 20) << kind;
    if (kind == "asha" || kind == "lce" || kind == "median") {
      EXPECT_LT(may, reports) << kind;
    }
  }
  // At the full budget no report can stop a trial; asha decides only where a rung is first reached.
  auto asha = make_stopper(options("asha", 1, 27), true);
  EXPECT_FALSE(asha->may_stop(0, 20, 27, 5));
  EXPECT_TRUE(asha->may_stop(0, 0, 1, 1));     // rung 1
  EXPECT_FALSE(asha->may_stop(0, 1, 2, 2));    // between rungs 1 and 3
  EXPECT_TRUE(asha->may_stop(0, 2, 4, 3));     // passes rung 3
  EXPECT_FALSE(asha->may_stop(0, 9, 10, 10));  // just past rung 9, already reached
}

TEST(Stoppers, CheckReportSaysWhatReportSays) {
  auto stopper = make_stopper(options("median", 1, 10), true);
  auto message = [&](double previous, double budget, double value) -> std::string {
    try {
      stopper->check_report(4, previous, budget, value);
    } catch (const kyper::Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(3, 3, 0.5).find("trial 4 reported budget 3 after budget 3"), std::string::npos);
  EXPECT_NE(message(0, 11, 0.5).find("past the maximum budget 10"), std::string::npos);
  EXPECT_NE(message(0, 1, std::nan("")).find("not a number"), std::string::npos);
  EXPECT_EQ(message(0, 1, 0.5), "");
  // A rejected first report leaves no curve behind.
  EXPECT_THROW(stopper->report(5, -1, 0.5), kyper::Error);
  EXPECT_EQ(stopper->curves().count(5), 0u);
}

TEST(Stoppers, MedianDigestHoldsTheMedianByEachBudget) {
  StopperOptions o = options("median", 2, 5);
  o.min_trials = 3;
  auto s = make_stopper(o, true);
  for (int t = 0; t < 3; ++t) run_curve(*s, t, [t](double b) { return 0.1 * b + 0.1 * t; }, 5);
  s->report(3, 1, 0.05), s->report(3, 2, 0.5);  // a fourth trial, only as far as budget 2
  const StopDigest d = s->digest();
  // Budgets 1 and 2: four trials; 3 to 5: three.
  EXPECT_EQ(d.budgets, (std::vector<double>{1, 2, 3, 4, 5}));
  EXPECT_NEAR(d.values[1], 0.35, 1e-12);  // bests 0.2, 0.3, 0.4, 0.5
  EXPECT_NEAR(d.values[2], 0.4, 1e-12);   // 0.3, 0.4, 0.5
  // A rank holding only its own trial: above the median it goes on; below, it must ask.
  auto rule = make_stopper(o, true);
  EXPECT_TRUE(rule->continues_by(d, 9, {{1, 0.0}, {2, 0.0}, {3, 0.41}}));
  EXPECT_FALSE(rule->continues_by(d, 9, {{1, 0.0}, {2, 0.0}, {3, 0.39}}));
  EXPECT_TRUE(rule->continues_by(d, 9, {{1, -5.0}}));             // grace period: no decision
  EXPECT_FALSE(rule->continues_by(d, 9, {{1, 0.0}, {2.5, 0.9}}));  // nobody at 2.5 yet: ask
  EXPECT_FALSE(rule->continues_by(StopDigest{}, 9, {{1, 0.0}, {2, 0.9}}));  // no digest: ask
  EXPECT_TRUE(rule->continues_by(StopDigest{}, 9, {{1, 0.0}, {5, 0.0}}));   // full budget: finished
  // Budgets fewer than min_trials trials reached are left out.
  auto few = make_stopper(o, true);
  run_curve(*few, 0, [](double b) { return b; }, 5);
  EXPECT_TRUE(few->digest().empty());
  // Minimising: the digest holds internal (maximise-direction) values and says so.
  auto minimising = make_stopper(o, false);
  for (int t = 0; t < 3; ++t) run_curve(*minimising, t, [t](double b) { return -0.1 * b - 0.1 * t; }, 5);
  const StopDigest m = minimising->digest();
  EXPECT_FALSE(m.maximize);
  EXPECT_TRUE(rule->continues_by(m, 9, {{1, 0.0}, {2, -0.31}}));   // median -0.3 at budget 2
  EXPECT_FALSE(rule->continues_by(m, 9, {{1, 0.0}, {2, -0.29}}));
}

TEST(Stoppers, LearningCurveDigestHoldsTheTopValuesAndWhoseTheyAre) {
  StopperOptions o = options("lce", 3, 100);
  o.top_k = 2;
  auto s = make_stopper(o, true);
  auto law = [](double c, double a, double alpha) { return [=](double b) { return c - a * std::pow(b, -alpha); }; };
  run_curve(*s, 0, law(0.9, 0.5, 0.7), 100);
  run_curve(*s, 1, law(0.85, 0.5, 0.7), 100);
  run_curve(*s, 2, law(0.95, 0.5, 0.7), 100);
  const StopDigest d = s->digest();
  ASSERT_EQ(d.values.size(), 3u);  // top_k + 1
  EXPECT_EQ(d.trials, (std::vector<std::int64_t>{2, 0, 1}));
  auto rule = make_stopper(o, true);
  std::vector<Progress> heading_low, heading_high;
  for (int b = 1; b <= 4; ++b) {
    heading_low.push_back({double(b), law(0.5, 0.5, 0.7)(b)});
    heading_high.push_back({double(b), law(1.0, 0.5, 0.7)(b)});
  }
  EXPECT_FALSE(rule->continues_by(d, 7, heading_low));  // below the second best: ask rank 0
  EXPECT_TRUE(rule->continues_by(d, 7, heading_high));
  // Trial 2 itself: its own best is left out, so the one to beat is trial 1's (the third).
  EXPECT_TRUE(rule->continues_by(d, 2, heading_high));
  // Too few others in the digest: ask.
  StopDigest two = d;
  two.values.resize(2), two.trials.resize(2);
  EXPECT_FALSE(rule->continues_by(two, 2, heading_high));
}

// For every report that the digest of the state just before it says continues, the stopper says
// continue too; and most reports that must be decided are told by the digest, without asking.
TEST(Stoppers, DigestNeverContinuesATrialTheCurrentStateWouldStop) {
  for (const std::string kind : {"median", "lce"})
    for (const bool maximize : {true, false}) {
      StopperOptions o = options(kind, 4, 27);
      auto stopper = make_stopper(o, maximize);
      auto rule = make_stopper(o, maximize);
      std::mt19937 rng(5);
      std::uniform_real_distribution<double> u(0, 1);
      // Eight trials at a time, one report each in turn, as ranks of a search would send them.
      struct Running {
        std::int64_t id;
        double level, rate;
        std::vector<Progress> curve;
      };
      std::vector<Running> running;
      std::int64_t next_id = 0;
      long decided = 0, told_by_digest = 0, stops = 0;
      while (next_id < 300) {
        while (running.size() < 8) running.push_back({next_id++, u(rng), 0.05 + 0.3 * u(rng), {}});
        Running& t = running[std::size_t(u(rng) * double(running.size())) % running.size()];
        const double budget = double(t.curve.size() + 1);
        const double value = t.level * (1 - std::exp(-t.rate * budget)) + 0.01 * u(rng);
        t.curve.push_back({budget, maximize ? value : -value});
        const StopDigest digest = stopper->digest();
        const bool can_stop = stopper->may_stop(t.id, budget - 1, budget, t.curve.size());
        const bool continues = rule->continues_by(digest, t.id, t.curve);
        const bool stop = stopper->report(t.id, budget, t.curve.back().value);
        if (continues) {
          ASSERT_FALSE(stop) << kind << " trial " << t.id << " at budget " << budget;
        }
        decided += can_stop, told_by_digest += can_stop && continues, stops += stop;
        if (stop || budget >= 27) running.erase(running.begin() + (&t - running.data()));
      }
      EXPECT_GT(stops, 50) << kind;
      EXPECT_GT(told_by_digest, decided / 2) << kind << ": " << told_by_digest << " of " << decided;
    }
}
