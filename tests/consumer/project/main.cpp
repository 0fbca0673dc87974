// Trains a small network through the installed headers and library; exits non-zero unless the
// fit beats predicting the mean by 20x, so a broken install cannot pass. It also builds a NAS
// architecture and decomposes a mixture through the installed nas/uq headers.
#include <cmath>
#include <cstdio>
#include <vector>

#include <kyper/device_model.hpp>
#include <kyper/model.hpp>
#include <kyper/nas_space.hpp>
#include <kyper/runtime.hpp>
#include <kyper/uq/device_ensemble.hpp>
#include <kyper/uq/ensemble.hpp>

int main(int argc, char** argv) {
  kyper::Runtime runtime(argc, argv);
  kyper::Dataset data;
  data.feature_names = {"x"}, data.target_names = {"y"}, data.source = "consumer";
  for (int i = 0; i < 200; ++i) {
    const float x = -2.0f + 4.0f * float(i) / 199.0f;
    data.features.push_back(x);
    data.targets.push_back(x * x);
  }
  kyper::TrainConfig config;
  config.epochs = 60, config.batch_size = 20, config.optimizer.learning_rate = 1e-2;
  kyper::Model model(kyper::make_mlp(1, {16, 16}, 1, kyper::Activation::Tanh), config, 1);
  model.fit(data);
  // Targets are standardised, so always predicting the mean scores 1.0.
  const double after = model.evaluate(data);
  std::printf("consumer: scaled MSE after training %.4f (predicting the mean: 1.0)\n", after);
  // The device path of the installed headers gives the host path's predictions.
  kyper::DeviceModel<> device(model);
  Kokkos::View<float**, Kokkos::LayoutLeft, Kokkos::DefaultExecutionSpace::memory_space> x("x", 1, 1), y("y", 1, 1);
  Kokkos::deep_copy(x, 1.5f);
  device.predict(x, y);
  float on_device = 0;
  Kokkos::deep_copy(on_device, Kokkos::subview(y, 0, 0));
  const float one_point = 1.5f;
  const float on_host = model.predict(&one_point, 1).values[0];
  std::printf("consumer: prediction at 1.5: device %.6f, host %.6f\n", on_device, on_host);
  if (on_device != on_host) return 1;
  const auto space = kyper::nas::dense_skip_space(1, 1, 2, {8}, {kyper::Activation::Relu}, 1);
  const long parameters = space.parameter_count({1, 1, 1, 1});
  const double epistemic = kyper::uq::decompose({{1, 0.0, 1.0}, {1, 2.0, 1.0}}).epistemic;
  std::printf("consumer: NAS architecture with %ld parameters, mixture epistemic variance %.2f\n", parameters, epistemic);
  return after < 0.05 && parameters > 0 && epistemic == 1.0 ? 0 : 1;
}
