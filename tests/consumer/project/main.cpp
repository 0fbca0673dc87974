// Trains a small network through the installed headers and library; exits non-zero unless the
// fit beats predicting the mean by 20x, so a broken install cannot pass. It also builds a NAS
// architecture and decomposes a mixture through the installed nas/uq headers.
#include <cmath>
#include <cstdio>
#include <vector>

#include <kyper/model.hpp>
#include <kyper/nas_space.hpp>
#include <kyper/runtime.hpp>
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
  const auto space = kyper::nas::dense_skip_space(1, 1, 2, {8}, {kyper::Activation::Relu}, 1);
  const long parameters = space.parameter_count({1, 1, 1, 1});
  const double epistemic = kyper::uq::decompose({{1, 0.0, 1.0}, {1, 2.0, 1.0}}).epistemic;
  std::printf("consumer: NAS architecture with %ld parameters, mixture epistemic variance %.2f\n", parameters, epistemic);
  return after < 0.05 && parameters > 0 && epistemic == 1.0 ? 0 : 1;
}
