// Training throughput of Kyper's Kokkos MLPs (float32, Adam, MSE): samples/s and GFLOP/s per net,
// as JSON lines for benchmarks/training/run.sh, which sets them beside LibTorch and OpenBLAS.
// A step is exactly what Trainer::fit runs per batch: forward, loss, backward, optimizer update.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <kyper/network.hpp>
#include <kyper/optimizer.hpp>
#include <kyper/trainer.hpp>
#include <kyper/runtime.hpp>

namespace {
struct NetSpec {
  const char* name;
  int in;
  std::vector<int> hidden;
  int out;
  int batch;
};

double flops_per_sample(const NetSpec& n) {
  double sum = 0;
  int prev = n.in;
  for (int h : n.hidden) sum += double(prev) * h, prev = h;
  sum += double(prev) * n.out;
  return 6 * sum;  // forward 2, backward 4 per multiply-add
}

// Median samples/s of training `spec` on execution space Exec.
template <class Exec>
double measure(const NetSpec& spec, double window_seconds, int windows) {
  kyper::Network<float, Exec> net(kyper::make_mlp(spec.in, spec.hidden, spec.out, kyper::Activation::Relu), 1);
  net.reserve(spec.batch);
  kyper::OptimizerConfig adam;
  kyper::Optimizer<float, Exec> optimizer(adam, net.parameter_count());
  std::mt19937_64 rng(2);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> x(size_t(spec.batch) * spec.in), y(size_t(spec.batch) * spec.out);
  for (auto& v : x) v = normal(rng);
  for (auto& v : y) v = normal(rng);
  auto dy = kyper::to_device<float, Exec>(y.data(), spec.batch, spec.out);
  auto input = net.input(spec.batch);
  Kokkos::deep_copy(input, Kokkos::View<const float**, Kokkos::LayoutRight, Kokkos::HostSpace,
                                        Kokkos::MemoryTraits<Kokkos::Unmanaged>>(x.data(), spec.batch, spec.in));
  kyper::DeviceScalar<double, Exec> loss("loss");
  auto step = [&] {
    net.forward(spec.batch, true);
    kyper::loss_forward_backward<Exec, float>(Exec(), kyper::Loss::MSE, net.output(spec.batch), dy,
                                               net.output_gradient(spec.batch), loss, 1e-6f);
    net.backward(spec.batch);
    optimizer.step(net.parameters(), net.gradients());
  };
  auto now = [] { return std::chrono::steady_clock::now(); };
  // Warm-up, then windows of >= window_seconds each; report the median rate.
  for (auto t = now(); std::chrono::duration<double>(now() - t).count() < 0.5;) step();
  Kokkos::fence();
  std::vector<double> rates;
  for (int w = 0; w < windows; ++w) {
    long steps = 0;
    const auto start = now();
    double elapsed = 0;
    while (elapsed < window_seconds) {
      for (int i = 0; i < 8; ++i) step();
      steps += 8;
      Kokkos::fence();
      elapsed = std::chrono::duration<double>(now() - start).count();
    }
    rates.push_back(steps * double(spec.batch) / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}
}  // namespace

int main(int argc, char** argv) {
  kyper::Runtime runtime(argc, argv);
  double window = 1.0;
  int windows = 5;
  std::string only, space = "auto";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--window") && i + 1 < argc) window = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--windows") && i + 1 < argc) windows = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--net") && i + 1 < argc) only = argv[++i];
    else if (!std::strcmp(argv[i], "--space") && i + 1 < argc) space = argv[++i];
    // --threads is honoured through OMP_NUM_THREADS / Kokkos arguments.
  }
  const std::vector<NetSpec> nets = {{"A", 8, {64, 64}, 1, 32},
                                     {"B", 8, {256, 256, 256}, 1, 256},
                                     {"C", 64, {1024, 1024}, 10, 512},
                                     {"D", 1, {32, 32, 32, 32, 32}, 2, 64}};
  std::fprintf(stderr, "# %s; concurrency %d\n", kyper::describe_backends().c_str(),
               int(Kokkos::DefaultExecutionSpace().concurrency()));
  for (const auto& n : nets) {
    if (!only.empty() && only != n.name) continue;
    // Like the LibTorch reference, which probes its thread setups, "auto" measures the network on
    // the default space (all threads) and on Kokkos::Serial (one thread: tiny layers do not gain
    // from a fork/join per kernel) and reports the faster; the setup that won is printed.
    double rate = 0;
    std::string setup;
    if (space != "serial") {
      rate = measure<Kokkos::DefaultExecutionSpace>(n, window, windows);
      setup = Kokkos::DefaultExecutionSpace::name();
    }
#ifdef KOKKOS_ENABLE_SERIAL
    if (space == "serial" || (space == "auto" && !std::is_same_v<Kokkos::DefaultExecutionSpace, Kokkos::Serial>)) {
      const double serial = measure<Kokkos::Serial>(n, window, windows);
      if (serial > rate) rate = serial, setup = "Serial";
    }
#endif
    std::printf("{\"net\":\"%s\",\"samples_per_s\":%.1f,\"gflops\":%.3f,\"us_per_step\":%.2f,\"setup\":\"%s\"}\n",
                n.name, rate, rate * flops_per_sample(n) / 1e9, 1e6 * n.batch / rate, setup.c_str());
    std::fflush(stdout);
  }
  return 0;
}
