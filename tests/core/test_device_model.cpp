// Device-resident models: a trained Model copied to an execution space predicts on views in that
// space's memory (LayoutLeft or LayoutRight, in chunks) exactly what the host path predicts, for
// every kind of output, and on each host backend as a non-default execution space.
#include <cmath>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/device_model.hpp>
#include <kyper/model.hpp>

using namespace kyper;

namespace {
Dataset two_feature_data(size_t rows, uint64_t seed, bool labels) {
  Dataset d;
  d.feature_names = {"a", "b"}, d.target_names = {labels ? "label" : "y"}, d.source = "generated";
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-3, 3);
  for (size_t i = 0; i < rows; ++i) {
    const float a = 100 + 10 * u(rng), b = u(rng);  // unscaled units: the device must scale
    d.features.insert(d.features.end(), {a, b});
    const float value = std::sin(b) + 0.01f * (a - 100);
    d.targets.push_back(labels ? float(value > 0 ? 1 + (b > 1) : 0) : 500 + 40 * value);
  }
  return d;
}

Model trained(Loss loss, int outputs) {
  const bool labels = loss == Loss::SoftmaxCrossEntropy || loss == Loss::BinaryCrossEntropy;
  Dataset data = two_feature_data(200, 1, labels);
  if (loss == Loss::BinaryCrossEntropy)
    for (float& y : data.targets) y = y > 0 ? 1.0f : 0.0f;
  TrainConfig config;
  config.loss = loss, config.epochs = 20, config.batch_size = 32, config.seed = 3;
  const bool scale_targets = !labels;
  Model model(make_mlp(2, {16, 16}, outputs, Activation::Tanh), config, 5, ScalerKind::standard,
              scale_targets ? ScalerKind::standard : ScalerKind::none);
  model.fit(data);
  return model;
}

// Host predictions vs DeviceModel<E> on views of layout L, with chunks smaller than the data.
template <class E, class Layout>
void expect_device_equals_host(Model& model, const E& space) {
  const Dataset data = two_feature_data(97, 9, false);
  const Predictions host = model.predict(data);
  DeviceModel<E> device(model, space, /*max_rows=*/16);
  ASSERT_EQ(device.output_width(), int(host.columns.size()));
  Kokkos::View<float**, Layout, typename E::memory_space> x("x", data.rows(), 2);
  Kokkos::View<float**, Layout, typename E::memory_space> y("y", data.rows(), device.output_width());
  auto x_host = Kokkos::create_mirror_view(x);
  for (size_t r = 0; r < data.rows(); ++r)
    for (int c = 0; c < 2; ++c) x_host(r, c) = data.features[r * 2 + c];
  Kokkos::deep_copy(x, x_host);
  device.predict(x, y);
  space.fence();
  auto y_host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
  const int width = device.output_width();
  for (size_t r = 0; r < data.rows(); ++r)
    for (int c = 0; c < width; ++c)
      EXPECT_FLOAT_EQ(y_host(r, c), host.values[r * width + c]) << "row " << r << " column " << host.columns[c];
}

struct Case {
  Loss loss;
  int outputs;
};
class DeviceModelPath : public ::testing::TestWithParam<Case> {};
}  // namespace

TEST_P(DeviceModelPath, EqualsHostPathInBothLayouts) {
  Model model = trained(GetParam().loss, GetParam().outputs);
  using Exec = Kokkos::DefaultExecutionSpace;
  expect_device_equals_host<Exec, Kokkos::LayoutLeft>(model, Exec());
  expect_device_equals_host<Exec, Kokkos::LayoutRight>(model, Exec());
}

INSTANTIATE_TEST_SUITE_P(Losses, DeviceModelPath,
                         ::testing::Values(Case{Loss::MSE, 1}, Case{Loss::GaussianNLL, 2},
                                           Case{Loss::SoftmaxCrossEntropy, 3}, Case{Loss::BinaryCrossEntropy, 1}));

TEST(DeviceModel, RunsOnEachHostBackend) {
  Model model = trained(Loss::GaussianNLL, 2);
#if defined(KOKKOS_ENABLE_SERIAL)
  expect_device_equals_host<Kokkos::Serial, Kokkos::LayoutLeft>(model, Kokkos::Serial());
#endif
#if defined(KOKKOS_ENABLE_OPENMP)
  expect_device_equals_host<Kokkos::OpenMP, Kokkos::LayoutLeft>(model, Kokkos::OpenMP());
#endif
#if !defined(KOKKOS_ENABLE_SERIAL) && !defined(KOKKOS_ENABLE_OPENMP)
  GTEST_SKIP() << "no Serial or OpenMP backend";
#endif
}

TEST(DeviceModel, RejectsViewsOfTheWrongShape) {
  Model model = trained(Loss::MSE, 1);
  DeviceModel<> device(model);
  Kokkos::View<float**, Kokkos::DefaultExecutionSpace::memory_space> x("x", 4, 3), y("y", 4, 1);
  EXPECT_THAT([&] { device.predict(x, y); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("x has 3 columns")));
  Kokkos::View<float**, Kokkos::DefaultExecutionSpace::memory_space> x2("x2", 4, 2), y2("y2", 5, 1);
  EXPECT_THAT([&] { device.predict(x2, y2); }, ::testing::ThrowsMessage<Error>(::testing::HasSubstr("expected 4 x 1")));
}
