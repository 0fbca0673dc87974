// The least-squares baseline a model's network learns the residual of: the solve recovers linear
// maps exactly (also from nearly collinear lags, where gradient descent stalls), a model with it
// starts from that fit and only improves on it, and it survives save/load, training together and
// the device path.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/device_model.hpp>
#include <kyper/linear_baseline.hpp>
#include <kyper/model.hpp>

using namespace kyper;

namespace {

// Lagged samples of a smooth random walk: columns (x(t-2), x(t-1), x(t)) are nearly collinear.
// Targets: y = 2 x(t) - x(t-1) + 0.5 x(t-2) + 3 + (nonlinear) 0.3 sin(4 x(t)) + noise.
Dataset lagged_series(size_t rows, uint64_t seed, double nonlinear, double noise_sd) {
  Dataset d;
  d.feature_names = {"x@t-2", "x@t-1", "x@t0"}, d.target_names = {"y"}, d.source = "generated";
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> step(0, 0.05), noise(0, noise_sd);
  double a = 0, b = 0, c = 0;
  for (size_t i = 0; i < rows + 3; ++i) {
    a = b, b = c, c = 0.98 * c + step(rng);
    if (i < 3) continue;
    d.features.insert(d.features.end(), {float(a), float(b), float(c)});
    d.targets.push_back(float(2 * c - b + 0.5 * a + 3 + nonlinear * std::sin(4 * c) + noise(rng)));
  }
  return d;
}

double mse(const Predictions& p, const Dataset& d) {
  double sum = 0;
  for (size_t r = 0; r < d.rows(); ++r) sum += std::pow(double(p.values[r * p.columns.size()]) - d.targets[r], 2);
  return sum / double(d.rows());
}

TrainConfig short_training(Loss loss = Loss::MSE) {
  TrainConfig c;
  c.loss = loss, c.epochs = 15, c.batch_size = 32, c.seed = 2, c.patience = 0;
  c.optimizer.learning_rate = 3e-3;
  return c;
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }

}  // namespace

TEST(LinearBaseline, RecoversAnExactLinearMapFromNearlyCollinearColumns) {
  const Dataset d = lagged_series(400, 1, 0, 0);
  const LinearBaseline fit = LinearBaseline::fit(d.features.data(), d.targets.data(), d.rows(), 3, 1);
  ASSERT_TRUE(fit.fitted());
  EXPECT_EQ(fit.inputs(), 3u);
  EXPECT_EQ(fit.outputs(), 1u);
  std::vector<float> predicted(d.rows(), 0.f);
  fit.add_to(d.features.data(), d.rows(), predicted.data(), 1);
  double worst = 0;
  for (size_t r = 0; r < d.rows(); ++r) worst = std::max(worst, std::abs(double(predicted[r]) - d.targets[r]));
  EXPECT_LT(worst, 1e-3);  // float data; the columns' correlation is above 0.99
  EXPECT_NEAR(fit.bias()[0], 3.0, 1e-3);
}

TEST(LinearBaseline, ConstantColumnsAndSeveralOutputs) {
  // y0 = x0 + 1, y1 = -2 x0; x1 is constant (its weight stays 0 under the ridge).
  std::vector<float> x, y;
  for (int r = 0; r < 50; ++r) {
    const float v = float(r) / 10;
    x.insert(x.end(), {v, 7.f});
    y.insert(y.end(), {v + 1, -2 * v});
  }
  const LinearBaseline fit = LinearBaseline::fit(x.data(), y.data(), 50, 2, 2);
  EXPECT_NEAR(fit.weights()[0], 1, 1e-4);   // x0 -> y0
  EXPECT_NEAR(fit.weights()[1], -2, 1e-4);  // x0 -> y1
  EXPECT_NEAR(fit.weights()[2], 0, 1e-6);   // x1 -> y0
  EXPECT_NEAR(fit.weights()[3], 0, 1e-6);   // x1 -> y1
  EXPECT_NEAR(fit.bias()[0], 1, 1e-4);
  EXPECT_NEAR(fit.bias()[1], 0, 1e-4);
  std::vector<float> out(4, 10.f);  // stride 2: subtracting leaves the residual
  fit.add_to(x.data() + 2 * 20, 2, out.data(), 2, -1);
  EXPECT_NEAR(out[0], 10 - 3.0, 1e-4);
  EXPECT_NEAR(out[1], 10 + 4.0, 1e-4);
}

TEST(LinearBaseline, RejectsNonFiniteData) {
  std::vector<float> x = {1, 2, NAN}, y = {1, 2, 3};
  EXPECT_THAT([&] { LinearBaseline::fit(x.data(), y.data(), 3, 1, 1); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("feature value is not finite")));
  x[2] = 3, y[1] = INFINITY;
  EXPECT_THAT([&] { LinearBaseline::fit(x.data(), y.data(), 3, 1, 1); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("target value is not finite")));
}

TEST(ModelWithLinearBaseline, StartsFromTheLeastSquaresFitAndImprovesOnIt) {
  const Dataset train = lagged_series(1500, 3, 0.3, 0.01), validation = lagged_series(500, 4, 0.3, 0.01);
  // The least-squares fit alone, in target units.
  const LinearBaseline alone =
      LinearBaseline::fit(train.features.data(), train.targets.data(), train.rows(), 3, 1);
  Predictions linear;
  linear.columns = {"y"}, linear.rows = long(validation.rows());
  linear.values.assign(validation.rows(), 0.f);
  alone.add_to(validation.features.data(), validation.rows(), linear.values.data(), 1);
  const double linear_mse = mse(linear, validation);

  Model with(make_mlp(3, {16, 16}, 1, Activation::Tanh), short_training(), 1);
  with.set_linear_baseline(true);
  const TrainResult result = with.fit(train, &validation);
  Model without(make_mlp(3, {16, 16}, 1, Activation::Tanh), short_training(), 1);
  without.fit(train, &validation);
  const double with_mse = mse(with.predict(validation), validation);
  const double without_mse = mse(without.predict(validation), validation);
  // The network adds what is nonlinear (the sin term, variance 0.045) to the linear fit.
  EXPECT_LT(with_mse, 0.8 * linear_mse) << "linear " << linear_mse << " without " << without_mse;
  EXPECT_LT(with_mse, without_mse) << "linear " << linear_mse;
  EXPECT_TRUE(with.linear_baseline().fitted());
  EXPECT_FALSE(without.linear_baseline().fitted());
  // evaluate() is the loss of baseline + network (scaled units), as the fit reports the model it kept.
  EXPECT_NEAR(with.evaluate(validation), result.best_validation_loss, 1e-6);
}

TEST(LinearBaseline, OutputsTheNetworkDoesNotImprove) {
  // residual = what the baseline leaves; the network's outputs (stride 3: a Gaussian head's
  // variances follow) help output 0, change nothing on output 1, harm output 2.
  const std::vector<float> residual = {1, 0.5f, -0.2f, -1, -0.5f, 0.2f};
  const std::vector<float> network = {0.9f, 0, 0.1f, 99, -0.8f, 0, -0.3f, 99};
  EXPECT_EQ(outputs_not_improved(residual.data(), network.data(), 2, 3, 4), (std::vector<int>{1, 2}));
  EXPECT_EQ(outputs_not_improved(residual.data(), network.data(), 0, 3, 4), (std::vector<int>{0, 1, 2}));
}

TEST(ModelWithLinearBaseline, OutputsTheNetworkDoesNotImproveAreTheBaselinesAlone) {
  // Target 0 has a nonlinear part the network learns. Target 1 is linear plus a wiggle whose sign
  // flips between the training and the validation rows: what the network learns of it is error on
  // the validation rows, so output 1 goes back to the baseline.
  auto two_targets = [](size_t rows, uint64_t seed, float wiggle) {
    Dataset d = lagged_series(rows, seed, 0.3, 0.01);
    std::vector<float> targets;
    for (size_t r = 0; r < d.rows(); ++r) {
      const float* x = &d.features[r * 3];
      targets.insert(targets.end(), {d.targets[r], x[2] - x[0] + wiggle * std::sin(4 * x[2])});
    }
    d.targets = targets, d.target_names = {"y", "linear"};
    return d;
  };
  const Dataset train = two_targets(1500, 11, 1.f), validation = two_targets(500, 12, -1.f);
  Model model(make_mlp(3, {32, 32}, 2, Activation::Tanh), short_training(), 1);
  model.set_linear_baseline(true);
  const TrainResult result = model.fit(train, &validation);
  EXPECT_EQ(model.baseline_only_outputs(), std::vector<int>{1});
  EXPECT_NEAR(model.evaluate(validation), result.best_validation_loss, 1e-6);
  // A baseline-only output is the least-squares fit of the scaled data, mapped back; output 0 is not.
  const Predictions p = model.predict(validation);
  Scaler xs(ScalerKind::standard), ys(ScalerKind::standard);
  xs.fit(train.features.data(), train.rows(), 3), ys.fit(train.targets.data(), train.rows(), 2);
  std::vector<float> x = validation.features;
  xs.transform(x.data(), validation.rows(), 3);
  std::vector<float> expected(validation.rows() * 2, 0.f);
  model.linear_baseline().add_to(x.data(), validation.rows(), expected.data(), 2);
  ys.inverse_transform(expected.data(), validation.rows(), 2);
  double differs = 0;
  for (size_t r = 0; r < validation.rows(); ++r) {
    EXPECT_NEAR(p.values[r * 2 + 1], expected[r * 2 + 1], 1e-4) << "row " << r;
    differs = std::max(differs, std::abs(double(p.values[r * 2]) - expected[r * 2]));
  }
  EXPECT_GT(differs, 0.01);
}

TEST(ModelWithLinearBaseline, UntrainedNetworkPredictsTheBaselineAlone) {
  // One epoch at a learning rate of ~0 leaves the zeroed output layer at zero: predictions are the
  // least-squares fit of the scaled data, mapped back.
  const Dataset train = lagged_series(300, 5, 0.3, 0.01);
  TrainConfig config = short_training();
  config.epochs = 1, config.optimizer.learning_rate = 1e-12;
  Model model(make_mlp(3, {8}, 1, Activation::Tanh), config, 1);
  model.set_linear_baseline(true);
  model.fit(train);
  const LinearBaseline alone = LinearBaseline::fit(train.features.data(), train.targets.data(), train.rows(), 3, 1);
  std::vector<float> expected(train.rows(), 0.f);
  alone.add_to(train.features.data(), train.rows(), expected.data(), 1);
  const Predictions p = model.predict(train);
  for (size_t r = 0; r < train.rows(); r += 37) EXPECT_NEAR(p.values[r], expected[r], 2e-4) << "row " << r;
}

TEST(ModelWithLinearBaseline, IsChosenBeforeTrainingAndForRegressionOnly) {
  Model classifier(make_mlp(3, {8}, 2, Activation::Tanh), short_training(Loss::SoftmaxCrossEntropy), 1);
  EXPECT_THAT([&] { classifier.set_linear_baseline(true); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("regression loss")));
  TrainConfig one = short_training();
  one.epochs = 1;
  Model trained(make_mlp(3, {8}, 1, Activation::Tanh), one, 1);
  trained.fit(lagged_series(64, 1, 0, 0.1));
  EXPECT_THAT([&] { trained.set_linear_baseline(true); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("before the first fit")));
}

class LinearBaselineRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(LinearBaselineRoundTrip, SavedAndLoadedWithTheModel) {
  const Dataset train = lagged_series(200, 6, 0.3, 0.01);
  TrainConfig config = short_training(Loss::GaussianNLL);
  config.epochs = 3;
  Model model(make_mlp(3, {8}, 2, Activation::Tanh), config, 1);
  model.set_linear_baseline(true);
  model.fit(train);
  const std::string path = temp_path("baseline_model" + GetParam());
  model.save(path);
  Model loaded = Model::load(path);
  EXPECT_TRUE(loaded.uses_linear_baseline());
  EXPECT_EQ(loaded.linear_baseline().weights(), model.linear_baseline().weights());
  EXPECT_EQ(loaded.predict(train).values, model.predict(train).values);  // bitwise
  loaded.fit(train);  // resuming keeps the baseline it was trained with
  EXPECT_EQ(loaded.linear_baseline().weights(), model.linear_baseline().weights());
  std::remove(path.c_str());
}

INSTANTIATE_TEST_SUITE_P(Formats, LinearBaselineRoundTrip,
                         ::testing::Values(std::string(".kyper"), std::string(".json")));

TEST(ModelWithLinearBaseline, LoadRejectsABaselineOfTheWrongShape) {
  const Dataset train = lagged_series(100, 7, 0, 0.1);
  TrainConfig config = short_training();
  config.epochs = 1;
  Model model(make_mlp(3, {4}, 1, Activation::Tanh), config, 1);
  model.set_linear_baseline(true);
  model.fit(train);
  const std::string path = temp_path("baseline_shape.json");
  model.save(path);
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string json = text.str();
  // Drop the first of the baseline's three weights.
  const size_t weights = json.find("\"weights\"", json.find("\"linear_baseline\""));
  ASSERT_NE(weights, std::string::npos);
  const size_t first = json.find_first_of("-0123456789", weights), comma = json.find(',', first);
  json.erase(first, comma - first + 1);
  std::ofstream(path) << json;
  EXPECT_THAT([&] { Model::load(path); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(::testing::HasSubstr("baseline_shape.json"),
                                                               ::testing::HasSubstr("linear baseline"))));
  std::remove(path.c_str());
}

TEST(ModelWithLinearBaseline, TrainedTogetherEachModelGetsTheSameBaseline) {
  const Dataset train = lagged_series(600, 8, 0.3, 0.01), validation = lagged_series(200, 9, 0.3, 0.01);
  std::vector<Model> models;
  for (uint64_t seed : {1, 2, 3}) {
    TrainConfig config = short_training();
    config.seed = seed;
    models.emplace_back(make_mlp(3, {16}, 1, Activation::Tanh), config, seed);
    models.back().set_linear_baseline(true);
  }
  std::vector<Model*> pointers{&models[0], &models[1], &models[2]};
  Model::fit_together(pointers, train, &validation);
  Model alone(make_mlp(3, {16}, 1, Activation::Tanh), short_training(), 1);
  alone.set_linear_baseline(true);
  alone.fit(train, &validation);
  for (const Model& m : models) {
    EXPECT_EQ(m.linear_baseline().weights(), alone.linear_baseline().weights());
    EXPECT_EQ(m.linear_baseline().bias(), alone.linear_baseline().bias());
  }
  const double linear_mse = [&] {
    Predictions p;
    p.columns = {"y"}, p.values.assign(validation.rows(), 0.f);
    LinearBaseline::fit(train.features.data(), train.targets.data(), train.rows(), 3, 1)
        .add_to(validation.features.data(), validation.rows(), p.values.data(), 1);
    return mse(p, validation);
  }();
  for (Model& m : models) EXPECT_LT(mse(m.predict(validation), validation), linear_mse);
  // Mixed flags are refused.
  Model plain(make_mlp(3, {16}, 1, Activation::Tanh), short_training(), 4);
  Model with(make_mlp(3, {16}, 1, Activation::Tanh), short_training(), 5);
  with.set_linear_baseline(true);
  EXPECT_THAT([&] { Model::fit_together({&with, &plain}, train); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("linear baseline")));
}

TEST(ModelWithLinearBaseline, DeviceModelAddsTheBaselineAsTheHostDoes) {
  const Dataset train = lagged_series(300, 10, 0.3, 0.01);
  for (Loss loss : {Loss::MSE, Loss::GaussianNLL}) {
    TrainConfig config = short_training(loss);
    config.epochs = 3;
    Model model(make_mlp(3, {8}, loss == Loss::GaussianNLL ? 2 : 1, Activation::Tanh), config, 1);
    model.set_linear_baseline(true);
    model.fit(train);
    const Predictions host = model.predict(train);
    using Exec = Kokkos::DefaultExecutionSpace;
    DeviceModel<Exec> device(model, Exec(), /*max_rows=*/64);
    Kokkos::View<float**, Exec::memory_space> x("x", train.rows(), 3), y("y", train.rows(), device.output_width());
    auto x_host = Kokkos::create_mirror_view(x);
    for (size_t r = 0; r < train.rows(); ++r)
      for (int c = 0; c < 3; ++c) x_host(r, c) = train.features[r * 3 + c];
    Kokkos::deep_copy(x, x_host);
    device.predict(x, y);
    auto y_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
    const int width = device.output_width();
    for (size_t r = 0; r < train.rows(); ++r)
      for (int c = 0; c < width; ++c)
        EXPECT_FLOAT_EQ(y_host(r, c), host.values[r * width + c]) << to_string(loss) << " row " << r << " column " << c;
  }
}
