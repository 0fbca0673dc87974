// The fused one-kernel training step and training M networks together: gradients by finite
// differences and against the general path for every activation and loss, the update rules, the
// rule that picks the path, M networks together = each alone (bit for bit), OpenMP(2) = Serial,
// per-network learning rates and early stopping, and the errors. The tests that train run on the
// host space and, in a GPU build, on the device too (the fused kernel's team/scratch code maps to
// CUDA blocks there); their data crosses through host mirrors.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <type_traits>
#include <vector>

#include <kyper/fused_step.hpp>
#include <kyper/multi_trainer.hpp>
#include <kyper/trainer.hpp>

using namespace kyper;

namespace {

using Exec = Kokkos::DefaultHostExecutionSpace;
using Device = Kokkos::DefaultExecutionSpace;
// The spaces the training tests run on: the host's, and the default one when it is another (a GPU).
using Spaces = std::conditional_t<std::is_same_v<Exec, Device>, ::testing::Types<Exec>, ::testing::Types<Exec, Device>>;

template <class View>
auto on_host(const View& v) {
  return Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
}

template <class Scalar>
std::vector<Scalar> random_values(size_t n, uint64_t seed, double scale = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, scale);
  std::vector<Scalar> v(n);
  for (auto& x : v) x = Scalar(normal(rng));
  return v;
}

// Targets that suit `loss` for `rows` rows and a network of output width `outputs`.
template <class Scalar>
std::vector<Scalar> targets_for(Loss loss, int rows, int outputs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Scalar> y;
  for (int r = 0; r < rows; ++r) {
    if (loss == Loss::SoftmaxCrossEntropy) {
      y.push_back(Scalar(int(rng() % uint64_t(outputs))));
      continue;
    }
    const int cols = loss == Loss::GaussianNLL ? outputs / 2 : outputs;
    for (int c = 0; c < cols; ++c)
      y.push_back(loss == Loss::BinaryCrossEntropy ? Scalar(rng() % 2) : Scalar(std::sin(0.7 * r + c)));
  }
  return y;
}

// One network, its optimizer and a batch: runs the fused step or the general path on it.
template <class Scalar, class E>
struct Fixture {
  Network<Scalar, E> net;
  Optimizer<Scalar, E> optimizer;
  Loss loss;
  int rows;
  Kokkos::View<Scalar**, Kokkos::LayoutRight, E> x, y;
  Kokkos::View<long*, E> order;
  Kokkos::View<Scalar*, E> grads;
  Kokkos::View<double*, E> losses{"losses", 1};

  Fixture(const GraphSpec& graph, Loss loss_kind, int batch, OptimizerConfig config = {}, uint64_t seed = 3)
      : net(graph, seed), optimizer(config, net.parameter_count()), loss(loss_kind), rows(batch) {
    net.reserve(rows);
    const auto xs = random_values<Scalar>(size_t(rows) * net.input_width(), seed + 1);
    const auto ys = targets_for<Scalar>(loss, rows, net.output_width(), seed + 2);
    x = to_device<Scalar, E>(xs.data(), rows, net.input_width());
    y = to_device<Scalar, E>(ys.data(), rows, long(ys.size()) / rows);
    order = Kokkos::View<long*, E>("order", rows);
    auto order_host = Kokkos::create_mirror_view(order);
    for (int r = 0; r < rows; ++r) order_host(r) = (r * 7) % rows;  // a permutation when gcd(7, rows) = 1
    Kokkos::deep_copy(order, order_host);
    grads = Kokkos::View<Scalar*, E>("fused_gradients", net.parameter_count());
  }

  FusedMlpStep<Scalar, E> step(bool training) {
    FusedMlpStep<Scalar, E> s = fused_step_of(net, optimizer, *fused_mlp_shape(net.plan(), rows));
    s.grads = grads.data();
    s.x = x.data(), s.y = y.data(), s.y_cols = int(y.extent(1));
    s.order = order.data(), s.rows = rows, s.training = training;
    s.loss = loss, s.losses = losses.data();
    return s;
  }
  // The mean loss of the batch at the current parameters (the fused kernel in evaluation mode).
  double fused_loss() {
    auto s = step(false);
    fused_mlp_step(E(), s, 1);
    Kokkos::fence();
    return on_host(losses)(0) / rows;
  }
  std::vector<Scalar> fused_gradients() const {
    const auto g = on_host(grads);
    return std::vector<Scalar>(g.data(), g.data() + g.extent(0));
  }
  // One fused step: fills `grads` and updates the parameters.
  void fused_train_step() {
    auto s = step(true);
    s.hyper = optimizer.advance();
    fused_mlp_step(E(), s, 1);
    Kokkos::fence();
  }
  // The general path on the same rows (gathered in the same order): fills net.gradients().
  void general_gradients() {
    auto in = net.input(rows);
    Kokkos::View<Scalar**, Kokkos::LayoutRight, E> target("target", rows, y.extent(1));
    auto in_host = Kokkos::create_mirror_view(in);
    auto target_host = Kokkos::create_mirror_view(target);
    const auto x_host = on_host(x), y_host = on_host(y);
    const auto order_host = on_host(order);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < net.input_width(); ++c) in_host(r, c) = x_host(order_host(r), c);
      for (size_t c = 0; c < y.extent(1); ++c) target_host(r, c) = y_host(order_host(r), c);
    }
    Kokkos::deep_copy(in, in_host);
    Kokkos::deep_copy(target, target_host);
    net.forward(rows, true);
    DeviceScalar<double, E> sum("sum");
    loss_forward_backward<E, Scalar>(E(), loss, net.output(rows), target, net.output_gradient(rows), sum,
                                     Scalar(1e-6));
    net.backward(rows);
    Kokkos::fence();
  }
};

GraphSpec chain(std::vector<Activation> activations, std::vector<int> widths) {
  GraphSpec g;
  std::string node = g.input("x", widths[0]);
  for (size_t i = 0; i < activations.size(); ++i)
    node = g.dense("d" + std::to_string(i), node, widths[i + 1], activations[i]);
  g.output("y", node);
  return g;
}

}  // namespace

template <class E>
class FusedStepOn : public ::testing::Test {};
TYPED_TEST_SUITE(FusedStepOn, Spaces);

// Every activation: the fused gradients match central differences of the fused loss (double).
TYPED_TEST(FusedStepOn, GradientsMatchFiniteDifferences) {
  for (Activation act : {Activation::Identity, Activation::Relu, Activation::Tanh, Activation::Sigmoid,
                         Activation::Swish, Activation::Gelu, Activation::Elu}) {
    OptimizerConfig sgd;
    sgd.kind = OptimizerKind::SGD, sgd.learning_rate = 1e-300;  // the step leaves the weights as they are
    Fixture<double, TypeParam> f(chain({act, act, Activation::Identity}, {5, 19, 17, 3}), Loss::MSE, 13, sgd);
    f.fused_train_step();
    const auto grads = f.fused_gradients();
    auto params = f.net.get_parameters();
    const double eps = 1e-6;
    for (long i = 0; i < f.net.parameter_count(); i += 7) {
      auto shifted = params;
      shifted[i] += eps;
      f.net.set_parameters(shifted);
      const double up = f.fused_loss();
      shifted[i] -= 2 * eps;
      f.net.set_parameters(shifted);
      const double down = f.fused_loss();
      const double numeric = (up - down) / (2 * eps);
      EXPECT_NEAR(grads[i], numeric, 1e-6 + 1e-5 * std::fabs(numeric))
          << to_string(act) << " parameter " << i;
    }
  }
}

// Every loss and activation: the fused gradients equal the general path's (float, same rows).
TYPED_TEST(FusedStepOn, GradientsMatchTheGeneralPath) {
  for (Loss loss : {Loss::MSE, Loss::MAE, Loss::GaussianNLL, Loss::SoftmaxCrossEntropy, Loss::BinaryCrossEntropy}) {
    for (Activation act : {Activation::Relu, Activation::Tanh, Activation::Gelu}) {
      OptimizerConfig sgd;
      sgd.kind = OptimizerKind::SGD, sgd.learning_rate = 1e-30f;
      Fixture<float, TypeParam> f(chain({act, act, Activation::Identity}, {7, 33, 20, 4}), loss, 37, sgd);
      f.general_gradients();
      const auto general = on_host(f.net.gradients());
      f.fused_train_step();
      const auto fused = f.fused_gradients();
      double largest = 0;
      for (long i = 0; i < f.net.parameter_count(); ++i) largest = std::max(largest, double(std::fabs(general(i))));
      ASSERT_GT(largest, 0);
      for (long i = 0; i < f.net.parameter_count(); ++i)
        ASSERT_NEAR(fused[i], general(i), 2e-5 * largest) << to_string(loss) << " " << to_string(act) << " " << i;
    }
  }
}

// Each update rule applied in the products' epilogues equals the optimizer's own launch.
TYPED_TEST(FusedStepOn, UpdateRulesMatchTheOptimizer) {
  for (OptimizerKind kind : {OptimizerKind::SGD, OptimizerKind::RMSprop, OptimizerKind::Adam, OptimizerKind::AdamW}) {
    OptimizerConfig config;
    config.kind = kind, config.learning_rate = 0.01, config.momentum = 0.9, config.weight_decay = 0.01;
    config.clip_value = 0.05;
    const GraphSpec graph = chain({Activation::Relu, Activation::Identity}, {6, 24, 2});
    Fixture<float, TypeParam> fused(graph, Loss::MSE, 29, config), general(graph, Loss::MSE, 29, config);
    for (int step = 0; step < 3; ++step) {
      fused.fused_train_step();
      general.general_gradients();
      general.optimizer.step(general.net.parameters(), general.net.gradients());
    }
    const auto a = fused.net.get_parameters(), b = general.net.get_parameters();
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 2e-5) << to_string(kind) << " parameter " << i;
  }
}

// The rule beyond Auto (DefaultRuleTakesTheGeneralPathForOneNetwork): Never never fuses, and
// dropout and clipping by norm never fuse even when asked (Always).
TEST(FusedStep, RulePicksThePath) {
  TrainConfig config;
  config.batch_size = 32;
  {
    Network<float, Exec> net(make_mlp(8, {64, 64}, 1, Activation::Relu), 1);
    Trainer<float, Exec> trainer(net, config);
    trainer.set_fused_step(FusedStep::Never);
    EXPECT_FALSE(trainer.uses_fused_step(32));
    TrainConfig clipped = config;
    clipped.optimizer.clip_norm = 1;
    Trainer<float, Exec> clipping(net, clipped);
    clipping.set_fused_step(FusedStep::Always);
    EXPECT_FALSE(clipping.uses_fused_step(32));
  }
  {
    const auto shape = fused_mlp_shape(plan_graph(make_mlp(8, {1024, 1024}, 1, Activation::Relu)), 512);
    ASSERT_TRUE(shape);
    EXPECT_FALSE(fused_step_fits_host_core(*shape, fused_mlp_scratch_bytes<float>(*shape)));
    const auto small = fused_mlp_shape(plan_graph(make_mlp(8, {64, 64}, 1, Activation::Relu)), 32);
    EXPECT_TRUE(fused_step_fits_host_core(*small, fused_mlp_scratch_bytes<float>(*small)));
  }
  {
    GraphSpec g;
    auto x = g.input("x", 4);
    auto d = g.dense("d", x, 16, Activation::Relu);
    g.output("y", g.dense("o", g.dropout("drop", d, 0.1), 1));
    Network<float, Exec> with_dropout(g, 1);
    Trainer<float, Exec> trainer(with_dropout, config);
    trainer.set_fused_step(FusedStep::Always);
    EXPECT_FALSE(trainer.uses_fused_step(32));
  }
  EXPECT_FALSE(fused_mlp_shape(plan_graph(chain(std::vector<Activation>(kFusedMaxLayers + 1, Activation::Relu),
                                                std::vector<int>(kFusedMaxLayers + 2, 4))),
                               8));
}

// The default rule on each space: a single network takes the general path, a GPU's too (one
// network's fused step measured about half the general path's rate on an H200); Always fuses it.
TYPED_TEST(FusedStepOn, DefaultRuleTakesTheGeneralPathForOneNetwork) {
  TrainConfig config;
  config.batch_size = 32;
  Network<float, TypeParam> net(make_mlp(8, {64, 64}, 1, Activation::Relu), 1);
  Trainer<float, TypeParam> trainer(net, config);
  EXPECT_FALSE(trainer.uses_fused_step(32));
  trainer.set_fused_step(FusedStep::Always);
  EXPECT_TRUE(trainer.uses_fused_step(32));
}

// Trainer::fit with the fused step reaches what the general path reaches.
TYPED_TEST(FusedStepOn, TrainerFusedMatchesGeneralTraining) {
  using E = TypeParam;
  const int rows = 200;
  std::vector<float> xs(rows * 3), ys(rows);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < 3; ++c) xs[r * 3 + c] = float(std::sin(0.37 * r * (c + 1)));
    ys[r] = xs[r * 3] * xs[r * 3 + 1] + 0.5f * xs[r * 3 + 2];
  }
  auto x = to_device<float, E>(xs.data(), rows, 3);
  auto y = to_device<float, E>(ys.data(), rows, 1);
  TrainConfig config;
  config.epochs = 40, config.batch_size = 32, config.optimizer.learning_rate = 3e-3;
  std::vector<double> final_loss;
  for (bool fused : {true, false}) {
    Network<float, E> net(make_mlp(3, {32, 32}, 1, Activation::Tanh), 5);
    Trainer<float, E> trainer(net, config);
    trainer.set_fused_step(fused ? FusedStep::Always : FusedStep::Never);
    ASSERT_EQ(trainer.uses_fused_step(32), fused);
    const TrainResult result = trainer.fit(x, y);
    EXPECT_LT(result.curve.back().train_loss, 0.2 * result.curve.front().train_loss);
    final_loss.push_back(trainer.evaluate(x, y));
  }
  EXPECT_NEAR(final_loss[0], final_loss[1], 1e-3 + 0.02 * final_loss[1]);
}

namespace {

// Trains `m` networks of one shape together and each alone with the fused Trainer (Always); returns the
// parameters of both, network by network.
template <class E>
std::pair<std::vector<std::vector<float>>, std::vector<std::vector<float>>> together_and_alone(
    E space, int m, const TrainConfig& config, const std::vector<double>& rates, bool validation,
    std::vector<TrainResult>* together_results = nullptr, std::vector<TrainResult>* alone_results = nullptr) {
  const int rows = 150;
  std::vector<float> xs(rows * 4), ys(rows * 2);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < 4; ++c) xs[r * 4 + c] = float(std::cos(0.21 * r + c));
    ys[r * 2] = xs[r * 4] * xs[r * 4 + 1], ys[r * 2 + 1] = std::sin(xs[r * 4 + 2] + xs[r * 4 + 3]);
  }
  auto x = to_device<float, E>(xs.data(), 100, 4), y = to_device<float, E>(ys.data(), 100, 2);
  auto xv = to_device<float, E>(xs.data() + 400, 50, 4), yv = to_device<float, E>(ys.data() + 200, 50, 2);
  const GraphSpec graph = make_mlp(4, {24, 16}, 2, Activation::Relu);
  std::vector<Network<float, E>> together, alone;
  for (int i = 0; i < m; ++i) together.emplace_back(graph, 10 + i, space), alone.emplace_back(graph, 10 + i, space);
  std::vector<Network<float, E>*> pointers;
  std::vector<uint64_t> seeds;
  for (int i = 0; i < m; ++i) pointers.push_back(&together[i]), seeds.push_back(100 + i);
  MultiTrainer<float, E> multi(pointers, config, seeds, rates);
  auto results = validation ? multi.fit(x, y, xv, yv) : multi.fit(x, y);
  if (together_results) *together_results = results;
  std::pair<std::vector<std::vector<float>>, std::vector<std::vector<float>>> out;
  for (int i = 0; i < m; ++i) {
    TrainConfig own = config;
    own.seed = seeds[i], own.optimizer.learning_rate = rates.empty() ? config.optimizer.learning_rate : rates[i];
    Trainer<float, E> trainer(alone[i], own);
    trainer.set_fused_step(FusedStep::Always);
    EXPECT_TRUE(trainer.uses_fused_step(own.batch_size));
    const TrainResult r = validation ? trainer.fit(x, y, xv, yv) : trainer.fit(x, y);
    if (alone_results) alone_results->push_back(r);
    out.first.push_back(together[i].get_parameters());
    out.second.push_back(alone[i].get_parameters());
  }
  return out;
}

}  // namespace

template <class E>
class MultiTrainerOn : public ::testing::Test {};
TYPED_TEST_SUITE(MultiTrainerOn, Spaces);

// Network i trained with 7 others (its own seed and learning rate) ends bit for bit where it
// ends trained alone.
TYPED_TEST(MultiTrainerOn, EachNetworkAsIfTrainedAlone) {
  TrainConfig config;
  config.epochs = 6, config.batch_size = 16;
  std::vector<double> rates;
  for (int i = 0; i < 8; ++i) rates.push_back(1e-3 * (1 + i));
  std::vector<TrainResult> together, alone;
  const auto [multi, single] = together_and_alone(TypeParam(), 8, config, rates, false, &together, &alone);
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(multi[i], single[i]) << "network " << i;
    ASSERT_EQ(together[i].curve.size(), alone[i].curve.size());
    for (size_t e = 0; e < alone[i].curve.size(); ++e)
      EXPECT_EQ(together[i].curve[e].train_loss, alone[i].curve[e].train_loss);
  }
  EXPECT_NE(multi[0], multi[1]);  // different seeds and rates: different networks
}

// Early stopping and the best-weight restore act per network: with validation data and a
// patience of 2, networks stop at their own epochs and keep their own best weights.
TYPED_TEST(MultiTrainerOn, EarlyStoppingPerNetwork) {
  TrainConfig config;
  config.epochs = 60, config.batch_size = 10, config.patience = 2, config.restore_best = true;
  const std::vector<double> rates{1e-4, 3e-2, 1e-1};
  std::vector<TrainResult> together, alone;
  together_and_alone(TypeParam(), 3, config, rates, true, &together, &alone);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(together[i].status, alone[i].status) << i;
    EXPECT_EQ(together[i].best_epoch, alone[i].best_epoch) << i;
    EXPECT_EQ(together[i].best_validation_loss, alone[i].best_validation_loss) << i;
  }
  EXPECT_EQ(together[2].status, TrainStatus::EarlyStopped);  // the largest rate stops first
  EXPECT_LT(together[2].curve.size(), together[0].curve.size());
}

// OpenMP with 2 threads spreads the networks over the threads and changes no bit.
TEST(MultiTrainer, OpenMpMatchesSerial) {
#if defined(KOKKOS_ENABLE_SERIAL) && defined(KOKKOS_ENABLE_OPENMP)
  ASSERT_GE(Kokkos::OpenMP().concurrency(), 2) << "run with OMP_NUM_THREADS=2";
  TrainConfig config;
  config.epochs = 4, config.batch_size = 16;
  const auto serial = together_and_alone(Kokkos::Serial(), 5, config, {}, true);
  const auto openmp = together_and_alone(Kokkos::OpenMP(), 5, config, {}, true);
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(serial.first[i], openmp.first[i]) << "network " << i;
    ASSERT_EQ(serial.second[i], openmp.second[i]) << "network " << i;
  }
#else
  GTEST_SKIP() << "needs both the Serial and the OpenMP backend";
#endif
}

TEST(MultiTrainer, TogetherOnlyWhereItIsFaster) {
  using Default = Kokkos::DefaultExecutionSpace;
  EXPECT_FALSE(kyper::together_is_faster<Default>(1));  // one network: nothing to share
#ifdef KOKKOS_ENABLE_SERIAL
  EXPECT_FALSE(kyper::together_is_faster<Kokkos::Serial>(8));  // one thread steps them in turn
#endif
  // The rule by its inputs: networks, on a host or not, threads.
  EXPECT_FALSE(kyper::together_is_faster(8, true, 1));
  EXPECT_TRUE(kyper::together_is_faster(8, true, 2));
  EXPECT_TRUE(kyper::together_is_faster(2, true, 2));
  // A GPU: from three networks (two fused teams reach about 0.9 of one network's general path).
  EXPECT_FALSE(kyper::together_is_faster(2, false, 1));
  EXPECT_TRUE(kyper::together_is_faster(3, false, 1));
  EXPECT_TRUE(kyper::together_is_faster(8, false, 100000));
  EXPECT_FALSE(kyper::together_is_faster(1, false, 1000));
  EXPECT_FALSE(kyper::together_is_faster(0, true, 16));
  // ctest runs the host backends with two threads, so trial groups there take the together path.
  if (kyper::kernels::runs_on_host<Default>() && Default().concurrency() == 2) {
    EXPECT_TRUE(kyper::together_is_faster<Default>(8));
  }
}

TEST(MultiTrainer, Errors) {
  TrainConfig config;
  Network<float, Exec> a(make_mlp(4, {8}, 1, Activation::Relu), 1), b(make_mlp(4, {9}, 1, Activation::Relu), 1);
  auto message = [&](auto&& make) -> std::string {
    try {
      make();
    } catch (const std::exception& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message([&] { MultiTrainer<float, Exec>({&a, &b}, config); }).find("another shape than network 0"),
            std::string::npos);
  GraphSpec g;
  g.output("y", g.dense("o", g.dropout("drop", g.dense("d", g.input("x", 4), 8), 0.2), 1));
  Network<float, Exec> dropout(g, 1);
  EXPECT_NE(message([&] { MultiTrainer<float, Exec>({&dropout}, config); }).find("chain of at most"),
            std::string::npos);
  TrainConfig clipped = config;
  clipped.optimizer.clip_norm = 1;
  EXPECT_NE(message([&] { MultiTrainer<float, Exec>({&a}, clipped); }).find("clip_norm"), std::string::npos);
  EXPECT_NE(message([&] { MultiTrainer<float, Exec>({&a}, config, {1, 2}); }).find("2 shuffle seeds for 1"),
            std::string::npos);
}
