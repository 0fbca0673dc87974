// Ensembles of real trained models: a catalogue written by the built-in trial, selection from it,
// the JSON manifest round trip, mixing equal to the members' own predictions, and the errors a
// broken catalogue or manifest gives.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/fused_step.hpp>
#include <kyper/builtin_trial.hpp>
#include <kyper/uq/device_ensemble.hpp>
#include <kyper/uq/ensemble.hpp>
#include <kyper/random_init_ensemble.hpp>
#include <kyper/uq/scores.hpp>
#include <support/error_of.hpp>

using namespace kyper;
using namespace kyper::uq;
namespace fs = std::filesystem;
using kyper::testing::error_of;

namespace {
Dataset heteroscedastic(size_t rows, std::uint64_t seed) {
  Dataset d;
  d.feature_names = {"x"}, d.target_names = {"y"}, d.source = "generated";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-2, 2);
  std::normal_distribution<float> n(0, 1);
  for (size_t i = 0; i < rows; ++i) {
    const float x = u(rng);
    d.features.push_back(x);
    d.targets.push_back(std::sin(2 * x) + (0.05f + 0.2f * std::abs(x)) * n(rng));
  }
  return d;
}

std::shared_ptr<TrainingProblem> problem() {
  auto p = std::make_shared<TrainingProblem>();
  p->train = heteroscedastic(256, 1), p->validation = heteroscedastic(64, 2);
  p->task = Task::GaussianRegression;
  p->training.loss = Loss::GaussianNLL;
  p->training.epochs = 15, p->training.batch_size = 32, p->training.seed = 11;
  p->model.units = 16, p->model.activation = Activation::Tanh;
  return p;
}

search::Configuration config(double learning_rate, int units) {
  search::Space space;
  space.add_float("learning_rate", 1e-4, 1e-1, true).add_int("units", 4, 64);
  return space.make({{"learning_rate", learning_rate}, {"units", double(units)}});
}

std::string fresh_folder(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "kyper_uq_" + name;
  fs::remove_all(dir);
  return dir;
}

// A catalogue of `count` trials of varied configurations in `dir`.
void train_catalogue(const std::string& dir, int count) {
  const TrialFunction trial = make_training_trial(problem());
  for (int i = 0; i < count; ++i) {
    TrialContext context;
    context.trial_id = i, context.output_dir = dir;
    const TrialOutcome outcome = run_trial_guarded(trial, config(3e-3 * (1 + i), 8 + 4 * i), context);
    ASSERT_TRUE(outcome.objective) << outcome.reason;
  }
}
}  // namespace

TEST(Ensemble, CatalogueSelectionAndManifestRoundTrip) {
  const std::string dir = fresh_folder("catalogue");
  train_catalogue(dir, 5);
  const Catalogue cat = load_catalogue(dir);
  ASSERT_EQ(cat.entries.size(), 5u);
  EXPECT_TRUE(cat.skipped.empty());
  EXPECT_EQ(cat.validation.rows, 64);
  EXPECT_EQ(cat.targets, problem()->validation.targets);

  const auto ll = member_log_likelihood(cat.validation, cat.targets.data());
  const Selection selection = select_greedy(ll, cat.validation.members, cat.validation.rows, 4);
  Ensemble ensemble = Ensemble::from_selection(cat, selection, "greedy");
  const std::string manifest = dir + "/ensemble.json";
  ensemble.save(manifest);
  Ensemble loaded = Ensemble::load(manifest);
  ASSERT_EQ(loaded.members().size(), ensemble.members().size());
  for (size_t i = 0; i < loaded.members().size(); ++i) {
    EXPECT_TRUE(fs::equivalent(loaded.members()[i].model_path, ensemble.members()[i].model_path));
    EXPECT_EQ(loaded.members()[i].weight, ensemble.members()[i].weight);
    EXPECT_EQ(loaded.members()[i].trial, ensemble.members()[i].trial);
  }
  EXPECT_EQ(loaded.method(), "greedy");
  EXPECT_DOUBLE_EQ(loaded.validation_nll(), selection.validation_nll());

  // Predictions after the round trip are identical, and on the validation rows they are the
  // catalogue's own (no retraining, the same models).
  const Dataset validation = problem()->validation;
  const MemberPredictions a = ensemble.predict(validation), b = loaded.predict(validation);
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.variance, b.variance);
  EXPECT_EQ(a.weights, b.weights);
  const MemberPredictions from_catalogue = cat.validation.pick(selection.members, selection.weights);
  for (size_t i = 0; i < a.mean.size(); ++i) {
    EXPECT_NEAR(a.mean[i], from_catalogue.mean[i], 1e-6 * (1 + std::abs(a.mean[i])));
    EXPECT_NEAR(a.variance[i], from_catalogue.variance[i], 1e-6 * a.variance[i]);
  }
  EXPECT_NEAR(score_regression(b, validation.targets.data()).nll, selection.validation_nll(), 1e-5);

  // The table a user reads: mean and total variance equal the mixture of the members.
  const Predictions table = ensemble_table(b, true);
  ASSERT_EQ(table.columns, (std::vector<std::string>{"y_mean", "y_variance", "y_aleatoric", "y_epistemic",
                                                     "y_lower95", "y_upper95"}));
  for (long r = 0; r < b.rows; r += 7) {
    double mean = 0, second = 0, weight = 0;
    for (int m = 0; m < b.members; ++m) {
      const double w = b.weights[m], mu = b.mean[b.at(m, r, 0)], var = b.variance[b.at(m, r, 0)];
      mean += w * mu, second += w * (var + mu * mu), weight += w;
    }
    mean /= weight, second /= weight;
    const float* row = table.values.data() + r * 6;
    EXPECT_NEAR(row[0], mean, 1e-5 * (1 + std::abs(mean)));
    EXPECT_NEAR(row[1], second - mean * mean, 1e-4 * (second - mean * mean));
    EXPECT_NEAR(row[1], row[2] + row[3], 1e-5 * row[1]);
    EXPECT_LT(row[4], row[0]);
    EXPECT_GT(row[5], row[0]);
  }

  // The same ensemble on the execution space: features in a LayoutLeft device view (CUDA's
  // default), mixture computed there in chunks of 10 rows, equal to the host table.
  using Exec = Kokkos::DefaultExecutionSpace;
  DeviceEnsemble<Exec> device(loaded, Exec(), 10);
  ASSERT_EQ(device.output_width(), 4);
  Kokkos::View<float**, Kokkos::LayoutLeft, Exec::memory_space> x("x", validation.rows(), 1);
  Kokkos::View<double**, Kokkos::LayoutRight, Exec::memory_space> y("y", validation.rows(), 4);
  auto x_host = Kokkos::create_mirror_view(x);
  for (size_t r = 0; r < validation.rows(); ++r) x_host(r, 0) = validation.features[r];
  Kokkos::deep_copy(x, x_host);
  device.predict(x, y);
  auto y_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
  for (long r = 0; r < b.rows; ++r) {
    const float* row = table.values.data() + r * 6;
    EXPECT_NEAR(y_host(r, 0), row[0], 1e-5 * (1 + std::abs(row[0]))) << "row " << r;
    EXPECT_NEAR(y_host(r, 1), row[1], 1e-5 * row[1]) << "row " << r;
    EXPECT_NEAR(y_host(r, 2), row[2], 1e-5 * row[2]) << "row " << r;
    EXPECT_NEAR(y_host(r, 3), row[3], 1e-5 * row[3] + 1e-12) << "row " << r;
  }
}

TEST(Ensemble, RandomInitBaselineTrainsDistinctSeeds) {
  const std::string dir = fresh_folder("random_init");
  Ensemble e = train_random_init_ensemble(*problem(), config(1e-2, 16), 3, dir);
  ASSERT_EQ(e.members().size(), 3u);
  for (const auto& m : e.members()) EXPECT_DOUBLE_EQ(m.weight, 1.0 / 3);
  const MemberPredictions p = e.predict(problem()->validation);
  // Different initialisations disagree somewhere: there is an epistemic part.
  double disagreement = 0;
  for (long r = 0; r < p.rows; ++r) disagreement += decompose(p.mixture(r, 0)).epistemic;
  EXPECT_GT(disagreement, 0);
  EXPECT_TRUE(std::isfinite(e.validation_nll()));
  EXPECT_NEAR(e.validation_nll(), score_regression(p, problem()->validation.targets.data()).nll, 1e-5);
}

// The random-init members train together (one fused launch per step for all; one after the other
// on a one-thread host, where that is faster) and end as the same trials run one after the other
// (on a host the general path: sums in another order, so the objectives agree closely rather than
// bit for bit), each with its own seed.
TEST(Ensemble, MembersTrainedTogetherMatchTrialsRunAlone) {
  const std::string together_dir = fresh_folder("together"), alone_dir = fresh_folder("alone");
  const auto problem_ptr = problem();
  const search::Configuration c = config(1e-2, 16);
  ASSERT_TRUE(fused_mlp_shape(plan_graph(training_graph(*problem_ptr, c)), 1).has_value());
  std::vector<TrialContext> contexts(4);
  for (int i = 0; i < 4; ++i) contexts[i].trial_id = 20 + i, contexts[i].output_dir = together_dir;
  const std::vector<TrialOutcome> together = run_training_trials_together(problem_ptr, c, contexts);
  const TrialFunction trial = make_training_trial(problem_ptr);
  ASSERT_EQ(together.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    TrialContext alone_context = contexts[i];
    alone_context.output_dir = alone_dir;
    const TrialOutcome alone = run_trial_guarded(trial, c, alone_context);
    ASSERT_TRUE(together[i].objective) << together[i].reason;
    ASSERT_TRUE(alone.objective) << alone.reason;
    EXPECT_NEAR(*together[i].objective, *alone.objective, 1e-3 * std::fabs(*alone.objective)) << "member " << i;
    EXPECT_EQ(together[i].metadata.at("epochs"), alone.metadata.at("epochs"));
    EXPECT_TRUE(fs::exists(catalogue_model_path(together_dir, 20 + i)));
    EXPECT_TRUE(fs::exists(catalogue_predictions_path(together_dir, 20 + i)));
  }
  EXPECT_GT(std::fabs(*together[0].objective - *together[1].objective), 1e-3);  // distinct seeds
}

TEST(Ensemble, BrokenCataloguesAndManifestsAreNamed) {
  const std::string dir = fresh_folder("broken");
  train_catalogue(dir, 2);
  // A half-written entry (model without predictions) is not an entry; predictions without a model
  // are skipped with the reason.
  fs::copy_file(dir + "/models/trial_0.kyper", dir + "/models/trial_7.kyper");
  fs::copy_file(dir + "/models/trial_1.validation.csv", dir + "/models/trial_9.validation.csv");
  Catalogue cat = load_catalogue(dir);
  EXPECT_EQ(cat.entries.size(), 2u);
  ASSERT_EQ(cat.skipped.size(), 1u);
  EXPECT_THAT(cat.skipped[0], ::testing::HasSubstr("trial_9.kyper"));

  // An entry scored on other validation rows cannot be mixed in.
  fs::remove(dir + "/models/trial_9.validation.csv");
  {
    std::ifstream in(dir + "/models/trial_1.validation.csv");
    std::string header, first, rest, line;
    std::getline(in, header), std::getline(in, first);
    while (std::getline(in, line)) rest += line + "\n";
    std::ofstream out(dir + "/models/trial_1.validation.csv");
    out << header << "\n" << rest;  // one row fewer
  }
  EXPECT_THAT(error_of([&] { load_catalogue(dir); }),
              ::testing::AllOf(::testing::HasSubstr("trial_1.validation.csv"), ::testing::HasSubstr("trial_0.validation.csv"),
                               ::testing::HasSubstr("other validation rows")));
  EXPECT_THAT(error_of([&] { load_catalogue(dir + "/nowhere"); }), ::testing::HasSubstr("does not exist"));

  const std::string manifest = dir + "/bad.json";
  std::ofstream(manifest) << R"({"format": "kyper-ensemble", "version": 1, "members": [{"model": "models/trial_0.kyper"}]})";
  EXPECT_THAT(error_of([&] { Ensemble::load(manifest); }),
              ::testing::AllOf(::testing::HasSubstr("bad.json"), ::testing::HasSubstr("members[0].weight")));
  std::ofstream(manifest) << R"({"format": "kyper-ensemble", "version": 1, "members": [{"model": "gone.kyper", "weight": 1}]})";
  EXPECT_THAT(error_of([&] { Ensemble::load(manifest); }), ::testing::HasSubstr("gone.kyper does not exist"));
  std::ofstream(manifest) << "{\"format\": \"kyper-ensemble\", ";
  EXPECT_THAT(error_of([&] { Ensemble::load(manifest); }), ::testing::HasSubstr("bad.json:1:30: not valid JSON"));
  // Misspelt keys are errors with a suggestion, at the top and inside a member.
  std::ofstream(manifest) << R"({"format": "kyper-ensemble", "version": 1, "method": "topk", "memebers": []})";
  EXPECT_THAT(error_of([&] { Ensemble::load(manifest); }),
              ::testing::HasSubstr("bad.json: key 'memebers' is not a known key (did you mean 'members'?)"));
  std::ofstream(manifest)
      << R"({"format": "kyper-ensemble", "version": 1, "members": [{"model": "models/trial_0.kyper", "weigth": 1}]})";
  EXPECT_THAT(error_of([&] { Ensemble::load(manifest); }),
              ::testing::HasSubstr("bad.json: key 'members[0].weigth' is not a known key (did you mean 'weight'?)"));
}

namespace {
// Two interleaved half circles with label noise, three classes: the third is a blob in between.
Dataset three_classes(size_t rows, std::uint64_t seed) {
  Dataset d;
  d.feature_names = {"a", "b"}, d.target_names = {"label"}, d.source = "generated";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> angle(0, 3.14159f);
  std::normal_distribution<float> n(0, 0.15f);
  for (size_t i = 0; i < rows; ++i) {
    const int label = int(i % 3);
    const float t = angle(rng);
    float a = 0, b = 0;
    if (label == 0) a = std::cos(t), b = std::sin(t);
    if (label == 1) a = 1 - std::cos(t), b = 0.5f - std::sin(t);
    if (label == 2) a = 0.5f, b = 0.25f;
    d.features.push_back(a + n(rng)), d.features.push_back(b + n(rng));
    d.targets.push_back(float(label));
  }
  return d;
}
}  // namespace

TEST(Ensemble, ClassifierEnsembleSplitsEntropyAndScores) {
  auto p = std::make_shared<TrainingProblem>();
  p->train = three_classes(450, 1), p->validation = three_classes(150, 2);
  p->task = Task::Classification, p->classes = 3;
  p->training.loss = Loss::SoftmaxCrossEntropy;
  p->training.epochs = 40, p->training.batch_size = 32, p->training.seed = 2;
  p->model.units = 16;
  const std::string dir = fresh_folder("classes");
  const TrialFunction trial = make_training_trial(p);
  for (int i = 0; i < 4; ++i) {
    TrialContext context;
    context.trial_id = i, context.output_dir = dir;
    ASSERT_TRUE(run_trial_guarded(trial, config(3e-3 * (1 + i), 8 + 8 * i), context).objective);
  }
  const Catalogue cat = load_catalogue(dir);
  ASSERT_EQ(cat.validation.kind, PredictionKind::Classes);
  EXPECT_EQ(cat.validation.outputs, 3);
  const auto ll = member_log_likelihood(cat.validation, cat.targets.data());
  const Selection selection = select_greedy(ll, cat.validation.members, cat.validation.rows, 3);
  Ensemble ensemble = Ensemble::from_selection(cat, selection, "greedy");
  const Dataset test = three_classes(300, 3);
  const MemberPredictions members = ensemble.predict(test);
  const Predictions table = ensemble_table(members, true);
  ASSERT_EQ(table.columns, (std::vector<std::string>{"p_class0", "p_class1", "p_class2", "entropy_total",
                                                     "entropy_aleatoric", "entropy_epistemic"}));
  for (long r = 0; r < table.rows; ++r) {
    const float* row = table.values.data() + r * 6;
    EXPECT_NEAR(row[0] + row[1] + row[2], 1.0f, 1e-5f);
    EXPECT_NEAR(row[3], row[4] + row[5], 1e-5f);
    EXPECT_GE(row[5], 0.0f);
    EXPECT_LE(row[3], std::log(3.0f) + 1e-5f);
  }
  const ClassificationScores s = score_classification(members, test.targets.data());
  EXPECT_GT(s.accuracy, 0.85);
  EXPECT_LT(s.ece, 0.15);
  EXPECT_NEAR(s.nll, -[&] {
    double sum = 0;
    for (long r = 0; r < table.rows; ++r) sum += std::log(table.values[r * 6 + size_t(test.targets[r])]);
    return sum / double(table.rows);
  }(), 1e-4);
}

TEST(Ensemble, SigmoidOutputCountsAsTwoClasses) {
  Predictions p;
  p.columns = {"p_spam"}, p.rows = 2, p.values = {0.2f, 0.9f};
  MemberPredictions m;
  m.add(p, 1);
  EXPECT_EQ(m.kind, PredictionKind::Classes);
  EXPECT_EQ(m.names, (std::vector<std::string>{"p_spam_0", "p_spam_1"}));
  ASSERT_EQ(m.probabilities.size(), 4u);
  EXPECT_NEAR(m.probabilities[0], 0.8, 1e-7);
  EXPECT_NEAR(m.probabilities[3], 0.9, 1e-7);
}

TEST(Ensemble, PlainRegressionModelsAreRejectedWithTheReason) {
  Predictions p;
  p.columns = {"y"}, p.rows = 1, p.values = {1};
  MemberPredictions m;
  EXPECT_THAT(error_of([&] { m.add(p, 1); }), ::testing::HasSubstr("gaussian_regression"));
}
