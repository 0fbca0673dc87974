// Training throughput of Kyper's recurrent cells (float32, Adam, MSE): a 2-layer LSTM (or GRU) over
// sequences of 8 steps of 5 features, batch 64, the last state into a dense head of one output.
// Prints JSON lines for benchmarks/recurrent/run.sh, which sets them beside LibTorch's nn::LSTM.
// A step is what Trainer::fit runs per batch: forward, loss, backward, optimizer update.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <kyper/network.hpp>
#include <kyper/optimizer.hpp>
#include <kyper/runtime.hpp>
#include <kyper/trainer.hpp>

namespace {
struct Case {
  std::string cell;
  int hidden;
  int steps = 8, inputs = 5, layers = 2, batch = 64;
};

kyper::GraphSpec graph_of(const Case& c) {
  kyper::GraphSpec g;
  std::string last = g.sequence_input("x", c.steps, c.inputs);
  for (int l = 0; l < c.layers; ++l) {
    const bool sequences = l + 1 < c.layers;
    const std::string name = "cell_" + std::to_string(l);
    last = c.cell == "lstm" ? g.lstm(name, last, c.hidden, sequences) : g.gru(name, last, c.hidden, sequences);
  }
  g.output("y", g.dense("head", last, 1));
  return g;
}

// Median samples/s over `windows` windows of at least `window_seconds`.
template <class Exec>
std::vector<double> measure(const Case& c, double window_seconds, int windows) {
  kyper::Network<float, Exec> net(graph_of(c), 1);
  net.reserve(c.batch);
  kyper::OptimizerConfig adam;
  kyper::Optimizer<float, Exec> optimizer(adam, net.parameter_count());
  std::mt19937_64 rng(2);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> x(size_t(c.batch) * net.input_width()), y(size_t(c.batch));
  for (auto& v : x) v = normal(rng);
  for (auto& v : y) v = normal(rng);
  auto dy = kyper::to_device<float, Exec>(y.data(), c.batch, 1);
  Kokkos::deep_copy(net.input(c.batch),
                    Kokkos::View<const float**, Kokkos::LayoutRight, Kokkos::HostSpace,
                                 Kokkos::MemoryTraits<Kokkos::Unmanaged>>(x.data(), c.batch, net.input_width()));
  kyper::DeviceScalar<double, Exec> loss("loss");
  auto step = [&] {
    net.forward(c.batch, true);
    kyper::loss_forward_backward<Exec, float>(Exec(), kyper::Loss::MSE, net.output(c.batch), dy,
                                               net.output_gradient(c.batch), loss, 1e-6f);
    net.backward(c.batch);
    optimizer.step(net.parameters(), net.gradients());
  };
  auto now = [] { return std::chrono::steady_clock::now(); };
  for (auto t = now(); std::chrono::duration<double>(now() - t).count() < 0.5;) step();
  Kokkos::fence();
  std::vector<double> rates;
  for (int w = 0; w < windows; ++w) {
    long steps = 0;
    const auto start = now();
    double elapsed = 0;
    while (elapsed < window_seconds) {
      for (int i = 0; i < 4; ++i) step();
      steps += 4;
      Kokkos::fence();
      elapsed = std::chrono::duration<double>(now() - start).count();
    }
    rates.push_back(steps * double(c.batch) / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  return rates;
}

void print(const Case& c, const std::vector<double>& rates, const std::string& setup) {
  std::printf("{\"cell\":\"%s\",\"hidden\":%d,\"samples_per_s\":%.1f,\"min\":%.1f,\"max\":%.1f,\"setup\":\"%s\"}\n",
              c.cell.c_str(), c.hidden, rates[rates.size() / 2], rates.front(), rates.back(), setup.c_str());
  std::fflush(stdout);
}
}  // namespace

int main(int argc, char** argv) {
  kyper::Runtime runtime(argc, argv);
  double window = 1.0;
  int windows = 5;
  std::string cells = "lstm", space = "auto";
  std::vector<int> hidden = {32, 128};
  if (const char* only = std::getenv("KYPER_BENCH_HIDDEN")) hidden = {std::atoi(only)};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--window") && i + 1 < argc) window = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--windows") && i + 1 < argc) windows = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--cells") && i + 1 < argc) cells = argv[++i];
    else if (!std::strcmp(argv[i], "--space") && i + 1 < argc) space = argv[++i];  // auto, default, serial
  }
  std::fprintf(stderr, "# %s; concurrency %d\n", kyper::describe_backends().c_str(),
               int(Kokkos::DefaultExecutionSpace().concurrency()));
  for (const std::string cell : {"lstm", "gru"}) {
    if (cells.find(cell) == std::string::npos) continue;
    for (int h : hidden) {
      Case c{cell, h};
      // Both set-ups, the faster reported (as the LibTorch reference probes its thread set-ups):
      // the default space with every thread, and Serial (no fork/join per kernel).
      std::vector<double> rates = {0};
      std::string setup;
      if (space != "serial") {
        rates = measure<Kokkos::DefaultExecutionSpace>(c, window, windows);
        setup = Kokkos::DefaultExecutionSpace::name();
      }
#ifdef KOKKOS_ENABLE_SERIAL
      if (space == "serial" || (space == "auto" && !std::is_same_v<Kokkos::DefaultExecutionSpace, Kokkos::Serial>)) {
        auto serial = measure<Kokkos::Serial>(c, window, windows);
        if (serial[serial.size() / 2] > rates[rates.size() / 2]) rates = serial, setup = "Serial";
      }
#endif
      print(c, rates, setup);
    }
  }
  return 0;
}
