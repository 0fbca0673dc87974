// Finite-difference gradient check for a whole network + loss: compares the back-propagated
// parameter gradients with central differences of the mean loss, in double precision.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>
#include <kyper/network.hpp>
#include <kyper/trainer.hpp>

namespace kyper::testing {

using Exec = Kokkos::DefaultExecutionSpace;
using Net = Network<double, Exec>;
using Data = Kokkos::View<double**, Kokkos::LayoutRight, DeviceOf<Exec>>;

struct GradientCase {
  GraphSpec graph;
  Loss loss = Loss::MSE;
  int rows = 7;
  int targets = 1;
  int classes = 0;  // softmax: labels in [0, classes)
  uint64_t seed = 3;
  int max_checked = 0;  // 0: every parameter; otherwise a random sample of this many
};

inline double batch_loss(Net& net, Loss loss, const Data& x, const Data& y, bool with_gradient) {
  const int rows = x.extent(0);
  Kokkos::deep_copy(net.input(rows), x);
  net.forward(rows, true, /*dropout_stream=*/7);
  DeviceScalar<double, Exec> sum("sum");
  loss_forward_backward<Exec, double>(Exec(), loss, MatrixView<const double, Exec>(net.output(rows)),
                                      MatrixView<const double, Exec>(y.data(), rows, y.extent(1)),
                                      with_gradient ? net.output_gradient(rows) : MatrixView<double, Exec>(), sum,
                                      1e-3);
  if (with_gradient) net.backward(rows);
  double host = 0;
  Kokkos::deep_copy(host, sum);
  return host / rows;
}

// Returns the largest relative error over the checked parameters.
inline double max_gradient_error(const GradientCase& c) {
  Net net(c.graph, c.seed);
  net.reserve(c.rows);
  std::mt19937_64 rng(c.seed + 1);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> xs(size_t(c.rows) * net.input_width()), ys(size_t(c.rows) * c.targets);
  for (auto& v : xs) v = normal(rng);
  for (size_t i = 0; i < ys.size(); ++i) {
    if (c.loss == Loss::SoftmaxCrossEntropy) ys[i] = double(rng() % c.classes);
    else if (c.loss == Loss::BinaryCrossEntropy) ys[i] = double(rng() % 2);
    else ys[i] = normal(rng);
  }
  Data x = to_device<double, Exec>(xs.data(), c.rows, net.input_width());
  Data y = to_device<double, Exec>(ys.data(), c.rows, c.targets);

  // Biases start at zero; move them off zero so their gradients are exercised in general position.
  std::vector<double> params = net.get_parameters();
  for (auto& p : params) p += 0.1 * normal(rng);
  net.set_parameters(params);

  batch_loss(net, c.loss, x, y, true);
  auto grads_view = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), net.gradients());
  std::vector<long> checked;
  for (long i = 0; i < net.parameter_count(); ++i) checked.push_back(i);
  if (c.max_checked > 0 && long(checked.size()) > c.max_checked) {
    std::shuffle(checked.begin(), checked.end(), rng);
    checked.resize(c.max_checked);
  }
  double worst = 0;
  const double h = 1e-6;
  for (long i : checked) {
    std::vector<double> p = params;
    p[i] = params[i] + h;
    net.set_parameters(p);
    const double up = batch_loss(net, c.loss, x, y, false);
    p[i] = params[i] - h;
    net.set_parameters(p);
    const double down = batch_loss(net, c.loss, x, y, false);
    const double numeric = (up - down) / (2 * h);
    const double analytic = grads_view(i);
    const double error = std::abs(numeric - analytic) / std::max(1e-4, std::abs(numeric) + std::abs(analytic));
    worst = std::max(worst, error);
  }
  return worst;
}

}  // namespace kyper::testing
