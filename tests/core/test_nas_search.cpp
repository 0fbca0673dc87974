// Search algorithms over architecture spaces: aging evolution reaches the optimum of a synthetic
// architecture score within a stated budget, and AgEBO proposes both an evolved architecture and
// BO-tuned hyperparameters, learns both, and resumes from a checkpoint exactly.
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/nas_space.hpp>
#include <kyper/search/agebo.hpp>
#include <kyper/search/evolution.hpp>
#include <kyper/search/random_search.hpp>
#include <support/error_of.hpp>

using namespace kyper;
using namespace kyper::search;

namespace {
// 4 blocks of (identity + 3 widths x 2 activations) layers and 2-anchor skips: 7^4 * 2*3*3*3 = 129,654 architectures.
nas::ArchitectureSpace arch_space() {
  return nas::dense_skip_space(5, 1, 4, {16, 32, 64}, {Activation::Relu, Activation::Tanh}, 2);
}

// A synthetic "architecture score" with a unique optimum: minus the number of choices that differ
// from `target`, minus a small penalty on the parameter count (so the score also depends on the
// graph, not only on the integers).
struct ArchitectureScore {
  const nas::ArchitectureSpace& space;
  std::vector<int> target;
  double operator()(const std::vector<int>& a) const {
    int differ = 0;
    for (size_t i = 0; i < a.size(); ++i) differ += a[i] != target[i];
    return -differ - 1e-6 * double(space.parameter_count(a));
  }
  double optimum() const { return (*this)(target); }
};

std::vector<int> target_architecture() { return {3, 1, 6, 2, 0, 0, 4, 1}; }

long evaluations_to_optimum(Search& search, const nas::ArchitectureSpace& space, const ArchitectureScore& score,
                            long budget) {
  for (long n = 0; n < budget;) {
    for (const auto& t : search.ask(4)) {
      const double value = score(space.architecture_of(t.config));
      search.tell(t.id, value);
      ++n;
      if (value >= score.optimum() - 1e-12) return n;
    }
  }
  return -1;
}
}  // namespace

TEST(NasSearch, AgingEvolutionReachesTheOptimumArchitectureWithin800Evaluations) {
  const auto space = arch_space();
  ASSERT_EQ(space.choices(), (std::vector<int>{7, 2, 7, 3, 7, 3, 7, 3}));
  const ArchitectureScore score{space, target_architecture()};
  long evolution_total = 0, random_total = 0;
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    SearchOptions options;
    options.seed = seed;
    AgingEvolution evolution(space.search_space(), options, {50, 10});
    const long n = evaluations_to_optimum(evolution, space, score, 800);
    EXPECT_GT(n, 0) << "seed " << seed << ": no optimum in 800 of 129,654 architectures";
    evolution_total += n > 0 ? n : 800;
    RandomSearch random(space.search_space(), options);
    const long r = evaluations_to_optimum(random, space, score, 1500);
    random_total += r > 0 ? r : 1500;
  }
  // Random search would need ~65k evaluations on average; evolution is far better than its capped total.
  EXPECT_LT(evolution_total, random_total / 2);
}

namespace {
// Joint space: the architecture plus learning rate and optimizer; the objective adds the
// architecture score and a hyperparameter score peaking at lr = 10^-2.5 with adam.
Space joint_space(const nas::ArchitectureSpace& arch) {
  Space s = arch.search_space();
  s.add_float("learning_rate", 1e-5, 1e-1, true);
  s.add_categorical("optimizer", {std::string("sgd"), std::string("adam"), std::string("rmsprop")});
  return s;
}
std::vector<std::string> arch_names(const nas::ArchitectureSpace& arch) {
  std::vector<std::string> names;
  for (const auto& n : arch.dimension_names()) names.push_back(nas::ArchitectureSpace::parameter_name(n));
  return names;
}
double hyper_score(const Configuration& c) {
  const double d = std::log10(c.number("learning_rate")) + 2.5;
  return -d * d - (c.text("optimizer") == "adam" ? 0 : 1);
}
}  // namespace

TEST(NasSearch, AgebProposesEvolvedArchitecturesWithTunedHyperparameters) {
  const auto arch = arch_space();
  const ArchitectureScore score{arch, target_architecture()};
  SearchOptions options;
  options.seed = 7;
  CBOOptions bo;
  bo.initial_points = 8;
  AgEBO agebo(joint_space(arch), arch_names(arch), options, {20, 5}, bo);
  EXPECT_EQ(agebo.evolved_space().size(), 8u);
  EXPECT_EQ(agebo.tuned_space().size(), 2u);
  std::vector<std::vector<int>> architectures;
  double best_hyper = -INFINITY;
  for (int round = 0; round < 400; ++round) {
    const auto trials = agebo.ask(2);
    const size_t population_end = architectures.size();  // results told before this ask
    for (const auto& t : trials) {
      const std::vector<int> a = arch.architecture_of(t.config);
      if (population_end >= 20) {
        // Once the population is full, a child is one mutation away from one of the newest 20.
        int nearest = 100;
        for (size_t j = population_end - 20; j < population_end; ++j) {
          int differ = 0;
          for (size_t i = 0; i < a.size(); ++i) differ += a[i] != architectures[j][i];
          nearest = std::min(nearest, differ);
        }
        EXPECT_LE(nearest, 1) << "trial " << t.id;
      }
      architectures.push_back(a);
      const double h = hyper_score(t.config);
      if (round >= 200) best_hyper = std::max(best_hyper, h);
      agebo.tell(t.id, score(a) + h);
    }
  }
  // Both parts were learned: the architecture optimum was found and the BO put the learning rate
  // near its optimum with the right optimizer.
  const auto best = agebo.best();
  ASSERT_TRUE(best);
  EXPECT_GE(*best->objective, score.optimum() - 0.1) << best->config.to_string();
  EXPECT_GT(best_hyper, -0.05) << "BO proposals in the second half never came close to lr = 10^-2.5 with adam";
}

TEST(NasSearch, AgebSpreadsHyperparametersOverTrialsStillRunning) {
  // Workers that ask one after another (nothing told in between) get different learning rates:
  // the running trials count as bad results for the BO.
  const auto arch = arch_space();
  const ArchitectureScore score{arch, target_architecture()};
  SearchOptions options;
  options.seed = 11;
  AgEBO agebo(joint_space(arch), arch_names(arch), options, {10, 3});
  for (int i = 0; i < 30; ++i) {
    const auto t = agebo.ask(1)[0];
    agebo.tell(t.id, score(arch.architecture_of(t.config)) + hyper_score(t.config));
  }
  std::vector<double> log_rates;
  for (int worker = 0; worker < 6; ++worker) log_rates.push_back(std::log10(agebo.ask(1)[0].config.number("learning_rate")));
  std::sort(log_rates.begin(), log_rates.end());
  for (size_t i = 1; i < log_rates.size(); ++i)
    EXPECT_GT(log_rates[i] - log_rates[i - 1], 0.02) << "two running trials got nearly the same learning rate";
}

TEST(NasSearch, AgebResumesFromACheckpointExactly) {
  const auto arch = arch_space();
  const ArchitectureScore score{arch, target_architecture()};
  SearchOptions options;
  options.seed = 3;
  auto make = [&] { return AgEBO(joint_space(arch), arch_names(arch), options, {10, 3}); };
  AgEBO uninterrupted = make();
  std::stringstream checkpoint;
  auto step = [&](AgEBO& s) {
    const auto trials = s.ask(3);
    for (const auto& t : trials) s.tell(t.id, score(arch.architecture_of(t.config)) + hyper_score(t.config));
    return trials;
  };
  for (int i = 0; i < 12; ++i) step(uninterrupted);
  uninterrupted.save(checkpoint);
  AgEBO resumed = make();
  resumed.load(checkpoint);
  for (int i = 0; i < 10; ++i) {
    const auto a = step(uninterrupted), b = step(resumed);
    ASSERT_EQ(a.size(), b.size());
    for (size_t j = 0; j < a.size(); ++j) {
      EXPECT_EQ(a[j].id, b[j].id);
      EXPECT_EQ(a[j].config, b[j].config) << a[j].config.to_string() << " vs " << b[j].config.to_string();
    }
  }
}

TEST(NasSearch, AgebRejectsMixedConditionsAndUnknownNames) {
  const auto arch = arch_space();
  Space s = joint_space(arch);
  s.add_float("momentum", 0, 0.9).add_condition("momentum", "arch_layer_0", {0.0});
  EXPECT_THAT(kyper::testing::error_of([&] { AgEBO(s, arch_names(arch)); }),
              ::testing::HasSubstr("links an evolved and a tuned parameter"));
  EXPECT_THAT(kyper::testing::error_of([&] { AgEBO(joint_space(arch), {"arch_nowhere"}); }),
              ::testing::HasSubstr("arch_nowhere"));
}

namespace {
// A tiny recurrent space (Maulik et al.'s stacked LSTM/GRU with skips): 2 blocks of identity +
// {lstm, gru} x {4, 8} and 2-anchor add skips over 6 steps of 2 features, one target per step:
// 5 * 2 * 5 * 3 = 150 architectures. The search algorithms see it as the same box of integers.
nas::ArchitectureSpace rnn_space() {
  return nas::stacked_rnn_space(6, 2, 6, 1, 2, {nas::OpKind::Lstm, nas::OpKind::Gru}, {4, 8}, 2);
}
}  // namespace

TEST(NasSearch, RandomEvolutionAndAgeboSearchARecurrentSpaceLikeADenseOne) {
  const auto space = rnn_space();
  ASSERT_EQ(space.choices(), (std::vector<int>{5, 2, 5, 3}));
  const ArchitectureScore score{space, {3, 1, 4, 2}};  // lstm 8 with a skip, then gru 4 with a skip
  // Every proposed architecture is a valid sequence graph (6 steps in, 6 steps of 1 target out).
  auto check = [&](const std::vector<int>& a) {
    const GraphPlan plan = plan_graph(space.build(a));
    EXPECT_EQ(plan.input_steps, 6);
    EXPECT_EQ(plan.input_width, 12);
    EXPECT_EQ(plan.output_width, 6);
  };
  SearchOptions options;
  options.seed = 5;
  RandomSearch random(space.search_space(), options);
  for (const auto& t : random.ask(20)) check(space.architecture_of(t.config));
  AgingEvolution evolution(space.search_space(), options, {20, 5});
  const long n = evaluations_to_optimum(evolution, space, score, 400);
  EXPECT_GT(n, 0) << "aging evolution found no optimum in 400 evaluations of 150 architectures";

  CBOOptions bo;
  bo.initial_points = 6;
  AgEBO agebo(joint_space(space), arch_names(space), options, {10, 3}, bo);
  EXPECT_EQ(agebo.evolved_space().size(), 4u);
  bool found = false;
  for (int round = 0; round < 100 && !found; ++round)
    for (const auto& t : agebo.ask(2)) {
      const std::vector<int> a = space.architecture_of(t.config);
      check(a);
      const double s = score(a);
      found = found || s >= score.optimum() - 1e-12;
      agebo.tell(t.id, s + hyper_score(t.config));
    }
  EXPECT_TRUE(found) << "AgEBO never proposed the optimum architecture in 200 trials";
}
