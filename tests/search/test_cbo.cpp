// Tests for kyper/search/cbo.hpp: CBO reaches stated regrets on Branin and Hartmann-6 in a
// fixed budget and seed, never hands out the same point twice under many pending trials,
// steers away from failures, and resumes identically from a checkpoint.
#include <kyper/search/cbo.hpp>
#include <kyper/search/random_search.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <sstream>

using namespace kyper::search;

namespace {
double branin(const Configuration& c) {
  const double x1 = c.number("x1"), x2 = c.number("x2");
  const double b = 5.1 / (4 * M_PI * M_PI), cc = 5 / M_PI, t = 1 / (8 * M_PI);
  return std::pow(x2 - b * x1 * x1 + cc * x1 - 6, 2) + 10 * (1 - t) * std::cos(x1) + 10;
}
constexpr double kBraninMin = 0.397887357729738;

double hartmann6(const Configuration& c) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}};
  static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
                                 {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}};
  double f = 0;
  for (int i = 0; i < 4; ++i) {
    double s = 0;
    for (int j = 0; j < 6; ++j) {
      const double d = c.number("x" + std::to_string(j + 1)) - P[i][j] * 1e-4;
      s += A[i][j] * d * d;
    }
    f -= alpha[i] * std::exp(-s);
  }
  return f;
}
constexpr double kHartmannMin = -3.322368011415515;

Space box(int d, double low, double high) {
  Space s;
  for (int j = 1; j <= d; ++j) s.add_float("x" + std::to_string(j), low, high);
  return s;
}

template <class F>
double run(Search& search, F f, int budget, int batch = 1) {
  double best = INFINITY;
  for (int done = 0; done < budget; done += batch) {
    for (const auto& t : search.ask(batch)) {
      const double y = f(t.config);
      best = std::min(best, y);
      search.tell(Result::success(t.id, y));
    }
  }
  return best;
}
}  // namespace

TEST(CBO, GaussianProcessFindsBraninOptimum) {
  Space s;
  s.add_float("x1", -5, 10);
  s.add_float("x2", 0, 15);
  CBOOptions o;
  o.surrogate = "GP";
  CBO cbo(s, {1, false}, o);
  const double regret = run(cbo, branin, 50) - kBraninMin;
  std::printf("CBO(GP) Branin regret after 50 evaluations: %.3g\n", regret);
  EXPECT_LT(regret, 0.05);  // random search: ~0.4 (benchmark, mean of 10 seeds)
}

TEST(CBO, ExtraTreesFindBraninOptimum) {
  Space s;
  s.add_float("x1", -5, 10);
  s.add_float("x2", 0, 15);
  CBOOptions o;
  o.surrogate = "ET";
  CBO cbo(s, {2, false}, o);
  const double regret = run(cbo, branin, 100) - kBraninMin;
  std::printf("CBO(ET) Branin regret after 100 evaluations: %.3g\n", regret);
  EXPECT_LT(regret, 0.3);
}

TEST(CBO, GaussianProcessFindsHartmann6Optimum) {
  CBOOptions o;
  o.surrogate = "GP";
  CBO cbo(box(6, 0, 1), {3, false}, o);
  const double regret = run(cbo, hartmann6, 100) - kHartmannMin;
  std::printf("CBO(GP) Hartmann-6 regret after 100 evaluations: %.3g\n", regret);
  EXPECT_LT(regret, 0.1);  // random search: ~1.0
}

TEST(CBO, BeatsRandomSearchWithExtraTreesOnHartmann6) {
  // One seed decides nothing: the forest's draws and the build's floating point (a sanitizer
  // build rounds differently) move a single run's regret by a factor two. Compare means of
  // log10 regret over several seeds instead.
  constexpr int kSeeds = 8;
  double cbo_log = 0, random_log = 0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    CBOOptions o;
    o.surrogate = "ET";
    CBO cbo(box(6, 0, 1), {static_cast<std::uint64_t>(seed), false}, o);
    RandomSearch random(box(6, 0, 1), {static_cast<std::uint64_t>(seed), false});
    const double c = run(cbo, hartmann6, 100, 4) - kHartmannMin;
    const double r = run(random, hartmann6, 100, 4) - kHartmannMin;
    std::printf("seed %d: Hartmann-6 regret after 100 evaluations in batches of 4: CBO(ET) %.3g, random %.3g\n",
                seed, c, r);
    cbo_log += std::log10(c) / kSeeds;
    random_log += std::log10(r) / kSeeds;
  }
  std::printf("mean log10 regret: CBO(ET) %.2f, random %.2f\n", cbo_log, random_log);
  EXPECT_LT(cbo_log, std::log10(0.5));
  EXPECT_LT(cbo_log, random_log - 0.3);
}

TEST(CBO, NoDuplicateProposalsUnder64PendingPoints) {
  Space s;
  s.add_int("a", 0, 15);
  s.add_int("b", 0, 15);
  s.add_categorical("c", {std::string("u"), std::string("v")});  // 512 points
  for (const char* surrogate : {"ET", "RF", "GP", "auto"})
    for (const char* liar : {"cl_worst", "cl_mean", "cl_best", "believer", "qUCB"}) {
      CBOOptions o;
      o.surrogate = surrogate;
      o.liar = liar;
      o.random_candidates = 200;
      o.local_candidates = 100;
      CBO cbo(s, {5, true}, o);
      std::set<std::string> seen;
      auto tell_some = cbo.ask(16);
      for (const auto& t : tell_some) {
        seen.insert(t.config.to_string());
        cbo.tell(Result::success(t.id, t.config.number("a") - t.config.number("b")));
      }
      for (int round = 0; round < 2; ++round)  // 64 then 128 pending
        for (const auto& t : cbo.ask(64))
          EXPECT_TRUE(seen.insert(t.config.to_string()).second) << surrogate << " " << liar << " "
                                                                << t.config.to_string();
      EXPECT_EQ(cbo.pending().size(), 128u);
    }
}

TEST(CBO, FailedTrialsSteerTheSearchAway) {
  // Everything with x1 > 0 fails; the optimum is at (-0.5, 0), inside the working region.
  Space s = box(2, -1, 1);
  CBO cbo(s, {6, true}, CBOOptions{});
  int late_failures = 0;
  for (int i = 0; i < 80; ++i) {
    const Trial t = cbo.ask(1)[0];
    if (t.config.number("x1") > 0) {
      late_failures += i >= 40;
      cbo.tell(Result::failure(t.id, "diverged"));
    } else {
      const double a = t.config.number("x1") + 0.5, b = t.config.number("x2");
      cbo.tell(Result::success(t.id, -a * a - b * b));
    }
  }
  EXPECT_LT(late_failures, 6);  // random search would fail ~20 of these 40
  EXPECT_GT(*cbo.best()->objective, -0.05);
}

TEST(CBO, KappaDecays) {
  CBOOptions o;
  o.kappa = 2.0;
  o.kappa_decay = 0.5;
  o.initial_points = 2;
  CBO cbo(box(2, 0, 1), {7, true}, o);
  EXPECT_DOUBLE_EQ(cbo.current_kappa(), 2.0);
  for (int i = 0; i < 4; ++i)
    for (const auto& t : cbo.ask(1)) cbo.tell(Result::success(t.id, t.config.number("x1")));
  EXPECT_DOUBLE_EQ(cbo.current_kappa(), 0.5);  // two model-based proposals after the design
}

TEST(CBO, CheckpointResumesIdentically) {
  for (const char* surrogate : {"ET", "GP", "auto"}) {
    CBOOptions o;
    o.surrogate = surrogate;
    CBO a(box(2, -5, 10), {8, false}, o);
    run(a, branin, 20, 2);
    a.ask(3);  // left pending
    std::stringstream checkpoint;
    a.save(checkpoint);
    CBO b(box(2, -5, 10), {8, false}, o);
    b.load(checkpoint);
    for (int i = 0; i < 5; ++i) {
      auto ta = a.ask(2), tb = b.ask(2);
      for (std::size_t k = 0; k < ta.size(); ++k) {
        ASSERT_EQ(ta[k].config, tb[k].config) << surrogate;
        a.tell(Result::success(ta[k].id, branin(ta[k].config)));
        b.tell(Result::success(tb[k].id, branin(tb[k].config)));
      }
    }
  }
}

TEST(CBO, SameSeedGivesSameSearch) {
  CBO a(box(3, 0, 1), {9, true}, CBOOptions{}), b(box(3, 0, 1), {9, true}, CBOOptions{});
  auto f = [](const Configuration& c) { return c.number("x1") * c.number("x2"); };
  run(a, f, 30, 3);
  run(b, f, 30, 3);
  for (std::size_t i = 0; i < a.observations().size(); ++i)
    EXPECT_EQ(a.observations()[i].config, b.observations()[i].config);
}

// How long ask takes is measured by benchmarks/search (bench_search's latency table), not here: at
// a thousand observations in 10-D the defaults have switched to the forest surrogate and still
// propose valid, new points.
TEST(CBO, AtAThousandObservationsIn10DTheDefaultsUseTheForestAndProposeNewPoints) {
  Space s = box(10, 0, 1);
  CBO cbo(s, {10, false}, CBOOptions{});
  RandomSearch filler(s, {10, false});
  std::vector<Observation> warm;
  for (const auto& t : filler.ask(1000)) {
    Observation o;
    o.id = t.id;
    o.config = t.config;
    o.objective = (s.encode(t.config).array() - 0.3).square().sum();
    warm.push_back(o);
  }
  cbo.warm_start(warm);
  std::set<std::vector<double>> seen;
  for (const auto& o : warm) {
    const Eigen::VectorXd x = s.encode(o.config);
    seen.insert(std::vector<double>(x.data(), x.data() + x.size()));
  }
  for (int i = 0; i < 5; ++i) {
    auto t = cbo.ask(1);
    ASSERT_EQ(t.size(), 1u);
    const Eigen::VectorXd x = s.encode(t[0].config);
    EXPECT_TRUE((x.array() >= 0).all() && (x.array() <= 1).all());
    EXPECT_TRUE(seen.insert(std::vector<double>(x.data(), x.data() + 10)).second) << "ask " << i << " repeated a point";
    cbo.tell(Result::success(t[0].id, (x.array() - 0.3).square().sum()));
  }
  EXPECT_EQ(cbo.active_surrogate(), "ET");
}
