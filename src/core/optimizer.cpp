#include <kyper/optimizer.hpp>

#include <algorithm>

namespace kyper {

double scheduled_learning_rate(const OptimizerConfig& config, int epoch, int epochs) {
  const ScheduleConfig& s = config.schedule;
  const double base = config.learning_rate;
  switch (s.kind) {
    case ScheduleKind::Step: return base * std::pow(s.gamma, double(epoch / std::max(1, s.step_size)));
    case ScheduleKind::Cosine: {
      const double progress = epochs > 1 ? double(epoch) / double(epochs - 1) : 1.0;
      return s.min_learning_rate + 0.5 * (base - s.min_learning_rate) * (1 + std::cos(M_PI * progress));
    }
    default: return base;
  }
}

double PlateauSchedule::update(double loss, double learning_rate) {
  if (loss < best_) {
    best_ = loss;
    waited_ = 0;
    return learning_rate;
  }
  if (++waited_ > config_.plateau_patience) {
    waited_ = 0;
    return std::max(config_.min_learning_rate, learning_rate * config_.plateau_factor);
  }
  return learning_rate;
}

}  // namespace kyper
