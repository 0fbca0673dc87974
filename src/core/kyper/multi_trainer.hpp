// Trains M networks of one architecture at once: one fused launch per step runs the step of all M
// (kernels/fused_mlp.hpp, one team per network), so a deep ensemble's members, or trials of one
// shape with different seeds and learning rates, share every launch. Each network keeps what
// Trainer::fit gives it alone: its own shuffling seed, learning rate and schedule, validation
// loss per epoch, early stopping and best-weight restore. Network m trained here ends with the
// same weights as Trainer::fit with FusedStep::Always on that network alone, seed and rate equal.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <kyper/fused_step.hpp>
#include <kyper/trainer.hpp>

namespace kyper {

// Whether networks of this graph, trained with these settings, can train together: a chain of
// dense layers (fused_mlp_shape) and no clipping by global norm.
inline bool trains_together(const GraphPlan& plan, const TrainConfig& config) {
  return config.optimizer.clip_norm <= 0 && fused_mlp_shape(plan, 1).has_value();
}

// Whether `networks` networks of one small shape train faster together than one after the other
// on ExecSpace. On a GPU from three networks: each network's team is one block on its own SM, at
// about half the general path's rate for one network (an H200, nets A and D: 100k against 218k
// samples/s for A), and eight together ran at eight times one network's fused rate (792k, 3.6x
// one after the other), so two together would reach about 0.92 and three 1.4. On a host only
// with more than one thread: one thread runs the networks' steps in turn, and cycling their
// weights and optimizer states through its caches costs more than the shared launches save
// (benchmarks/training, eight copies of net A: 0.94 of one after the other at 1 thread, 1.66x at
// 2 threads).
constexpr int kTogetherMinNetworksOnDevice = 3;
inline bool together_is_faster(int networks, bool on_host, int threads) {
  return on_host ? networks > 1 && threads > 1 : networks >= kTogetherMinNetworksOnDevice;
}
template <class ExecSpace = Kokkos::DefaultExecutionSpace>
bool together_is_faster(int networks) {
  return together_is_faster(networks, kernels::runs_on_host<ExecSpace>(), int(ExecSpace().concurrency()));
}

template <class Scalar = float, class ExecSpace = Kokkos::DefaultExecutionSpace>
class MultiTrainer {
 public:
  using Data = typename Trainer<Scalar, ExecSpace>::Data;
  using Block = Kokkos::View<Scalar*, DeviceOf<ExecSpace>>;

  // `networks`: M networks of one graph (any initial weights). `shuffle_seeds` and
  // `learning_rates`: one per network, or empty for config.seed + m and config's learning rate.
  MultiTrainer(std::vector<Network<Scalar, ExecSpace>*> networks, TrainConfig config,
               std::vector<uint64_t> shuffle_seeds = {}, std::vector<double> learning_rates = {})
      : nets_(std::move(networks)), config_(config), seeds_(std::move(shuffle_seeds)), rates_(std::move(learning_rates)) {
    KYPER_REQUIRE(!nets_.empty(), "training together: no networks given");
    const int m = int(nets_.size());
    KYPER_REQUIRE(config.batch_size > 0, "training: batch_size must be > 0, got " << config.batch_size);
    KYPER_REQUIRE(config.epochs > 0, "training: epochs must be > 0, got " << config.epochs);
    KYPER_REQUIRE(config.optimizer.clip_norm <= 0,
                  "training together: clip_norm is not supported (the fused step updates each layer as soon as its "
                  "gradient is known)");
    KYPER_REQUIRE(seeds_.empty() || int(seeds_.size()) == m,
                  "training together: " << seeds_.size() << " shuffle seeds for " << m << " networks");
    KYPER_REQUIRE(rates_.empty() || int(rates_.size()) == m,
                  "training together: " << rates_.size() << " learning rates for " << m << " networks");
    for (int i = 0; i < m; ++i) {
      if (seeds_.size() < size_t(m)) seeds_.push_back(config.seed + uint64_t(i));
      if (rates_.size() < size_t(m)) rates_.push_back(config.optimizer.learning_rate);
      KYPER_REQUIRE(rates_[i] > 0, "training together: learning rate of network " << i << " must be > 0");
      KYPER_REQUIRE(nets_[i]->parameter_count() == nets_[0]->parameter_count() &&
                        nets_[i]->input_width() == nets_[0]->input_width() &&
                        nets_[i]->output_width() == nets_[0]->output_width(),
                    "training together: network " << i << " has another shape than network 0");
    }
    KYPER_REQUIRE(fused_mlp_shape(nets_[0]->plan(), 1),
                  "training together needs a chain of at most " << kFusedMaxLayers
                                                                << " dense layers (no dropout, merges or sequences)");
  }

  int size() const { return int(nets_.size()); }

  // Trains every network on (x, y); validation data (if given) drives early stopping, plateau
  // schedules and the best-weight restore of each network separately. At the end each network
  // holds its trained (or restored best) weights.
  std::vector<TrainResult> fit(const Data& x, const Data& y, const Data& x_val = Data(), const Data& y_val = Data()) {
    const int m = size();
    const long rows = x.extent(0), count = nets_[0]->parameter_count();
    check_data(x, y, "training");
    const bool has_val = x_val.extent(0) > 0;
    if (has_val) check_data(x_val, y_val, "validation");
    const int batch = int(std::min<long>(config_.batch_size, rows));
    const long batches = (rows + batch - 1) / batch;
    const long val_rows = has_val ? long(x_val.extent(0)) : 0;
    const long val_batches = (val_rows + batch - 1) / batch;

    optimizer_ = std::make_unique<Optimizer<Scalar, ExecSpace>>(config_.optimizer, long(m) * count);
    Optimizer<Scalar, ExecSpace>& optimizer = *optimizer_;
    Block params("Kyper::MultiTrainer::parameters", long(m) * count + TileSpare);  // spare tail read by tiles
    Block best(Kokkos::view_alloc(Kokkos::WithoutInitializing, "Kyper::MultiTrainer::best"), long(m) * count);
    for (int i = 0; i < m; ++i) Kokkos::deep_copy(block_of(params, i, count), nets_[i]->parameters());

    Kokkos::View<long*, DeviceOf<ExecSpace>> order("Kyper::MultiTrainer::order", long(m) * rows);
    auto order_host = Kokkos::create_mirror_view(order);
    Kokkos::View<long*, DeviceOf<ExecSpace>> val_order("Kyper::MultiTrainer::validation_order", std::max(val_rows, 1L));
    Kokkos::parallel_for("Kyper::MultiTrainer::identity", RangeOf<ExecSpace>(0, val_rows),
                         KOKKOS_LAMBDA(const long i) { val_order(i) = i; });
    Kokkos::View<double*, DeviceOf<ExecSpace>> losses("Kyper::MultiTrainer::losses", long(m) * batches);
    Kokkos::View<double*, DeviceOf<ExecSpace>> val_losses("Kyper::MultiTrainer::validation_losses",
                                                          std::max(long(m) * val_batches, 1L));
    Kokkos::View<Scalar*, DeviceOf<ExecSpace>> rates("Kyper::MultiTrainer::learning_rates", m);
    Kokkos::View<int*, DeviceOf<ExecSpace>> active("Kyper::MultiTrainer::active", m);
    auto rates_host = Kokkos::create_mirror_view(rates);
    auto active_host = Kokkos::create_mirror_view(active);

    std::vector<std::vector<long>> permutations(m, std::vector<long>(rows));
    std::vector<std::mt19937_64> rngs;
    std::vector<PlateauSchedule> plateaus;
    std::vector<double> learning_rate(rates_);
    for (int i = 0; i < m; ++i) {
      std::iota(permutations[i].begin(), permutations[i].end(), 0L);
      rngs.emplace_back(seeds_[i]);
      plateaus.emplace_back(config_.optimizer.schedule);
      active_host(i) = 1;
    }
    std::vector<TrainResult> results(m);
    std::vector<int> waited(m, 0);
    std::vector<bool> have_best(m, false);
    for (auto& r : results) r.monitored_validation = has_val;

    const auto shape = *fused_mlp_shape(nets_[0]->plan(), batch);
    FusedMlpStep<Scalar, ExecSpace> step;
    step.shape = shape;
    step.params = params.data(), step.stride = count;
    step.state1 = optimizer.state1().data(), step.state2 = optimizer.state2().data();
    step.learning_rates = rates.data(), step.active = active.data();
    step.loss = config_.loss, step.variance_floor = Scalar(config_.variance_floor);
    const auto start = std::chrono::steady_clock::now();
    for (int epoch = 0; epoch < config_.epochs && any_active(active_host); ++epoch) {
      const auto epoch_start = std::chrono::steady_clock::now();
      for (int i = 0; i < m; ++i) {
        if (config_.optimizer.schedule.kind != ScheduleKind::ReduceOnPlateau) {
          OptimizerConfig own = config_.optimizer;
          own.learning_rate = rates_[i];
          learning_rate[i] = scheduled_learning_rate(own, epoch, config_.epochs);
        }
        rates_host(i) = Scalar(learning_rate[i]);
        std::shuffle(permutations[i].begin(), permutations[i].end(), rngs[i]);
        std::copy(permutations[i].begin(), permutations[i].end(), order_host.data() + long(i) * rows);
      }
      Kokkos::deep_copy(order, order_host);  // once per epoch, not per step
      Kokkos::deep_copy(rates, rates_host);
      Kokkos::deep_copy(active, active_host);

      step.training = true;
      step.x = x.data(), step.y = y.data(), step.y_cols = int(y.extent(1));
      step.order = order.data(), step.order_stride = rows;
      step.losses = losses.data(), step.loss_stride = batches;
      for (long b = 0; b < batches; ++b) {
        step.first = b * batch, step.rows = int(std::min<long>(batch, rows - b * batch));
        step.hyper = optimizer.advance();
        step.loss_slot = b;
        fused_mlp_step(ExecSpace(), step, m);
      }
      for (auto& r : results) r.steps += batches;
      const std::vector<double> train = mean_losses(losses, batches, rows);
      std::vector<double> validation(m, NAN);
      if (has_val) {
        step.training = false;
        step.x = x_val.data(), step.y = y_val.data();
        step.order = val_order.data(), step.order_stride = 0;
        step.losses = val_losses.data(), step.loss_stride = val_batches;
        for (long b = 0; b < val_batches; ++b) {
          step.first = b * batch, step.rows = int(std::min<long>(batch, val_rows - b * batch));
          step.loss_slot = b;
          fused_mlp_step(ExecSpace(), step, m);
        }
        validation = mean_losses(val_losses, val_batches, val_rows);
      }
      const double seconds = seconds_since(epoch_start);
      for (int i = 0; i < m; ++i) {
        if (!active_host(i)) continue;
        EpochRecord record;
        record.epoch = epoch, record.learning_rate = learning_rate[i], record.seconds = seconds;
        record.train_loss = train[i], record.validation_loss = validation[i];
        finish_epoch(i, record, has_val, params, best, count, plateaus[i], learning_rate[i], waited[i],
                     have_best, results[i], active_host);
      }
    }
    for (int i = 0; i < m; ++i) {
      if (have_best[i] && (config_.restore_best || results[i].status == TrainStatus::Diverged))
        Kokkos::deep_copy(block_of(params, i, count), block_of(best, i, count));
      Kokkos::deep_copy(nets_[i]->parameters(), block_of(params, i, count));
    }
    Kokkos::fence();
    for (auto& r : results) r.seconds = seconds_since(start);
    final_rates_ = learning_rate;
    return results;
  }

  // Network i's optimizer state after fit() (to save with a model and resume it alone).
  OptimizerState optimizer_state(int i) const {
    KYPER_REQUIRE(optimizer_ && i >= 0 && i < size(), "training together: no optimizer state for network " << i);
    const OptimizerState all = optimizer_->state();
    const long count = nets_[0]->parameter_count();
    OptimizerState own;
    own.steps = all.steps, own.learning_rate = final_rates_[i];
    own.state1.assign(all.state1.begin() + long(i) * count, all.state1.begin() + long(i + 1) * count);
    own.state2.assign(all.state2.begin() + long(i) * count, all.state2.begin() + long(i + 1) * count);
    return own;
  }

 private:
  static auto block_of(const Block& all, int i, long count) {
    return Kokkos::subview(all, std::make_pair(long(i) * count, long(i + 1) * count));
  }
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  template <class Flags>
  static bool any_active(const Flags& flags) {
    for (size_t i = 0; i < flags.extent(0); ++i)
      if (flags(i)) return true;
    return false;
  }

  void check_data(const Data& x, const Data& y, const char* what) const {
    KYPER_REQUIRE(x.extent(0) > 0, what << " data has no rows");
    KYPER_REQUIRE(x.extent(0) == y.extent(0),
                  what << " data: " << x.extent(0) << " feature rows but " << y.extent(0) << " target rows");
    KYPER_REQUIRE(long(x.extent(1)) == nets_[0]->input_width(),
                  what << " data has " << x.extent(1) << " feature columns, the model's input takes "
                       << nets_[0]->input_width());
    const int outputs = nets_[0]->output_width();
    const long expected = config_.loss == Loss::GaussianNLL          ? outputs / 2
                          : config_.loss == Loss::SoftmaxCrossEntropy ? 1
                                                                      : outputs;
    KYPER_REQUIRE(long(y.extent(1)) == expected, what << " data has " << y.extent(1) << " target columns, "
                                                      << to_string(config_.loss) << " with output width " << outputs
                                                      << " needs " << expected);
  }

  // Per network: the mean per-sample loss of an epoch from its per-batch sums (one copy per epoch).
  std::vector<double> mean_losses(const Kokkos::View<double*, DeviceOf<ExecSpace>>& sums, long batches, long rows) const {
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), sums);
    std::vector<double> means(size(), 0.0);
    for (int i = 0; i < size(); ++i) {
      for (long b = 0; b < batches; ++b) means[i] += host(long(i) * batches + b);
      means[i] /= double(rows);
    }
    return means;
  }

  // What Trainer::fit does after an epoch, for network i: divergence, plateau schedule, best
  // weights, patience. A network that stops is marked inactive and skipped by later launches.
  template <class Flags>
  void finish_epoch(int i, const EpochRecord& record, bool has_val, const Block& params, const Block& best, long count,
                    PlateauSchedule& plateau, double& learning_rate, int& waited, std::vector<bool>& have_best,
                    TrainResult& result, Flags& active) const {
    result.curve.push_back(record);
    if (!std::isfinite(record.train_loss) || (has_val && !std::isfinite(record.validation_loss))) {
      result.status = TrainStatus::Diverged;
      result.message = "loss became non-finite in epoch " + std::to_string(record.epoch);
      active(i) = 0;
      return;
    }
    const double monitored = has_val ? record.validation_loss : record.train_loss;
    if (config_.optimizer.schedule.kind == ScheduleKind::ReduceOnPlateau)
      learning_rate = plateau.update(monitored, learning_rate);
    if (monitored < result.best_loss - config_.min_delta) {
      result.best_loss = monitored;
      if (has_val) result.best_validation_loss = monitored;
      result.best_epoch = record.epoch;
      waited = 0;
      Kokkos::deep_copy(block_of(best, i, count), block_of(params, i, count));
      have_best[i] = true;
    } else if (config_.patience > 0 && ++waited >= config_.patience) {
      result.status = TrainStatus::EarlyStopped;
      result.message = "no improvement for " + std::to_string(config_.patience) + " epochs";
      active(i) = 0;
    }
  }

  std::vector<Network<Scalar, ExecSpace>*> nets_;
  TrainConfig config_;
  std::vector<uint64_t> seeds_;
  std::vector<double> rates_;
  std::unique_ptr<Optimizer<Scalar, ExecSpace>> optimizer_;
  std::vector<double> final_rates_;
};

}  // namespace kyper
