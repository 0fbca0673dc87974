// The optimizer: update rule state (moments, momentum) in the execution space, the step counter and
// the current learning rate on the host. One kernel launch updates all parameters per step.
#pragma once

#include <cmath>
#include <vector>

#include <Kokkos_Core.hpp>
#include <kyper/error.hpp>
#include <kyper/kernels.hpp>
#include <kyper/train_config.hpp>

namespace kyper {

// What a checkpoint needs to resume training where it stopped.
struct OptimizerState {
  long steps = 0;
  double learning_rate = 0;
  std::vector<double> state1, state2;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(steps, learning_rate, state1, state2);
  }
};

// Learning rate of `epoch` (0-based) for the epoch-driven schedules; ReduceOnPlateau is driven by
// validation losses instead (see PlateauSchedule).
double scheduled_learning_rate(const OptimizerConfig& config, int epoch, int epochs);

// Cuts the learning rate by `plateau_factor` after `plateau_patience` epochs without improvement.
class PlateauSchedule {
 public:
  explicit PlateauSchedule(const ScheduleConfig& config) : config_(config) {}
  // Returns the learning rate to use after an epoch that ended with `loss`.
  double update(double loss, double learning_rate);

 private:
  ScheduleConfig config_;
  double best_ = INFINITY;
  int waited_ = 0;
};

template <class Scalar, class ExecSpace = Kokkos::DefaultExecutionSpace>
class Optimizer {
 public:
  using Vector = VectorView<Scalar, ExecSpace>;
  using FlatView = Kokkos::View<Scalar*, DeviceOf<ExecSpace>>;

  Optimizer(const OptimizerConfig& config, long parameter_count, ExecSpace space = ExecSpace())
      : config_(config), space_(space), learning_rate_(config.learning_rate) {
    KYPER_REQUIRE(config.learning_rate > 0, "optimizer: learning_rate must be > 0, got " << config.learning_rate);
    KYPER_REQUIRE(config.momentum >= 0 && config.momentum < 1, "optimizer: momentum must be in [0, 1), got " << config.momentum);
    KYPER_REQUIRE(config.beta1 >= 0 && config.beta1 < 1 && config.beta2 >= 0 && config.beta2 < 1,
                  "optimizer: beta1 and beta2 must be in [0, 1)");
    state1_ = FlatView(Kokkos::view_alloc(space_, "Kyper::Optimizer::state1"), parameter_count);
    state2_ = FlatView(Kokkos::view_alloc(space_, "Kyper::Optimizer::state2"), parameter_count);
    norm_squared_ = DeviceScalar<double, ExecSpace>(Kokkos::view_alloc(space_, "Kyper::Optimizer::gradient_norm"));
  }

  const OptimizerConfig& config() const { return config_; }
  double learning_rate() const { return learning_rate_; }
  void set_learning_rate(double rate) { learning_rate_ = rate; }
  long steps() const { return steps_; }

  // One update of `params` from `grads`, with clipping as configured.
  void step(Vector params, VectorView<const Scalar, ExecSpace> grads) {
    const OptimizerStep<Scalar> h = advance();
    if (config_.clip_norm > 0) gradient_norm_squared(space_, grads, norm_squared_);
    optimizer_update(space_, h, params, grads, Vector(state1_.data(), state1_.size()),
                     Vector(state2_.data(), state2_.size()), norm_squared_);
  }

  // Counts one step and returns its hyperparameters (learning rate, bias corrections), for kernels
  // that apply the update themselves (the fused training step).
  OptimizerStep<Scalar> advance() {
    ++steps_;
    OptimizerStep<Scalar> h;
    h.kind = config_.kind;
    h.learning_rate = Scalar(learning_rate_);
    h.momentum = Scalar(config_.momentum), h.nesterov = config_.nesterov;
    h.beta1 = Scalar(config_.beta1), h.beta2 = Scalar(config_.beta2), h.rho = Scalar(config_.rho);
    h.epsilon = Scalar(config_.epsilon), h.weight_decay = Scalar(config_.weight_decay);
    h.bias_correction1 = Scalar(1 - std::pow(config_.beta1, double(steps_)));
    h.bias_correction2 = Scalar(1 - std::pow(config_.beta2, double(steps_)));
    h.clip_value = Scalar(config_.clip_value), h.clip_norm = Scalar(config_.clip_norm);
    return h;
  }
  // The update rule's state (moments, momentum), one value per parameter.
  Vector state1() const { return Vector(state1_.data(), state1_.size()); }
  Vector state2() const { return Vector(state2_.data(), state2_.size()); }

  OptimizerState state() const {
    OptimizerState s;
    s.steps = steps_, s.learning_rate = learning_rate_;
    s.state1 = to_host(state1_), s.state2 = to_host(state2_);
    return s;
  }
  void set_state(const OptimizerState& s) {
    KYPER_REQUIRE(s.state1.size() == state1_.size() && s.state2.size() == state2_.size(),
                  "optimizer state has " << s.state1.size() << " values, the model has " << state1_.size()
                                         << " parameters");
    steps_ = s.steps, learning_rate_ = s.learning_rate;
    from_host(s.state1, state1_), from_host(s.state2, state2_);
  }

 private:
  static std::vector<double> to_host(const FlatView& v) {
    auto mirror = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), v);
    return std::vector<double>(mirror.data(), mirror.data() + mirror.size());
  }
  static void from_host(const std::vector<double>& h, const FlatView& v) {
    auto mirror = Kokkos::create_mirror_view(v);
    for (size_t i = 0; i < h.size(); ++i) mirror(i) = Scalar(h[i]);
    Kokkos::deep_copy(v, mirror);
  }

  OptimizerConfig config_;
  ExecSpace space_;
  double learning_rate_;
  long steps_ = 0;
  FlatView state1_, state2_;
  DeviceScalar<double, ExecSpace> norm_squared_;
};

}  // namespace kyper
