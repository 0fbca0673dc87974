// Training settings: loss, optimizer, learning-rate schedule, clipping, batching, early stopping.
// Plain data with cereal serialization: a saved model carries the settings it was trained with.
#pragma once

#include <cstdint>
#include <string>

#include <kyper/kernels.hpp>

namespace kyper {

enum class ScheduleKind : int { Constant = 0, Step, Cosine, ReduceOnPlateau };

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::Constant;
  int step_size = 10;            // Step: epochs between decays
  double gamma = 0.5;            // Step: decay factor
  double min_learning_rate = 0;  // Cosine floor; ReduceOnPlateau floor
  int plateau_patience = 5;      // ReduceOnPlateau: epochs without improvement before a cut
  double plateau_factor = 0.5;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(kind, step_size, gamma, min_learning_rate, plateau_patience, plateau_factor);
  }
};

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  double learning_rate = 1e-3;
  double momentum = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, rho = 0.9, epsilon = 1e-8;
  double weight_decay = 0;
  double clip_norm = 0;   // 0: off
  double clip_value = 0;  // 0: off
  ScheduleConfig schedule;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(kind, learning_rate, momentum, nesterov, beta1, beta2, rho, epsilon, weight_decay, clip_norm, clip_value,
       schedule);
  }
};

struct TrainConfig {
  Loss loss = Loss::MSE;
  int epochs = 100;
  int batch_size = 32;
  uint64_t seed = 0;
  int patience = 0;  // early stopping on validation loss; 0: off
  double min_delta = 0;
  bool restore_best = true;
  double variance_floor = 1e-6;  // GaussianNLL
  OptimizerConfig optimizer;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(loss, epochs, batch_size, seed, patience, min_delta, restore_best, variance_floor, optimizer);
  }
};

Loss parse_loss(const std::string& name);
OptimizerKind parse_optimizer(const std::string& name);
ScheduleKind parse_schedule(const std::string& name);
const char* to_string(Loss loss);
const char* to_string(OptimizerKind kind);
const char* to_string(ScheduleKind kind);

}  // namespace kyper
