// A complete trained model as a user sees it: graph, float32 weights on the default execution space,
// input/target scalers, the training settings and optimizer state (to resume training), and the
// learning curve. Saved and loaded with cereal as binary (.kyper) or JSON (.json).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <kyper/dataset.hpp>
#include <kyper/linear_baseline.hpp>
#include <kyper/scaler.hpp>
#include <kyper/sequence_spec.hpp>
#include <kyper/trainer.hpp>

namespace kyper {

// Predictions in the targets' own units, one row per input row.
//   mse/mae: one column per target; gaussian_nll: per target its mean then its variance;
//   cross_entropy: one probability per class; binary_cross_entropy: one probability per target.
struct Predictions {
  std::vector<std::string> columns;
  std::vector<float> values;  // row-major rows x columns.size()
  long rows = 0;
};

class Model {
 public:
  using Net = Network<float>;

  Model(GraphSpec graph, TrainConfig config, uint64_t seed = 0, ScalerKind feature_scaling = ScalerKind::standard,
        ScalerKind target_scaling = ScalerKind::standard);
  // A model around a network trained outside Model (e.g. by a Trainer on a simulation's device
  // views, without scaling): its weights, identity scalers and the given column names, so it can
  // be saved, loaded and served like any other (DeviceModel, kyper predict).
  static Model from_network(const Net& network, const TrainConfig& config, std::vector<std::string> feature_names,
                            std::vector<std::string> target_names);
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // Fits the scalers on `train` (first call only), trains, and keeps the learning curve. Calling fit
  // again (also after load) resumes with the saved optimizer state.
  TrainResult fit(const Dataset& train, const Dataset* validation = nullptr);
  // Trains fresh models of one graph and one training configuration (seeds and learning rates may
  // differ) together: one fused launch per step for all of them (MultiTrainer). Each model ends
  // as fit() would leave it (scalers fitted on `train`, learning curve, optimizer state), with the
  // same weights as fit() with FusedStep::Always; throws when the graph is not a chain of dense
  // layers. Stop conditions and epoch hooks are not called.
  static std::vector<TrainResult> fit_together(const std::vector<Model*>& models, const Dataset& train,
                                               const Dataset* validation = nullptr);
  // Mean loss (in scaled units, as training reports it) on a dataset.
  double evaluate(const Dataset& data);
  Predictions predict(const float* features, long rows);
  Predictions predict(const Dataset& data) { return predict(data.features.data(), long(data.rows())); }

  void save(const std::string& path) const;  // JSON when the path ends in .json, else binary
  static Model load(const std::string& path);

  // Checked after every training epoch (trial deadlines); true stops training.
  void set_stop_condition(std::function<bool()> stop) { stop_ = std::move(stop); }
  // Called after every training epoch with its record; true stops training (Trainer::set_epoch_hook).
  void set_epoch_hook(std::function<bool(const EpochRecord&)> hook) { epoch_hook_ = std::move(hook); }

  // A sequence model's windowing (window, horizon, stride, input and target columns), saved with it.
  void set_sequence(SequenceSpec sequence) { sequence_ = std::move(sequence); }
  const SequenceSpec& sequence() const { return sequence_; }
  // Scalers fitted by the caller (e.g. per column of a time series, then repeated for every step of
  // a window); fit() keeps them instead of fitting its own. Widths must match the network's.
  void set_scalers(Scaler features, Scaler targets);
  // Regression only, before the first fit: the first fit solves a linear least-squares map from the
  // scaled features to the scaled targets (LinearBaseline), zeroes the network's output layer, and
  // trains the network on what the map leaves; predict(), evaluate() and the saved file add the two.
  // The network starts as the least-squares fit. After a fit with validation data, every output the
  // network does not improve on the validation rows (its squared error against the baseline's
  // alone) is handed back to the baseline: that column of the output layer is zeroed
  // (baseline_only_outputs(), of the last fit in this process), and the fit's best_validation_loss is
  // the loss of the model as kept.
  void set_linear_baseline(bool on);
  const std::vector<int>& baseline_only_outputs() const { return baseline_only_outputs_; }
  bool uses_linear_baseline() const { return use_linear_baseline_; }
  const LinearBaseline& linear_baseline() const { return linear_baseline_; }  // fitted by the first fit

  Net& network() { return *network_; }
  const GraphSpec& graph() const { return graph_; }
  const TrainConfig& config() const { return config_; }
  // Replaces the training configuration for the next fit. The optimizer's state (moments, step
  // count) carries over when the optimizer kind is unchanged, with the new learning rate; the loss
  // cannot change, since it fixes the output layer.
  void set_config(const TrainConfig& config);
  const std::vector<EpochRecord>& learning_curve() const { return curve_; }
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& target_names() const { return target_names_; }
  long parameter_count() const { return network_->parameter_count(); }
  std::vector<float> parameters() const { return network_->get_parameters(); }
  const Scaler& feature_scaler() const { return feature_scaler_; }
  const Scaler& target_scaler() const { return target_scaler_; }

 private:
  struct File;
  Model() = default;
  Trainer<float>& trainer();
  std::vector<float> scaled_features(const Dataset& data) const;
  std::vector<float> scaled_targets(const Dataset& data) const;
  // Scaled targets minus the linear baseline's prediction from the scaled features (when fitted).
  void subtract_baseline(const std::vector<float>& x, std::vector<float>& y, std::size_t rows) const;
  void zero_output_layer();
  // The last dense layer (the output's), or null when the graph ends otherwise.
  const PlannedNode* output_layer() const;
  // The validation step of the baseline's rule above (zeroes output columns, lists them).
  void keep_network_where_it_helps(const std::vector<float>& xv, const std::vector<float>& yv_residual,
                                     std::size_t rows);

  GraphSpec graph_;
  TrainConfig config_;
  Scaler feature_scaler_, target_scaler_;
  std::vector<std::string> feature_names_, target_names_;
  std::vector<EpochRecord> curve_;
  SequenceSpec sequence_;
  bool use_linear_baseline_ = false;
  LinearBaseline linear_baseline_;
  std::vector<int> baseline_only_outputs_;
  std::unique_ptr<Net> network_;
  std::unique_ptr<Trainer<float>> trainer_;
  std::unique_ptr<OptimizerState> pending_optimizer_state_;  // loaded, applied when training resumes
  std::function<bool()> stop_;
  std::function<bool(const EpochRecord&)> epoch_hook_;
};

}  // namespace kyper
