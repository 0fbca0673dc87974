// In-situ surrogate for a Kokkos simulation. The host code (this file) owns MPI and Kokkos: it
// solves a 2-D heat equation on each rank, packs training pairs (a 5x5 stencil of u^n plus the
// position -> u^{n+K}) straight from the device field into device views, tunes a Gaussian-head MLP
// with Kyper's scheduler on a sub-communicator, and then advances K steps at a time with the
// surrogate wherever its predicted standard deviation is small, falling back to the solver where
// it is not. The tuned surrogate is saved as a model file, loaded back and served from the device
// (kyper::DeviceModel). No field is copied to the host: only scalars (errors, max std) cross.
//   insitu_heat [--grid N] [--evaluations E] [--max-rmse R] [--max-std S]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include <Kokkos_Core.hpp>
#include <kyper/kernels/math.hpp>
#include <kyper/device_model.hpp>
#include <kyper/model.hpp>
#include <kyper/runtime.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/trainer.hpp>

namespace {
using Exec = Kokkos::DefaultExecutionSpace;
using Field = Kokkos::View<double**, Kokkos::LayoutRight, kyper::DeviceOf<Exec>>;
using Data = kyper::Trainer<float, Exec>::Data;
constexpr int kHalo = 2;        // stencil radius of the surrogate's inputs
constexpr int kSteps = 8;       // solver steps one surrogate step replaces
constexpr int kFeatures = 27;   // 5x5 stencil + (x, y)

// The simulation: u_t = alpha (u_xx + u_yy) + s(x, y) on the unit square, u = 0 on the boundary.
struct Heat {
  int n;
  double alpha, dx, dt;
  double sx, sy;  // source centre (differs per rank)
  Field u, next;

  Heat(int n_, int rank) : n(n_), alpha(1.0), dx(1.0 / (n_ + 1)), dt(0.2 * dx * dx), sx(0.3 + 0.1 * (rank % 4)), sy(0.6) {
    u = Field("heat::u", n + 2 * kHalo, n + 2 * kHalo);
    next = Field("heat::next", n + 2 * kHalo, n + 2 * kHalo);
    initial_bump(u, n, dx, 0.5, 0.4 + 0.05 * (rank % 3));
  }

  // (nvcc does not allow device lambdas in constructors, hence a static member.)
  static void initial_bump(const Field& field, int n, double h, double cx, double cy) {
    Kokkos::parallel_for("heat::init", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<2>>({kHalo, kHalo}, {n + kHalo, n + kHalo}),
                         KOKKOS_LAMBDA(int i, int j) {
                           const double x = (i - kHalo + 1) * h - cx, y = (j - kHalo + 1) * h - cy;
                           field(i, j) = kyper::kmath::exp(-40.0 * (x * x + y * y));
                         });
  }

  void step(int count) {
    for (int s = 0; s < count; ++s) {
      Field a = u, b = next;
      const double r = alpha * dt / (dx * dx), h = dx, dtl = dt, ax = sx, ay = sy;
      Kokkos::parallel_for("heat::step", Kokkos::MDRangePolicy<Exec, Kokkos::Rank<2>>({kHalo, kHalo}, {n + kHalo, n + kHalo}),
                           KOKKOS_LAMBDA(int i, int j) {
                             const double x = (i - kHalo + 1) * h - ax, y = (j - kHalo + 1) * h - ay;
                             const double source = 5.0 * kyper::kmath::exp(-200.0 * (x * x + y * y));
                             b(i, j) = a(i, j) + r * (a(i + 1, j) + a(i - 1, j) + a(i, j + 1) + a(i, j - 1) - 4 * a(i, j)) +
                                       dtl * source;
                           });
      std::swap(u, next);
    }
  }
};

// Writes the surrogate inputs of every interior point of `u` into rows [first, first + n*n) of x.
template <class X>
void pack_features(const Field& u, int n, const X& x, long first) {
  Kokkos::parallel_for("insitu::pack", Kokkos::RangePolicy<Exec>(0, long(n) * n), KOKKOS_LAMBDA(long p) {
    const int i = int(p / n) + kHalo, j = int(p % n) + kHalo;
    int f = 0;
    for (int di = -kHalo; di <= kHalo; ++di)
      for (int dj = -kHalo; dj <= kHalo; ++dj) x(first + p, f++) = float(u(i + di, j + dj));
    x(first + p, f++) = float(double(i - kHalo) / n);
    x(first + p, f) = float(double(j - kHalo) / n);
  });
}

template <class Y>
void pack_targets(const Field& u, int n, const Y& y, long first) {
  Kokkos::parallel_for("insitu::targets", Kokkos::RangePolicy<Exec>(0, long(n) * n), KOKKOS_LAMBDA(long p) {
    y(first + p, 0) = float(u(int(p / n) + kHalo, int(p % n) + kHalo));
  });
}

kyper::GraphSpec surrogate_graph(int layers, int units, kyper::Activation act) {
  return kyper::make_mlp(kFeatures, std::vector<int>(size_t(layers), units), 2, act);  // Gaussian head: mean, raw variance
}

kyper::TrainConfig surrogate_training(double learning_rate, int batch) {
  kyper::TrainConfig t;
  t.loss = kyper::Loss::GaussianNLL, t.epochs = 40, t.batch_size = batch, t.patience = 6, t.seed = 1;
  t.optimizer.learning_rate = learning_rate;
  t.variance_floor = 1e-7;
  return t;
}
}  // namespace

int main(int argc, char** argv) {
  int n = 40, evaluations = 8;
  double max_rmse = 0.02, max_std_allowed = 0.05;
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--grid")) n = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--evaluations")) evaluations = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--max-rmse")) max_rmse = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--max-std")) max_std_allowed = std::atof(argv[++i]);
  }
  // The host owns MPI and Kokkos; Kyper adopts them and finalises neither.
  MPI_Init(&argc, &argv);
  Kokkos::initialize(argc, argv);
  int status = 0;
  {
    kyper::Runtime adopt(argc, argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm tuning;  // Kyper gets a communicator of its own, not MPI_COMM_WORLD
    MPI_Comm_dup(MPI_COMM_WORLD, &tuning);

    // 1. Simulate and collect (u^n stencil -> u^{n+K}) pairs on the device.
    Heat heat(n, rank);
    const int snapshots = 24, points = n * n;
    Data x(Kokkos::view_alloc(Kokkos::WithoutInitializing, "insitu::x"), long(snapshots) * points, kFeatures);
    Data y(Kokkos::view_alloc(Kokkos::WithoutInitializing, "insitu::y"), long(snapshots) * points, 1);
    for (int s = 0; s < snapshots; ++s) {
      pack_features(heat.u, n, x, long(s) * points);
      heat.step(kSteps);
      pack_targets(heat.u, n, y, long(s) * points);
      heat.step(kSteps);  // decorrelate snapshots
    }
    const long split = long(snapshots - 4) * points;  // the last 4 snapshots validate
    auto rows = [](long a, long b) { return Kokkos::make_pair(a, b); };
    Data x_train = Kokkos::subview(x, rows(0, split), Kokkos::ALL()), y_train = Kokkos::subview(y, rows(0, split), Kokkos::ALL());
    Data x_val = Kokkos::subview(x, rows(split, x.extent(0)), Kokkos::ALL()), y_val = Kokkos::subview(y, rows(split, y.extent(0)), Kokkos::ALL());

    // 2. Tune the surrogate with Kyper's scheduler on the sub-communicator: each trial trains on
    //    the device data of the rank that runs it; objective = -validation NLL.
    kyper::search::Space space;
    space.add_float("learning_rate", 1e-3, 3e-2, true);
    space.add_int("units", 16, 64, true);
    space.add_int("num_layers", 1, 3);
    space.add_categorical("activation", {std::string("tanh"), std::string("gelu"), std::string("relu")});
    kyper::TrialFunction trial = [&](const kyper::search::Configuration& c, const kyper::TrialContext& ctx) {
      kyper::Network<float> net(surrogate_graph(int(c.integer("num_layers")), int(c.integer("units")),
                                                kyper::parse_activation(c.text("activation"))),
                                1 + std::uint64_t(ctx.trial_id));
      kyper::Trainer<float> trainer(net, surrogate_training(c.number("learning_rate"), 256));
      trainer.set_stop_condition([&] { return ctx.expired(); });
      kyper::TrainResult r = trainer.fit(x_train, y_train, x_val, y_val);
      if (r.status == kyper::TrainStatus::Diverged) return kyper::TrialOutcome::failure("diverged");
      return kyper::TrialOutcome::success(-r.best_validation_loss);
    };
    kyper::SchedulerOptions options;
    options.max_evaluations = evaluations;
    options.output_dir = "insitu-output";
    options.verbose = false;
    kyper::search::CBOOptions cbo;
    cbo.initial_points = std::min(evaluations, 4);
    kyper::search::CBO search(space, {}, cbo);
    if (rank == 0) std::filesystem::remove_all(options.output_dir);
    MPI_Barrier(tuning);
    kyper::SearchSummary summary = kyper::run_search(search, trial, options, tuning);

    // The best configuration goes from rank 0 (which ran the search) to every rank.
    double best[4] = {1e-2, 32, 2, 0};
    if (rank == 0 && summary.best) {
      const auto& c = summary.best->config;
      const std::string act = c.text("activation");
      best[0] = c.number("learning_rate"), best[1] = double(c.integer("units")), best[2] = double(c.integer("num_layers"));
      best[3] = act == "tanh" ? 0 : act == "gelu" ? 1 : 2;
      std::printf("insitu: %ld trials on %d rank(s); best -NLL %.3f with %s\n", summary.finished, size,
                  *summary.best->objective, c.to_string().c_str());
    }
    MPI_Bcast(best, 4, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    const kyper::Activation acts[3] = {kyper::Activation::Tanh, kyper::Activation::Gelu, kyper::Activation::Relu};

    // 3. Every rank trains the best configuration on its own data, keeps it as a model file (what
    //    a restart or a later run would load) and loads it onto the device to serve it.
    kyper::Network<float> net(surrogate_graph(int(best[2]), int(best[1]), acts[int(best[3])]), 7);
    const kyper::TrainConfig final_config = surrogate_training(best[0], 256);
    kyper::Trainer<float> trainer(net, final_config);
    trainer.fit(x_train, y_train, x_val, y_val);
    std::vector<std::string> feature_names;
    for (int f = 0; f < kFeatures - 2; ++f) feature_names.push_back("u" + std::to_string(f));
    feature_names.insert(feature_names.end(), {"x", "y"});
    const std::string model_path = options.output_dir + "/surrogate.rank" + std::to_string(rank) + ".kyper";
    std::filesystem::create_directories(options.output_dir);
    kyper::Model::from_network(net, final_config, feature_names, {"u_next"}).save(model_path);
    const kyper::Model saved = kyper::Model::load(model_path);
    kyper::DeviceModel<Exec> surrogate(saved, Exec(), points);

    // 4. ... and advances the simulation with it where it is confident. Each macro step: predict
    //    u^{n+K} (mean and variance) on the device from device views, compare with the solver (for
    //    the report), and keep the surrogate's field where the largest std is below the threshold.
    Kokkos::View<float**, Kokkos::LayoutLeft, Exec::memory_space> features("insitu::features", points, kFeatures);
    Kokkos::View<float**, Kokkos::LayoutLeft, Exec::memory_space> out("insitu::prediction", points, 2);
    const double std_threshold = max_std_allowed;
    int skipped = 0, macro_steps = 6;
    double worst_rmse = 0;
    for (int m = 0; m < macro_steps; ++m) {
      pack_features(heat.u, n, features, 0);
      surrogate.predict(features, out);  // columns: mean, variance
      Heat reference = heat;  // shallow copy of views; step() swaps its own handles
      Field truth("insitu::truth", n + 2 * kHalo, n + 2 * kHalo);
      Kokkos::deep_copy(truth, heat.u);  // device-to-device
      reference.u = truth;
      reference.next = Field("insitu::scratch", n + 2 * kHalo, n + 2 * kHalo);
      reference.step(kSteps);
      double sq = 0, max_std = 0;
      Field t = reference.u;
      Kokkos::parallel_reduce("insitu::error", Kokkos::RangePolicy<Exec>(0, long(points)),
                              KOKKOS_LAMBDA(long p, double& e) {
                                const double d = out(p, 0) - t(int(p / n) + kHalo, int(p % n) + kHalo);
                                e += d * d;
                              }, sq);
      Kokkos::parallel_reduce("insitu::max_std", Kokkos::RangePolicy<Exec>(0, long(points)),
                              KOKKOS_LAMBDA(long p, double& m_std) {
                                const double s = kyper::kmath::sqrt(double(out(p, 1)));
                                m_std = s > m_std ? s : m_std;
                              }, Kokkos::Max<double>(max_std));
      const double rmse = std::sqrt(sq / points);
      worst_rmse = std::max(worst_rmse, rmse);
      if (max_std < std_threshold) {  // confident: take the surrogate's field, skip K solver steps
        Field u = heat.u;
        Kokkos::parallel_for("insitu::accept", Kokkos::RangePolicy<Exec>(0, long(points)), KOKKOS_LAMBDA(long p) {
          u(int(p / n) + kHalo, int(p % n) + kHalo) = out(p, 0);
        });
        ++skipped;
      } else {
        heat.step(kSteps);
      }
      if (rank == 0)
        std::printf("insitu: macro step %d: surrogate rmse %.5f, max std %.5f -> %s\n", m, rmse, max_std,
                    max_std < std_threshold ? "surrogate" : "solver");
    }
    double all_worst = 0;
    MPI_Allreduce(&worst_rmse, &all_worst, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
      std::printf("insitu: worst surrogate rmse %.5f over all ranks (limit %.5f); rank 0 skipped %d of %d macro steps\n",
                  all_worst, max_rmse, skipped, macro_steps);
    status = all_worst <= max_rmse ? 0 : 1;
    MPI_Comm_free(&tuning);
  }
  Kokkos::finalize();
  MPI_Finalize();
  return status;
}
