// Training behaviour: optimizers reach known minima, an MLP fits sin(x), a classifier separates
// two moons, runs are deterministic, OpenMP matches Serial, early stopping and divergence are reported.
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <kyper/trainer.hpp>

using namespace kyper;

namespace {
using Exec = Kokkos::DefaultExecutionSpace;

template <class Scalar, class E = Exec>
using Data = typename Trainer<Scalar, E>::Data;

struct HostData {
  std::vector<double> x, y;
  long rows = 0;
  int features = 0, targets = 0;
};

HostData linear_problem(long rows) {
  HostData d{{}, {}, rows, 2, 1};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1, 1);
  for (long i = 0; i < rows; ++i) {
    const double a = u(rng), b = u(rng);
    d.x.insert(d.x.end(), {a, b});
    d.y.push_back(3 * a - 2 * b + 1);
  }
  return d;
}

HostData sine(long rows, uint64_t seed) {
  HostData d{{}, {}, rows, 1, 1};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-M_PI, M_PI);
  for (long i = 0; i < rows; ++i) {
    const double x = u(rng);
    d.x.push_back(x);
    d.y.push_back(std::sin(x));
  }
  return d;
}

HostData two_moons(long rows, uint64_t seed) {
  HostData d{{}, {}, rows, 2, 1};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, M_PI);
  std::normal_distribution<double> noise(0, 0.1);
  for (long i = 0; i < rows; ++i) {
    const double t = u(rng);
    const int label = int(i % 2);
    const double x = label ? 1 - std::cos(t) : std::cos(t);
    const double y = label ? 0.5 - std::sin(t) : std::sin(t);
    d.x.insert(d.x.end(), {x + noise(rng), y + noise(rng)});
    d.y.push_back(label);
  }
  return d;
}

template <class Scalar, class E = Exec>
std::pair<Data<Scalar, E>, Data<Scalar, E>> device(const HostData& d) {
  return {to_device<Scalar, E>(d.x.data(), d.rows, d.features), to_device<Scalar, E>(d.y.data(), d.rows, d.targets)};
}

// Trains a linear model y = w.x + b on noiseless data: the optimum is w = (3, -2), b = 1.
std::vector<float> fit_linear(OptimizerConfig optimizer, int epochs) {
  Network<float> net(make_mlp(2, {}, 1, Activation::Identity), 5);
  TrainConfig config;
  config.epochs = epochs, config.batch_size = 16, config.optimizer = optimizer;
  auto [x, y] = device<float>(linear_problem(256));
  Trainer<float> trainer(net, config);
  trainer.fit(x, y);
  return net.get_parameters();
}

void expect_linear_optimum(const std::vector<float>& p, double tolerance) {
  ASSERT_EQ(p.size(), 3u);
  EXPECT_NEAR(p[0], 3.0, tolerance);
  EXPECT_NEAR(p[1], -2.0, tolerance);
  EXPECT_NEAR(p[2], 1.0, tolerance);
}
}  // namespace

TEST(Optimizer, SgdReachesLinearOptimum) {
  OptimizerConfig o;
  o.kind = OptimizerKind::SGD, o.learning_rate = 0.1;
  expect_linear_optimum(fit_linear(o, 60), 1e-3);
}

TEST(Optimizer, SgdMomentumAndNesterovReachLinearOptimum) {
  OptimizerConfig o;
  o.kind = OptimizerKind::SGD, o.learning_rate = 0.05, o.momentum = 0.9;
  expect_linear_optimum(fit_linear(o, 60), 1e-3);
  o.nesterov = true;
  expect_linear_optimum(fit_linear(o, 60), 1e-3);
}

TEST(Optimizer, RmspropReachesLinearOptimum) {
  OptimizerConfig o;
  o.kind = OptimizerKind::RMSprop, o.learning_rate = 0.01;
  o.schedule.kind = ScheduleKind::Step, o.schedule.step_size = 40, o.schedule.gamma = 0.1;
  expect_linear_optimum(fit_linear(o, 160), 1e-2);
}

TEST(Optimizer, AdamReachesLinearOptimum) {
  OptimizerConfig o;
  o.kind = OptimizerKind::Adam, o.learning_rate = 0.05;
  o.schedule.kind = ScheduleKind::Cosine, o.schedule.min_learning_rate = 1e-4;
  expect_linear_optimum(fit_linear(o, 150), 5e-3);
}

TEST(Optimizer, AdamWShrinksWeightsTowardZero) {
  // Decoupled decay lambda moves the fixed point of w toward zero: w* solves grad + lambda w = 0
  // only approximately, so compare with the undecayed optimum: strictly smaller in magnitude.
  OptimizerConfig o;
  o.kind = OptimizerKind::AdamW, o.learning_rate = 0.05, o.weight_decay = 0.5;
  o.schedule.kind = ScheduleKind::Cosine, o.schedule.min_learning_rate = 1e-4;
  auto p = fit_linear(o, 150);
  EXPECT_LT(std::abs(p[0]), 3.0 - 0.05);
  EXPECT_GT(std::abs(p[0]), 1.0);
}

TEST(Optimizer, ClippingByValueBoundsEveryStep) {
  // With |g| clipped to 1e-3 and SGD lr 1, 10 steps move each weight by at most 1e-2.
  Network<float> net(make_mlp(2, {}, 1, Activation::Identity), 5);
  const auto before = net.get_parameters();
  TrainConfig config;
  config.epochs = 1, config.batch_size = 25;
  config.optimizer.kind = OptimizerKind::SGD, config.optimizer.learning_rate = 1.0, config.optimizer.clip_value = 1e-3;
  auto [x, y] = device<float>(linear_problem(250));
  Trainer<float>(net, config).fit(x, y);
  const auto after = net.get_parameters();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_LE(std::abs(after[i] - before[i]), 1e-2 + 1e-6);
}

TEST(Optimizer, ClippingByNormBoundsEveryStep) {
  Network<float> net(make_mlp(2, {}, 1, Activation::Identity), 5);
  const auto before = net.get_parameters();
  TrainConfig config;
  config.epochs = 1, config.batch_size = 250;
  config.optimizer.kind = OptimizerKind::SGD, config.optimizer.learning_rate = 1.0, config.optimizer.clip_norm = 0.01;
  auto [x, y] = device<float>(linear_problem(250));
  Trainer<float>(net, config).fit(x, y);
  const auto after = net.get_parameters();
  double moved = 0;
  for (size_t i = 0; i < before.size(); ++i) moved += std::pow(after[i] - before[i], 2);
  EXPECT_NEAR(std::sqrt(moved), 0.01, 1e-4);  // one step of exactly the clipped norm
}

TEST(Schedule, StepCosineAndPlateau) {
  OptimizerConfig o;
  o.learning_rate = 1.0;
  o.schedule.kind = ScheduleKind::Step, o.schedule.step_size = 2, o.schedule.gamma = 0.5;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 0, 10), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 3, 10), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 4, 10), 0.25);
  o.schedule.kind = ScheduleKind::Cosine, o.schedule.min_learning_rate = 0.1;
  EXPECT_DOUBLE_EQ(scheduled_learning_rate(o, 0, 11), 1.0);
  EXPECT_NEAR(scheduled_learning_rate(o, 5, 11), 0.55, 1e-12);
  EXPECT_NEAR(scheduled_learning_rate(o, 10, 11), 0.1, 1e-12);
  ScheduleConfig plateau;
  plateau.plateau_patience = 1, plateau.plateau_factor = 0.5;
  PlateauSchedule p(plateau);
  EXPECT_EQ(p.update(1.0, 1.0), 1.0);
  EXPECT_EQ(p.update(1.0, 1.0), 1.0);  // first epoch without improvement: wait
  EXPECT_EQ(p.update(1.0, 1.0), 0.5);  // second: cut
}

TEST(Training, MlpFitsSine) {
  Network<float> net(make_mlp(1, {32, 32}, 1, Activation::Tanh), 1);
  TrainConfig config;
  config.epochs = 200, config.batch_size = 32, config.optimizer.learning_rate = 3e-3, config.seed = 2;
  auto [x, y] = device<float>(sine(512, 1));
  auto [xv, yv] = device<float>(sine(256, 99));
  Trainer<float> trainer(net, config);
  TrainResult result = trainer.fit(x, y, xv, yv);
  EXPECT_EQ(result.status, TrainStatus::Completed);
  EXPECT_EQ(int(result.curve.size()), 200);
  EXPECT_LT(trainer.evaluate(xv, yv), 2e-3);  // MSE on held-out points
}

TEST(Training, ClassifierSeparatesTwoMoons) {
  Network<float> net(make_mlp(2, {32, 32}, 2, Activation::Relu), 4);
  TrainConfig config;
  config.loss = Loss::SoftmaxCrossEntropy, config.epochs = 80, config.batch_size = 32, config.optimizer.learning_rate = 1e-2;
  HostData train = two_moons(600, 5), test = two_moons(400, 6);
  auto [x, y] = device<float>(train);
  Trainer<float>(net, config).fit(x, y);
  std::vector<float> xs(test.x.begin(), test.x.end());
  auto logits = net.predict(xs.data(), test.rows);
  int correct = 0;
  for (long i = 0; i < test.rows; ++i) correct += int(logits[2 * i + 1] > logits[2 * i]) == int(test.y[i]);
  EXPECT_GT(double(correct) / test.rows, 0.97);
}

TEST(Training, SameSeedGivesIdenticalWeights) {
  auto run = [] {
    Network<float> net(make_mlp(1, {16, 16}, 1, Activation::Relu, 0.1), 7);
    TrainConfig config;
    config.epochs = 5, config.batch_size = 10, config.seed = 3;
    auto [x, y] = device<float>(sine(100, 1));
    Trainer<float>(net, config).fit(x, y);
    return net.get_parameters();
  };
  EXPECT_EQ(run(), run());
}

// Fits sin(x) on the host backend E; the held-out MSE it reaches.
template <class E>
double sine_fit_on(E space) {
  Network<float, E> net(make_mlp(1, {32, 32}, 1, Activation::Tanh), 1, space);
  TrainConfig config;
  config.epochs = 150, config.batch_size = 32, config.optimizer.learning_rate = 3e-3, config.seed = 2;
  auto [x, y] = device<float, E>(sine(512, 1));
  auto [xv, yv] = device<float, E>(sine(256, 99));
  Trainer<float, E> trainer(net, config);
  trainer.fit(x, y, xv, yv);
  return trainer.evaluate(xv, yv);
}

// Each host backend trains on its own, whichever is the default.
TEST(Training, SerialBackendFitsSine) {
#if defined(KOKKOS_ENABLE_SERIAL)
  EXPECT_LT(sine_fit_on(Kokkos::Serial()), 5e-3);
#else
  GTEST_SKIP() << "this Kokkos has no Serial backend";
#endif
}

TEST(Training, OpenMpBackendFitsSine) {
#if defined(KOKKOS_ENABLE_OPENMP)
  EXPECT_LT(sine_fit_on(Kokkos::OpenMP()), 5e-3);
#else
  GTEST_SKIP() << "this Kokkos has no OpenMP backend";
#endif
}

TEST(Training, OpenMpMatchesSerial) {
#if defined(KOKKOS_ENABLE_SERIAL) && defined(KOKKOS_ENABLE_OPENMP)
  auto run = [](auto space) {
    using E = decltype(space);
    Network<double, E> net(make_mlp(3, {20, 20}, 1, Activation::Tanh, 0.2), 7, space);
    TrainConfig config;
    config.epochs = 5, config.batch_size = 16, config.seed = 3, config.optimizer.clip_norm = 1.0;
    HostData d = sine(200, 2);
    std::vector<double> x3;
    for (double v : d.x) x3.insert(x3.end(), {v, v * v, std::cos(v)});
    auto x = to_device<double, E>(x3.data(), d.rows, 3);
    auto y = to_device<double, E>(d.y.data(), d.rows, 1);
    Trainer<double, E>(net, config).fit(x, y);
    return net.get_parameters();
  };
  ASSERT_GE(Kokkos::OpenMP().concurrency(), 2) << "run with OMP_NUM_THREADS=2";
  const auto serial = run(Kokkos::Serial());
  const auto openmp = run(Kokkos::OpenMP());
  ASSERT_EQ(serial.size(), openmp.size());
  for (size_t i = 0; i < serial.size(); ++i) EXPECT_NEAR(serial[i], openmp[i], 1e-9) << "parameter " << i;
#else
  GTEST_SKIP() << "needs both the Serial and the OpenMP backend";
#endif
}

TEST(Training, EarlyStoppingRestoresBestWeights) {
  Network<float> net(make_mlp(1, {64}, 1, Activation::Relu), 1);
  TrainConfig config;
  config.epochs = 500, config.batch_size = 8, config.patience = 5, config.optimizer.learning_rate = 0.05;
  auto [x, y] = device<float>(sine(64, 1));
  auto [xv, yv] = device<float>(sine(64, 50));
  Trainer<float> trainer(net, config);
  TrainResult r = trainer.fit(x, y, xv, yv);
  EXPECT_EQ(r.status, TrainStatus::EarlyStopped);
  EXPECT_LT(int(r.curve.size()), 500);
  EXPECT_EQ(int(r.curve.size()), r.best_epoch + 1 + 5);
  EXPECT_NEAR(trainer.evaluate(xv, yv), r.best_validation_loss, 1e-5);
}

TEST(Training, WithoutValidationTheBestValidationLossIsNaN) {
  Network<float> net(make_mlp(1, {8}, 1, Activation::Tanh), 1);
  TrainConfig config;
  config.epochs = 5, config.batch_size = 16;
  auto [x, y] = device<float>(sine(64, 1));
  TrainResult r = Trainer<float>(net, config).fit(x, y);
  EXPECT_FALSE(r.monitored_validation);
  EXPECT_TRUE(std::isnan(r.best_validation_loss));
  ASSERT_TRUE(std::isfinite(r.best_loss));
  double lowest_train = INFINITY;
  for (const auto& e : r.curve) lowest_train = std::min(lowest_train, e.train_loss);
  EXPECT_DOUBLE_EQ(r.best_loss, lowest_train);
}

TEST(Training, LayoutLeftDataTrainsLikeLayoutRight) {
  TrainConfig config;
  config.epochs = 5, config.batch_size = 16, config.seed = 3;
  const HostData d = sine(100, 4);
  auto [x, y] = device<float>(d);
  Kokkos::View<float**, Kokkos::LayoutLeft, Exec::memory_space> x_left("x_left", d.rows, 1), y_left("y_left", d.rows, 1);
  Kokkos::deep_copy(x_left, x), Kokkos::deep_copy(y_left, y);
  Network<float> right(make_mlp(1, {8}, 1, Activation::Tanh), 2), left(make_mlp(1, {8}, 1, Activation::Tanh), 2);
  Trainer<float>(right, config).fit(x, y);
  Trainer<float>(left, config).fit(training_data(x_left), training_data(y_left));
  EXPECT_EQ(right.get_parameters(), left.get_parameters());
  // A view that already is row-major is used as it is, not copied.
  EXPECT_EQ(training_data(x).data(), x.data());
}

TEST(Training, DivergenceIsAStatusNotACrash) {
  Network<float> net(make_mlp(1, {16}, 1, Activation::Relu), 1);
  TrainConfig config;
  config.epochs = 50, config.batch_size = 8;
  config.optimizer.kind = OptimizerKind::SGD, config.optimizer.learning_rate = 1e6;
  auto [x, y] = device<float>(sine(64, 1));
  TrainResult r = Trainer<float>(net, config).fit(x, y);
  EXPECT_EQ(r.status, TrainStatus::Diverged);
  EXPECT_NE(r.message.find("non-finite"), std::string::npos);
}

TEST(Training, RejectsMismatchedDataAndBadLabels) {
  Network<float> net(make_mlp(2, {4}, 3, Activation::Relu), 1);
  TrainConfig config;
  config.loss = Loss::SoftmaxCrossEntropy;
  Trainer<float> trainer(net, config);
  std::vector<float> x = {0, 0, 1, 1}, bad = {0, 3};
  auto dx = to_device<float, Exec>(x.data(), 2, 2);
  auto dy = to_device<float, Exec>(bad.data(), 2, 1);
  EXPECT_THROW(trainer.fit(dx, dy), Error);
  auto wrong_width = to_device<float, Exec>(x.data(), 1, 4);
  EXPECT_THROW(trainer.fit(wrong_width, dy), Error);
}
