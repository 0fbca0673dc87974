// Training throughput of Kyper's Kokkos MLPs (float32, Adam, MSE): samples/s and GFLOP/s per net,
// as JSON lines for benchmarks/training/run.sh, which sets them beside LibTorch and OpenBLAS.
// A step is exactly what Trainer::fit runs per batch: forward, loss, backward, optimizer update.
#include <algorithm>
#include <dlfcn.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <kyper/fused_step.hpp>
#include <kyper/multi_trainer.hpp>
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

// How a step runs: the general path (a launch per layer and operation), the fused one-kernel step,
// or `copies` networks of the same shape in one fused launch per step.
enum class Path { General, Fused, Together };

struct Rate {
  double median = 0, low = 0, high = 0;  // samples/s: median and range over the windows
};

// Samples/s of `step` (one call trains `samples` samples) over `windows` windows after a warm-up.
template <class Step>
Rate time_steps(Step&& step, long samples, double window_seconds, int windows) {
  auto now = [] { return std::chrono::steady_clock::now(); };
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
    rates.push_back(steps * double(samples) / elapsed);
  }
  std::sort(rates.begin(), rates.end());
  return {rates[rates.size() / 2], rates.front(), rates.back()};
}

// Samples/s of training `spec` on execution space Exec along `path` (for Together: all copies'
// samples together).
template <class Exec>
Rate measure(const NetSpec& spec, Path path, int copies, double window_seconds, int windows) {
  using View2 = Kokkos::View<float**, Kokkos::LayoutRight, kyper::DeviceOf<Exec>>;
  const auto graph = kyper::make_mlp(spec.in, spec.hidden, spec.out, kyper::Activation::Relu);
  kyper::Network<float, Exec> net(graph, 1);
  net.reserve(spec.batch);
  kyper::OptimizerConfig adam;
  kyper::Optimizer<float, Exec> optimizer(adam, net.parameter_count());
  std::mt19937_64 rng(2);
  std::normal_distribution<float> normal(0, 1);
  std::vector<float> x(size_t(spec.batch) * spec.in), y(size_t(spec.batch) * spec.out);
  for (auto& v : x) v = normal(rng);
  for (auto& v : y) v = normal(rng);
  View2 dx = kyper::to_device<float, Exec>(x.data(), spec.batch, spec.in);
  View2 dy = kyper::to_device<float, Exec>(y.data(), spec.batch, spec.out);
  Kokkos::View<double*, kyper::DeviceOf<Exec>> loss("loss", copies);
  if (path == Path::General) {
    Kokkos::deep_copy(net.input(spec.batch), dx);
    auto step = [&] {
      net.forward(spec.batch, true);
      kyper::loss_forward_backward<Exec, float>(Exec(), kyper::Loss::MSE, net.output(spec.batch), dy,
                                                 net.output_gradient(spec.batch), Kokkos::subview(loss, 0), 1e-6f);
      net.backward(spec.batch);
      optimizer.step(net.parameters(), net.gradients());
    };
    return time_steps(step, spec.batch, window_seconds, windows);
  }
  const auto shape = kyper::fused_mlp_shape(net.plan(), spec.batch);
  if (!shape) return {};
  Kokkos::View<long*, kyper::DeviceOf<Exec>> order("order", spec.batch);
  auto order_host = Kokkos::create_mirror_view(order);
  for (int i = 0; i < spec.batch; ++i) order_host(i) = i;
  Kokkos::deep_copy(order, order_host);
  // `copies` parameter blocks and optimizer states, each network seeded like a separate trial.
  const long count = net.parameter_count();
  // The tiled kernels read up to TileSpare elements past the last weights (never write them).
  Kokkos::View<float*, kyper::DeviceOf<Exec>> params("params", copies * count + kyper::TileSpare),
      state1("m", copies * count), state2("v", copies * count);
  for (int c = 0; c < copies; ++c) {
    kyper::Network<float, Exec> member(graph, 1 + c);
    Kokkos::deep_copy(Kokkos::subview(params, std::make_pair(c * count, (c + 1) * count)), member.parameters());
  }
  kyper::FusedMlpStep<float, Exec> step = kyper::fused_step_of(net, optimizer, *shape);
  step.params = params.data(), step.state1 = state1.data(), step.state2 = state2.data(), step.stride = count;
  step.x = dx.data(), step.y = dy.data(), step.y_cols = spec.out;
  step.order = order.data(), step.rows = spec.batch;
  step.losses = loss.data(), step.loss_stride = 1;
  auto run = [&] {
    step.hyper = optimizer.advance();
    kyper::fused_mlp_step(Exec(), step, copies);
  };
  return time_steps(run, long(spec.batch) * copies, window_seconds, windows);
}
}  // namespace

int main(int argc, char** argv) {
  // One process: no MPI (a GPU node without an MPI launcher runs it too).
  kyper::Runtime runtime(argc, argv, -1, /*use_mpi=*/false);
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
  // The OpenBLAS kernels KokkosBlas::gemm runs, when the BLAS Kokkos-Kernels uses is OpenBLAS.
  using Corename = const char* (*)();
  if (auto corename = reinterpret_cast<Corename>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    std::printf("{\"openblas_core\":\"%s\"}\n", corename());
  std::fprintf(stderr, "# %s; concurrency %d\n", kyper::describe_backends().c_str(),
               int(Kokkos::DefaultExecutionSpace().concurrency()));
  // Like the LibTorch reference, which probes its thread setups, "auto" measures on the default
  // space (all threads) and on Kokkos::Serial (one thread: tiny layers do not gain from a fork/join
  // per kernel) and reports the faster; the set-up that won is printed.
  auto best_of_spaces = [&](auto&& measure_on) {
    std::pair<Rate, std::string> best{{}, ""};
    if (space != "serial") best = {measure_on(Kokkos::DefaultExecutionSpace()), Kokkos::DefaultExecutionSpace::name()};
#ifdef KOKKOS_ENABLE_SERIAL
    if (space == "serial" || (space == "auto" && !std::is_same_v<Kokkos::DefaultExecutionSpace, Kokkos::Serial>)) {
      const Rate serial = measure_on(Kokkos::Serial());
      if (serial.median > best.first.median) best = {serial, "Serial"};
    }
#endif
    return best;
  };
  for (const auto& n : nets) {
    if (!only.empty() && only != n.name) continue;
    // Both paths are measured; the rate reported is the path Trainer::fit picks by its rule
    // (kyper/fused_step.hpp) on the set-up that won.
    kyper::Network<float> probe(kyper::make_mlp(n.in, n.hidden, n.out, kyper::Activation::Relu), 1);
    const auto shape = kyper::fused_mlp_shape(probe.plan(), n.batch);
    kyper::TrainConfig probe_config;
    probe_config.batch_size = n.batch;
    const bool rule_fuses = kyper::Trainer<float>(probe, probe_config).uses_fused_step(n.batch);
    const auto general = best_of_spaces([&](auto exec) {
      return measure<decltype(exec)>(n, Path::General, 1, window, windows);
    });
    // The fused path is timed on a GPU and where it suits a core (a 1024-wide layer in one
    // thread's tiles would only show why it does not).
    const bool fits = shape && (!kyper::kernels::runs_on_host<Kokkos::DefaultExecutionSpace>() ||
                                kyper::fused_step_fits_host_core(*shape, kyper::fused_mlp_scratch_bytes<float>(*shape)));
    const auto fused = fits ? best_of_spaces([&](auto exec) {
      return measure<decltype(exec)>(n, Path::Fused, 1, window, windows);
    })
                            : std::pair<Rate, std::string>{};
    const auto& chosen = rule_fuses ? fused : general;
    const double rate = chosen.first.median;
    std::printf("{\"net\":\"%s\",\"samples_per_s\":%.1f,\"low\":%.1f,\"high\":%.1f,\"gflops\":%.3f,"
                "\"us_per_step\":%.2f,\"setup\":\"%s\",\"path\":\"%s\",\"general_samples_per_s\":%.1f,"
                "\"fused_samples_per_s\":%.1f}\n",
                n.name, rate, chosen.first.low, chosen.first.high, rate * flops_per_sample(n) / 1e9,
                1e6 * n.batch / rate, chosen.second.c_str(), rule_fuses ? "fused" : "general",
                general.first.median, fused.first.median);
    std::fflush(stdout);
    if (std::string(n.name) == "A") {
      // M copies of net A (different seeds) trained together, one fused launch per step for all.
      const int copies = 8;
      const auto together = best_of_spaces([&](auto exec) {
        return measure<decltype(exec)>(n, Path::Together, copies, window, windows);
      });
      std::printf("{\"net\":\"A\",\"copies\":%d,\"together_samples_per_s\":%.1f,\"low\":%.1f,\"high\":%.1f,"
                  "\"setup\":\"%s\",\"one_after_other_samples_per_s\":%.1f,\"general_samples_per_s\":%.1f,"
                  "\"rule_trains_together\":%s}\n",
                  copies, together.first.median, together.first.low, together.first.high, together.second.c_str(),
                  rate, general.first.median,
                  kyper::together_is_faster<Kokkos::DefaultExecutionSpace>(copies) ? "true" : "false");
      std::fflush(stdout);
    }
  }
  return 0;
}
