// The training loop: seeded shuffling, mini-batches gathered on the device, loss + backward +
// optimizer step per batch with no host-device traffic inside a step, validation loss per epoch,
// learning-rate schedules, early stopping with best-weight restore, and a readable stop status.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <kyper/fused_step.hpp>
#include <kyper/network.hpp>
#include <kyper/optimizer.hpp>
#include <kyper/train_config.hpp>

namespace kyper {

enum class TrainStatus : int { Completed = 0, EarlyStopped, Diverged, Stopped };
const char* to_string(TrainStatus status);

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, validation_loss = NAN, learning_rate = 0, seconds = 0;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(epoch, train_loss, validation_loss, learning_rate, seconds);
  }
};

struct TrainResult {
  TrainStatus status = TrainStatus::Completed;
  std::string message;
  std::vector<EpochRecord> curve;
  int best_epoch = -1;
  // The loss early stopping and the restored weights go by: the validation loss when a validation
  // set is given, else the training loss (monitored_validation says which).
  double best_loss = INFINITY;
  bool monitored_validation = false;
  // Lowest validation loss; NaN when training had no validation set.
  double best_validation_loss = NAN;
  double seconds = 0;
  long steps = 0;
};

// Row-major host data -> a device matrix (the one copy at the edge of training).
template <class Scalar, class ExecSpace, class Source>
Kokkos::View<Scalar**, Kokkos::LayoutRight, DeviceOf<ExecSpace>> to_device(const Source* data, long rows, long cols,
                                                                          const char* label = "Kyper::data") {
  Kokkos::View<Scalar**, Kokkos::LayoutRight, DeviceOf<ExecSpace>> device(
      Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), rows, cols);
  auto mirror = Kokkos::create_mirror_view(device);
  for (long i = 0; i < rows * cols; ++i) mirror.data()[i] = Scalar(data[i]);
  Kokkos::deep_copy(device, mirror);
  return device;
}

// Copies rows order[first .. first+rows) of (x, y) into `input` and `target` (one launch).
template <class ExecSpace, class Data, class Order, class Matrix>
void gather_rows(const ExecSpace& space, const Data& x, const Data& y, const Order& order, long first,
                 const Matrix& input, const Matrix& target) {
  const long fx = x.extent(1), fy = y.extent(1), rows = input.extent(0);
  Kokkos::parallel_for("Kyper::Trainer::gather", RangeOf<ExecSpace>(space, 0, rows * (fx + fy)),
                       KOKKOS_LAMBDA(const long idx) {
                         const long row = idx / (fx + fy), col = idx % (fx + fy);
                         const long source = order(first + row);
                         if (col < fx)
                           input(row, col) = x(source, col);
                         else
                           target(row, col - fx) = y(source, col - fx);
                       });
}

template <class Scalar = float, class ExecSpace = Kokkos::DefaultExecutionSpace>
class Trainer {
 public:
  using Data = Kokkos::View<Scalar**, Kokkos::LayoutRight, DeviceOf<ExecSpace>>;
  using Matrix = MatrixView<Scalar, ExecSpace>;
  using ConstMatrix = MatrixView<const Scalar, ExecSpace>;

  Trainer(Network<Scalar, ExecSpace>& network, TrainConfig config)
      : net_(network), config_(config), optimizer_(config.optimizer, network.parameter_count(), network.space()) {
    KYPER_REQUIRE(config.batch_size > 0, "training: batch_size must be > 0, got " << config.batch_size);
    KYPER_REQUIRE(config.epochs > 0, "training: epochs must be > 0, got " << config.epochs);
    KYPER_REQUIRE(config.variance_floor > 0, "training: variance_floor must be > 0");
  }

  Optimizer<Scalar, ExecSpace>& optimizer() { return optimizer_; }
  // Checked after every epoch; returning true ends training with status Stopped (deadlines).
  void set_stop_condition(std::function<bool()> stop) { stop_ = std::move(stop); }
  // Called with each finished epoch's record (epoch counts from 0); returning true ends training
  // with status Stopped, as the stop condition does (multi-fidelity stoppers).
  void set_epoch_hook(std::function<bool(const EpochRecord&)> hook) { epoch_hook_ = std::move(hook); }
  const TrainConfig& config() const { return config_; }
  // Auto: the general path for a single network, by the rule in fused_step.hpp; Always: wherever the
  // graph allows it (a chain of dense layers, no clipping by norm), as MultiTrainer runs every
  // network; Never: the general path (a launch per layer and operation). The fused step does not
  // fill Network::gradients().
  void set_fused_step(FusedStep choice) { fused_choice_ = choice; }
  // Whether fit() on batches of `batch` rows runs the fused step.
  bool uses_fused_step(int batch) const { return bool(fused_shape(batch)); }

  // Trains on (x, y); validation (if non-empty) drives early stopping, plateau schedules and the
  // best-weight restore. Stops with status Diverged, keeping the best weights so far, if a loss is not finite.
  TrainResult fit(const Data& x, const Data& y, const Data& x_val = Data(), const Data& y_val = Data()) {
    check_data(x, y, "training");
    const bool has_val = x_val.extent(0) > 0;
    if (has_val) check_data(x_val, y_val, "validation");
    const long rows = x.extent(0);
    const int batch = int(std::min<long>(config_.batch_size, rows));
    net_.reserve(batch);
    const long batches = (rows + batch - 1) / batch;
    prepare_batches(batch, std::max(batches, has_val ? (long(x_val.extent(0)) + batch - 1) / batch : 0L));
    const std::optional<FusedMlpShape> fused = fused_shape(batch);

    Kokkos::View<long*, DeviceOf<ExecSpace>> order(Kokkos::view_alloc(Kokkos::WithoutInitializing, "Kyper::Trainer::order"), rows);
    auto order_host = Kokkos::create_mirror_view(order);
    std::vector<long> permutation(rows);
    std::iota(permutation.begin(), permutation.end(), 0L);
    std::mt19937_64 rng(config_.seed);

    TrainResult result;
    result.monitored_validation = has_val;
    PlateauSchedule plateau(config_.optimizer.schedule);
    Kokkos::View<Scalar*, DeviceOf<ExecSpace>> best("Kyper::Trainer::best_parameters", net_.parameter_count());
    bool have_best = false;
    int waited = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int epoch = 0; epoch < config_.epochs; ++epoch) {
      const auto epoch_start = std::chrono::steady_clock::now();
      if (config_.optimizer.schedule.kind != ScheduleKind::ReduceOnPlateau)
        optimizer_.set_learning_rate(scheduled_learning_rate(config_.optimizer, epoch, config_.epochs));
      std::shuffle(permutation.begin(), permutation.end(), rng);
      for (long i = 0; i < rows; ++i) order_host(i) = permutation[i];
      Kokkos::deep_copy(order, order_host);  // once per epoch, not per step

      Kokkos::Profiling::pushRegion("Kyper::Trainer::epoch");
      for (long b = 0; b < batches; ++b) {
        const long first = b * batch;
        const int n = int(std::min<long>(batch, rows - first));
        if (fused) {
          fused_step(*fused, x, y, order.data(), first, n, b);
        } else {
          gather_rows(net_.space(), x, y, order, first, net_.input(n), targets(n));
          net_.forward(n, true, uint64_t(optimizer_.steps()));
          loss_forward_backward<ExecSpace, Scalar>(net_.space(), config_.loss, ConstMatrix(net_.output(n)),
                                                   ConstMatrix(targets(n)), net_.output_gradient(n),
                                                   Kokkos::subview(batch_losses_, b), Scalar(config_.variance_floor));
          net_.backward(n);
          optimizer_.step(net_.parameters(), net_.gradients());
        }
        ++result.steps;
      }
      Kokkos::Profiling::popRegion();
      EpochRecord record;
      record.epoch = epoch;
      record.learning_rate = optimizer_.learning_rate();
      record.train_loss = mean_batch_loss(batches, rows, batch);
      if (has_val) record.validation_loss = evaluate(x_val, y_val);
      record.seconds = seconds_since(epoch_start);
      result.curve.push_back(record);

      if (!std::isfinite(record.train_loss) || (has_val && !std::isfinite(record.validation_loss))) {
        result.status = TrainStatus::Diverged;
        result.message = "loss became non-finite in epoch " + std::to_string(epoch);
        break;
      }
      const double monitored = has_val ? record.validation_loss : record.train_loss;
      if (config_.optimizer.schedule.kind == ScheduleKind::ReduceOnPlateau)
        optimizer_.set_learning_rate(plateau.update(monitored, optimizer_.learning_rate()));
      if (monitored < result.best_loss - config_.min_delta) {
        result.best_loss = monitored;
        if (has_val) result.best_validation_loss = monitored;
        result.best_epoch = epoch;
        waited = 0;
        Kokkos::deep_copy(net_.space(), best, net_.parameters());
        have_best = true;
      } else if (config_.patience > 0 && ++waited >= config_.patience) {
        result.status = TrainStatus::EarlyStopped;
        result.message = "no improvement for " + std::to_string(config_.patience) + " epochs";
        break;
      }
      if ((stop_ && stop_()) || (epoch_hook_ && epoch_hook_(record))) {
        result.status = TrainStatus::Stopped;
        result.message = "stopped by the caller after epoch " + std::to_string(epoch);
        break;
      }
    }
    if (have_best && (config_.restore_best || result.status == TrainStatus::Diverged))
      Kokkos::deep_copy(net_.space(), net_.parameters(), best);
    net_.space().fence();
    result.seconds = seconds_since(start);
    return result;
  }

  // Mean per-sample loss over (x, y) in inference mode.
  double evaluate(const Data& x, const Data& y) {
    check_data(x, y, "evaluation");
    const long rows = x.extent(0);
    if (net_.capacity() == 0) net_.reserve(int(std::min<long>(config_.batch_size, rows)));
    const int batch = net_.capacity();
    const long batches = (rows + batch - 1) / batch;
    prepare_batches(batch, batches);
    if (const std::optional<FusedMlpShape> fused = fused_shape(batch)) {
      // The fused kernel in evaluation mode (forward and loss), so that validation losses are the
      // ones MultiTrainer computes for the same network, bit for bit.
      if (long(identity_.extent(0)) < rows) {
        identity_ = Kokkos::View<long*, DeviceOf<ExecSpace>>(
            Kokkos::view_alloc(Kokkos::WithoutInitializing, "Kyper::Trainer::identity_order"), rows);
        auto order = identity_;
        Kokkos::parallel_for("Kyper::Trainer::identity_order", RangeOf<ExecSpace>(net_.space(), 0, rows),
                             KOKKOS_LAMBDA(const long i) { order(i) = i; });
      }
      for (long b = 0; b < batches; ++b) {
        FusedMlpStep<Scalar, ExecSpace> step =
            fused_batch(*fused, x, y, identity_.data(), b * batch, int(std::min<long>(batch, rows - b * batch)), b);
        step.training = false;
        fused_mlp_step(net_.space(), step, 1);
      }
      return mean_batch_loss(batches, rows, batch);
    }
    for (long b = 0; b < batches; ++b) {
      const long first = b * batch;
      const int n = int(std::min<long>(batch, rows - first));
      auto xs = Kokkos::subview(x, Kokkos::make_pair(first, first + n), Kokkos::ALL());
      Kokkos::deep_copy(net_.space(), net_.input(n), xs);
      net_.forward(n, false);
      auto ys = Kokkos::subview(y, Kokkos::make_pair(first, first + n), Kokkos::ALL());
      loss_forward_backward<ExecSpace, Scalar>(net_.space(), config_.loss, ConstMatrix(net_.output(n)),
                            ConstMatrix(ys.data(), n, ys.extent(1)), Matrix(), Kokkos::subview(batch_losses_, b),
                            Scalar(config_.variance_floor));
    }
    return mean_batch_loss(batches, rows, batch);
  }

 private:
  static double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }

  std::optional<FusedMlpShape> fused_shape(int batch) const {
    // Auto: a single network takes the general path (the rule in kyper/fused_step.hpp).
    if (fused_choice_ != FusedStep::Always || config_.optimizer.clip_norm > 0) return std::nullopt;
    return fused_mlp_shape(net_.plan(), batch);
  }

  // The fused kernel on rows order[first .. first+rows) of (x, y), its loss sum into batch_index.
  FusedMlpStep<Scalar, ExecSpace> fused_batch(const FusedMlpShape& shape, const Data& x, const Data& y,
                                              const long* order, long first, int rows, long batch_index) const {
    FusedMlpStep<Scalar, ExecSpace> step = fused_step_of(net_, optimizer_, shape);
    step.x = x.data(), step.y = y.data(), step.y_cols = int(y.extent(1));
    step.order = order, step.first = first, step.rows = rows;
    step.loss = config_.loss, step.variance_floor = Scalar(config_.variance_floor);
    step.losses = batch_losses_.data(), step.loss_slot = batch_index;
    return step;
  }

  // One training step of one network as one kernel (gather, forward, loss, backward, update).
  void fused_step(const FusedMlpShape& shape, const Data& x, const Data& y, const long* order, long first, int rows,
                  long batch_index) {
    FusedMlpStep<Scalar, ExecSpace> step = fused_batch(shape, x, y, order, first, rows, batch_index);
    step.hyper = optimizer_.advance();
    fused_mlp_step(net_.space(), step, 1);
  }

  void check_data(const Data& x, const Data& y, const char* what) {
    KYPER_REQUIRE(x.extent(0) > 0, what << " data has no rows");
    KYPER_REQUIRE(x.extent(0) == y.extent(0), what << " data: " << x.extent(0) << " feature rows but " << y.extent(0)
                                                   << " target rows");
    KYPER_REQUIRE(long(x.extent(1)) == net_.input_width(), what << " data has " << x.extent(1)
                                                                << " feature columns, the model's input takes "
                                                                << net_.input_width());
    const int outputs = net_.output_width();
    const long targets = y.extent(1);
    switch (config_.loss) {
      case Loss::GaussianNLL:
        KYPER_REQUIRE(outputs == 2 * targets, "gaussian_nll needs an output of width 2 x targets (mean, variance): "
                                                  << targets << " targets but output width " << outputs);
        break;
      case Loss::SoftmaxCrossEntropy: {
        KYPER_REQUIRE(targets == 1, "cross_entropy needs one target column holding the class index, got " << targets);
        auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), y);
        for (size_t i = 0; i < host.extent(0); ++i) {
          const Scalar label = host(i, 0);
          KYPER_REQUIRE(label >= 0 && label < outputs && label == std::floor(label),
                        what << " data row " << i << ": class label " << label << " is not an integer in [0, "
                             << outputs << ")");
        }
        break;
      }
      default:
        KYPER_REQUIRE(outputs == targets, to_string(config_.loss) << " needs output width == target columns: "
                                                                  << targets << " targets but output width " << outputs);
    }
  }

  void prepare_batches(int batch, long batches) {
    if (batch_losses_.extent(0) < size_t(batches))
      batch_losses_ = Kokkos::View<double*, DeviceOf<ExecSpace>>("Kyper::Trainer::batch_losses", batches);
    if (int(targets_.extent(0)) < batch || targets_.extent(1) != size_t(target_width()))
      targets_ = Data("Kyper::Trainer::targets", batch, target_width());
  }
  int target_width() const {
    switch (config_.loss) {
      case Loss::GaussianNLL: return net_.output_width() / 2;
      case Loss::SoftmaxCrossEntropy: return 1;
      default: return net_.output_width();
    }
  }
  Matrix targets(int n) const { return Matrix(targets_.data(), n, targets_.extent(1)); }

  // Per-sample mean over an epoch from the per-batch sums (one device-to-host copy per epoch).
  double mean_batch_loss(long batches, long rows, int) {
    auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), batch_losses_);
    double sum = 0;
    for (long b = 0; b < batches; ++b) sum += host(b);
    return sum / double(rows);
  }

  Network<Scalar, ExecSpace>& net_;
  TrainConfig config_;
  Optimizer<Scalar, ExecSpace> optimizer_;
  FusedStep fused_choice_ = FusedStep::Auto;
  Kokkos::View<long*, DeviceOf<ExecSpace>> identity_;  // rows in order, for fused evaluation
  Kokkos::View<double*, DeviceOf<ExecSpace>> batch_losses_;
  Data targets_;
  std::function<bool()> stop_;
  std::function<bool(const EpochRecord&)> epoch_hook_;
};

// A rank-2 view of any layout (CUDA's default LayoutLeft, a strided subview) as the row-major Data
// a Trainer takes: the view itself when it already is one, else one copy on the device, made at the
// edge of training, never per step.
template <class Scalar = float, class ExecSpace = Kokkos::DefaultExecutionSpace, class View>
typename Trainer<Scalar, ExecSpace>::Data training_data(const View& view, const char* label = "Kyper::training_data") {
  using Data = typename Trainer<Scalar, ExecSpace>::Data;
  static_assert(View::rank == 2, "training_data takes a rank-2 view");
  if constexpr (std::is_same_v<typename View::array_layout, Kokkos::LayoutRight> &&
                std::is_same_v<typename View::value_type, Scalar> &&
                std::is_same_v<typename View::memory_space, typename ExecSpace::memory_space>) {
    return Data(view);
  } else {
    Data copy(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), view.extent(0), view.extent(1));
    Kokkos::deep_copy(copy, view);
    return copy;
  }
}

}  // namespace kyper
