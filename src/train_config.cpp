#include <kyper/train_config.hpp>

#include <kyper/error.hpp>

namespace kyper {

Loss parse_loss(const std::string& name) {
  if (name == "mse") return Loss::MSE;
  if (name == "mae") return Loss::MAE;
  if (name == "gaussian_nll") return Loss::GaussianNLL;
  if (name == "cross_entropy" || name == "softmax_cross_entropy") return Loss::SoftmaxCrossEntropy;
  if (name == "binary_cross_entropy") return Loss::BinaryCrossEntropy;
  KYPER_FAIL("unknown loss '" << name << "' (valid: mse, mae, gaussian_nll, cross_entropy, binary_cross_entropy)");
}

OptimizerKind parse_optimizer(const std::string& name) {
  if (name == "sgd") return OptimizerKind::SGD;
  if (name == "rmsprop") return OptimizerKind::RMSprop;
  if (name == "adam") return OptimizerKind::Adam;
  if (name == "adamw") return OptimizerKind::AdamW;
  KYPER_FAIL("unknown optimizer '" << name << "' (valid: sgd, rmsprop, adam, adamw)");
}

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "constant") return ScheduleKind::Constant;
  if (name == "step") return ScheduleKind::Step;
  if (name == "cosine") return ScheduleKind::Cosine;
  if (name == "plateau" || name == "reduce_on_plateau") return ScheduleKind::ReduceOnPlateau;
  KYPER_FAIL("unknown learning-rate schedule '" << name << "' (valid: constant, step, cosine, plateau)");
}

const char* to_string(Loss loss) {
  switch (loss) {
    case Loss::MSE: return "mse";
    case Loss::MAE: return "mae";
    case Loss::GaussianNLL: return "gaussian_nll";
    case Loss::SoftmaxCrossEntropy: return "cross_entropy";
    case Loss::BinaryCrossEntropy: return "binary_cross_entropy";
  }
  return "?";
}

const char* to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::SGD: return "sgd";
    case OptimizerKind::RMSprop: return "rmsprop";
    case OptimizerKind::Adam: return "adam";
    case OptimizerKind::AdamW: return "adamw";
  }
  return "?";
}

}  // namespace kyper
