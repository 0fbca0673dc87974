#include <kyper/train_config.hpp>

#include <kyper/enum_names.hpp>
#include <kyper/error.hpp>

namespace kyper {

namespace {
const EnumNames<Loss> kLossNames("loss",
                                 {{Loss::MSE, "mse"},
                                  {Loss::MAE, "mae"},
                                  {Loss::GaussianNLL, "gaussian_nll"},
                                  {Loss::SoftmaxCrossEntropy, "cross_entropy"},
                                  {Loss::BinaryCrossEntropy, "binary_cross_entropy"}},
                                 {{Loss::SoftmaxCrossEntropy, "softmax_cross_entropy"}});
const EnumNames<OptimizerKind> kOptimizerNames("optimizer", {{OptimizerKind::SGD, "sgd"},
                                                            {OptimizerKind::RMSprop, "rmsprop"},
                                                            {OptimizerKind::Adam, "adam"},
                                                            {OptimizerKind::AdamW, "adamw"}});
const EnumNames<ScheduleKind> kScheduleNames("learning-rate schedule",
                                             {{ScheduleKind::Constant, "constant"},
                                              {ScheduleKind::Step, "step"},
                                              {ScheduleKind::Cosine, "cosine"},
                                              {ScheduleKind::ReduceOnPlateau, "plateau"}},
                                             {{ScheduleKind::ReduceOnPlateau, "reduce_on_plateau"}});
}  // namespace

Loss parse_loss(const std::string& name) { return kLossNames.parse(name); }
OptimizerKind parse_optimizer(const std::string& name) { return kOptimizerNames.parse(name); }
ScheduleKind parse_schedule(const std::string& name) { return kScheduleNames.parse(name); }
const char* to_string(Loss loss) { return kLossNames.name(loss); }
const char* to_string(OptimizerKind kind) { return kOptimizerNames.name(kind); }
const char* to_string(ScheduleKind kind) { return kScheduleNames.name(kind); }

}  // namespace kyper
