#include <kyper/model.hpp>
#include <kyper/multi_trainer.hpp>

#include <kyper/atomic_file.hpp>
#include <kyper/binary_archive.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <cereal/archives/binary.hpp>
#include <cereal/archives/json.hpp>
#include <cereal/types/memory.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

namespace kyper {

namespace {
// 2: graph nodes carry steps and return_sequences; the file carries the sequence windowing.
// 3: the file carries the linear baseline (LinearBaseline) the network's outputs are added to.
constexpr uint32_t kModelFormatVersion = 3;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_classification(Loss loss) { return loss == Loss::SoftmaxCrossEntropy || loss == Loss::BinaryCrossEntropy; }
}  // namespace

// What a model file holds, in this order.
struct Model::File {
  uint32_t version = kModelFormatVersion;
  GraphSpec graph;
  TrainConfig config;
  Scaler feature_scaler, target_scaler;
  std::vector<std::string> feature_names, target_names;
  std::vector<float> parameters;
  bool has_optimizer_state = false;
  OptimizerState optimizer;
  std::vector<EpochRecord> curve;
  SequenceSpec sequence;
  bool uses_linear_baseline = false;
  LinearBaseline linear_baseline;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(cereal::make_nvp("format_version", version));
    KYPER_REQUIRE(version >= 1 && version <= kModelFormatVersion, "model file format version "
                                                                      << version << " is not supported (expected 1 to "
                                                                      << kModelFormatVersion << ")");
    struct FormatOne {  // nodes of format 1 end after their initialisation
      explicit FormatOne(bool on) : was(NodeSpec::reading_format_one()) { NodeSpec::reading_format_one() = on; }
      ~FormatOne() { NodeSpec::reading_format_one() = was; }
      bool was;
    } format_one(version == 1);
    ar(cereal::make_nvp("graph", graph));
    ar(cereal::make_nvp("training", config),
       cereal::make_nvp("feature_scaler", feature_scaler), cereal::make_nvp("target_scaler", target_scaler),
       cereal::make_nvp("feature_names", feature_names), cereal::make_nvp("target_names", target_names),
       cereal::make_nvp("parameters", parameters), cereal::make_nvp("has_optimizer_state", has_optimizer_state),
       cereal::make_nvp("optimizer", optimizer), cereal::make_nvp("learning_curve", curve));
    if (version >= 2) ar(cereal::make_nvp("sequence", sequence));
    if (version >= 3)
      ar(cereal::make_nvp("uses_linear_baseline", uses_linear_baseline),
         cereal::make_nvp("linear_baseline", linear_baseline));
    version = kModelFormatVersion;  // a loaded file is saved back in the current format
  }
};

Model::Model(GraphSpec graph, TrainConfig config, uint64_t seed, ScalerKind feature_scaling, ScalerKind target_scaling)
    : graph_(std::move(graph)),
      config_(config),
      feature_scaler_(feature_scaling),
      target_scaler_(is_classification(config.loss) ? ScalerKind::none : target_scaling),
      network_(std::make_unique<Net>(graph_, seed)) {}

Model Model::from_network(const Net& network, const TrainConfig& config, std::vector<std::string> feature_names,
                          std::vector<std::string> target_names) {
  const std::size_t targets = std::size_t(network.output_width()) / (config.loss == Loss::GaussianNLL ? 2 : 1);
  KYPER_REQUIRE(feature_names.size() == std::size_t(network.input_width()),
                "Model::from_network: " << feature_names.size() << " feature names for " << network.input_width() << " inputs");
  KYPER_REQUIRE(is_classification(config.loss) || target_names.size() == targets,
                "Model::from_network: " << target_names.size() << " target names for " << targets << " targets");
  Model model(network.spec(), config, 0, ScalerKind::none, ScalerKind::none);
  model.network_->set_parameters(network.get_parameters());
  model.feature_scaler_ = Scaler::identity(feature_names.size());
  model.target_scaler_ = Scaler::identity(is_classification(config.loss) ? target_names.size() : targets);
  model.feature_names_ = std::move(feature_names);
  model.target_names_ = std::move(target_names);
  return model;
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;

void Model::set_config(const TrainConfig& config) {
  KYPER_REQUIRE(config.loss == config_.loss, "Model::set_config: the loss is " << to_string(config_.loss)
                                                 << " and cannot change to " << to_string(config.loss)
                                                 << " (it fixes the output layer); build a new Model");
  std::unique_ptr<OptimizerState> carried;
  if (config.optimizer.kind == config_.optimizer.kind) {
    if (trainer_) carried = std::make_unique<OptimizerState>(trainer_->optimizer().state());
    else carried = std::move(pending_optimizer_state_);
    if (carried) carried->learning_rate = config.optimizer.learning_rate;
  }
  trainer_.reset();  // the next fit builds a trainer with the new configuration
  pending_optimizer_state_ = std::move(carried);
  config_ = config;
}

Trainer<float>& Model::trainer() {
  if (!trainer_) {
    trainer_ = std::make_unique<Trainer<float>>(*network_, config_);
    if (pending_optimizer_state_) {
      trainer_->optimizer().set_state(*pending_optimizer_state_);
      pending_optimizer_state_.reset();
    }
  }
  return *trainer_;
}

std::vector<float> Model::scaled_features(const Dataset& data) const {
  KYPER_REQUIRE(long(data.num_features()) == network_->input_width(),
                data.source << ": " << data.num_features() << " feature columns, the model takes "
                            << network_->input_width());
  std::vector<float> x = data.features;
  feature_scaler_.transform(x.data(), data.rows(), data.num_features());
  return x;
}

std::vector<float> Model::scaled_targets(const Dataset& data) const {
  std::vector<float> y = data.targets;
  target_scaler_.transform(y.data(), data.rows(), data.num_targets());
  return y;
}

void Model::set_scalers(Scaler features, Scaler targets) {
  KYPER_REQUIRE(features.fitted() && long(features.cols()) == network_->input_width(),
                "Model::set_scalers: the feature scaler must be fitted on " << network_->input_width() << " columns");
  const long target_cols = config_.loss == Loss::GaussianNLL ? network_->output_width() / 2
                           : config_.loss == Loss::SoftmaxCrossEntropy ? 1
                                                                       : network_->output_width();
  KYPER_REQUIRE(targets.fitted() && long(targets.cols()) == target_cols,
                "Model::set_scalers: the target scaler must be fitted on " << target_cols << " columns");
  feature_scaler_ = std::move(features);
  target_scaler_ = std::move(targets);
}

void Model::set_linear_baseline(bool on) {
  if (on == use_linear_baseline_) return;
  KYPER_REQUIRE(!on || !is_classification(config_.loss),
                "a linear baseline needs a regression loss, not " << to_string(config_.loss));
  KYPER_REQUIRE(curve_.empty() && !trainer_ && !linear_baseline_.fitted(),
                "the linear baseline is chosen before the first fit, and this model has been trained");
  use_linear_baseline_ = on;
}

void Model::subtract_baseline(const std::vector<float>& x, std::vector<float>& y, std::size_t rows) const {
  if (linear_baseline_.fitted()) linear_baseline_.add_to(x.data(), rows, y.data(), linear_baseline_.outputs(), -1);
}

// The dense node the graph's output reads (every graph Kyper builds ends so), or null.
const PlannedNode* Model::output_layer() const {
  const GraphPlan& plan = network_->plan();
  const PlannedNode* last = &plan.nodes[std::size_t(plan.output_node)];
  if (last->kind == NodeKind::Output) last = &plan.nodes[std::size_t(last->inputs.at(0))];
  return last->kind == NodeKind::Dense ? last : nullptr;
}

// The network's first prediction is then the baseline's alone. A graph ending in another kind of
// node keeps its initialisation.
void Model::zero_output_layer() {
  const PlannedNode* last = output_layer();
  if (!last) return;
  std::vector<float> parameters = network_->get_parameters();
  std::fill_n(parameters.begin() + last->weight_offset, long(last->in_width) * last->width, 0.f);
  if (last->bias_offset >= 0) std::fill_n(parameters.begin() + last->bias_offset, last->width, 0.f);
  network_->set_parameters(parameters);
}

// Where the network's output j does not lower the squared error of the residual the baseline
// leaves on the validation rows, output j is the baseline's alone: column j of the output layer's
// weights and its bias become zero. Short horizons of smooth series are where this matters: their
// residual is mostly noise, which a network trained on every horizon at once fits.
void Model::keep_network_where_it_helps(const std::vector<float>& xv, const std::vector<float>& yv_residual,
                                          std::size_t rows) {
  baseline_only_outputs_.clear();
  const PlannedNode* last = output_layer();
  if (!last || rows == 0) return;
  const std::size_t targets = linear_baseline_.outputs(), width = std::size_t(network_->output_width());
  const std::vector<float> out = network_->predict(xv.data(), long(rows), std::max(1, config_.batch_size));
  baseline_only_outputs_ = outputs_not_improved(yv_residual.data(), out.data(), rows, targets, width);
  std::vector<float> parameters = network_->get_parameters();
  for (int j : baseline_only_outputs_) {
    for (long i = 0; i < last->in_width; ++i) parameters[std::size_t(last->weight_offset + i * last->width + j)] = 0.f;
    if (last->bias_offset >= 0) parameters[std::size_t(last->bias_offset + j)] = 0.f;
  }
  if (!baseline_only_outputs_.empty()) network_->set_parameters(parameters);
}

TrainResult Model::fit(const Dataset& train, const Dataset* validation) {
  KYPER_REQUIRE(train.rows() > 0, train.source << ": no training rows");
  if (!feature_scaler_.fitted()) {
    feature_scaler_.fit(train.features.data(), train.rows(), train.num_features());
    target_scaler_.fit(train.targets.data(), train.rows(), train.num_targets());
  }
  if (feature_names_.empty()) feature_names_ = train.feature_names, target_names_ = train.target_names;
  using Exec = Kokkos::DefaultExecutionSpace;
  const auto x = scaled_features(train);
  auto y = scaled_targets(train);
  if (use_linear_baseline_ && !linear_baseline_.fitted()) {
    linear_baseline_ = LinearBaseline::fit(x.data(), y.data(), train.rows(), train.num_features(), train.num_targets());
    if (curve_.empty()) zero_output_layer();
  }
  subtract_baseline(x, y, train.rows());
  auto dx = to_device<float, Exec>(x.data(), long(train.rows()), long(train.num_features()), "Kyper::Model::x");
  auto dy = to_device<float, Exec>(y.data(), long(train.rows()), long(train.num_targets()), "Kyper::Model::y");
  trainer().set_stop_condition(stop_);
  trainer().set_epoch_hook(epoch_hook_);
  TrainResult result;
  if (validation && validation->rows() > 0) {
    const auto xv = scaled_features(*validation);
    auto yv = scaled_targets(*validation);
    subtract_baseline(xv, yv, validation->rows());
    auto dxv = to_device<float, Exec>(xv.data(), long(validation->rows()), long(validation->num_features()));
    auto dyv = to_device<float, Exec>(yv.data(), long(validation->rows()), long(validation->num_targets()));
    result = trainer().fit(dx, dy, dxv, dyv);
    if (linear_baseline_.fitted() && result.status != TrainStatus::Diverged) {
      keep_network_where_it_helps(xv, yv, validation->rows());
      if (!baseline_only_outputs_.empty()) result.best_validation_loss = trainer().evaluate(dxv, dyv);
    }
  } else {
    result = trainer().fit(dx, dy);
  }
  const int first_epoch = curve_.empty() ? 0 : curve_.back().epoch + 1;
  for (EpochRecord record : result.curve) {
    record.epoch += first_epoch;
    curve_.push_back(record);
  }
  return result;
}

std::vector<TrainResult> Model::fit_together(const std::vector<Model*>& models, const Dataset& train,
                                             const Dataset* validation) {
  KYPER_REQUIRE(!models.empty(), "training together: no models given");
  KYPER_REQUIRE(train.rows() > 0, train.source << ": no training rows");
  const Model& first = *models[0];
  std::vector<Net*> networks;
  std::vector<uint64_t> seeds;
  std::vector<double> rates;
  for (size_t i = 0; i < models.size(); ++i) {
    Model& model = *models[i];
    KYPER_REQUIRE(!model.trainer_ && !model.pending_optimizer_state_ && model.curve_.empty(),
                  "training together: model " << i << " has been trained before (resume it with fit)");
    const TrainConfig& c = model.config_;
    KYPER_REQUIRE(c.loss == first.config_.loss && c.batch_size == first.config_.batch_size &&
                      c.epochs == first.config_.epochs && c.patience == first.config_.patience &&
                      c.optimizer.kind == first.config_.optimizer.kind &&
                      c.optimizer.schedule.kind == first.config_.optimizer.schedule.kind,
                  "training together: model " << i << " has other training settings than model 0 (only the seed and "
                                                  "the learning rate may differ)");
    KYPER_REQUIRE(model.use_linear_baseline_ == first.use_linear_baseline_,
                  "training together: model " << i << (model.use_linear_baseline_ ? " has" : " has no")
                                              << " linear baseline and model 0" << (first.use_linear_baseline_ ? " has" : " has not"));
    if (!model.feature_scaler_.fitted()) {
      model.feature_scaler_.fit(train.features.data(), train.rows(), train.num_features());
      model.target_scaler_.fit(train.targets.data(), train.rows(), train.num_targets());
    }
    if (model.feature_names_.empty()) model.feature_names_ = train.feature_names, model.target_names_ = train.target_names;
    networks.push_back(model.network_.get());
    seeds.push_back(c.seed), rates.push_back(c.optimizer.learning_rate);
  }
  // Scalers fitted on the same rows are the same for every model: the first model's scale the data,
  // and its least-squares baseline (the same for all) is every model's.
  using Exec = Kokkos::DefaultExecutionSpace;
  const auto x = first.scaled_features(train);
  auto y = first.scaled_targets(train);
  if (first.use_linear_baseline_) {
    const LinearBaseline baseline =
        LinearBaseline::fit(x.data(), y.data(), train.rows(), train.num_features(), train.num_targets());
    for (Model* model : models) {
      model->linear_baseline_ = baseline;
      model->zero_output_layer();
    }
  }
  first.subtract_baseline(x, y, train.rows());
  auto dx = to_device<float, Exec>(x.data(), long(train.rows()), long(train.num_features()), "Kyper::Model::x");
  auto dy = to_device<float, Exec>(y.data(), long(train.rows()), long(train.num_targets()), "Kyper::Model::y");
  MultiTrainer<float> trainer(networks, first.config_, seeds, rates);
  std::vector<TrainResult> results;
  if (validation && validation->rows() > 0) {
    const auto xv = first.scaled_features(*validation);
    auto yv = first.scaled_targets(*validation);
    first.subtract_baseline(xv, yv, validation->rows());
    results = trainer.fit(dx, dy, to_device<float, Exec>(xv.data(), long(validation->rows()), long(validation->num_features())),
                          to_device<float, Exec>(yv.data(), long(validation->rows()), long(validation->num_targets())));
  } else {
    results = trainer.fit(dx, dy);
  }
  for (size_t i = 0; i < models.size(); ++i) {
    models[i]->curve_ = results[i].curve;
    models[i]->pending_optimizer_state_ = std::make_unique<OptimizerState>(trainer.optimizer_state(int(i)));
  }
  if (first.linear_baseline_.fitted() && validation && validation->rows() > 0) {
    const auto xv = first.scaled_features(*validation);
    auto yv = first.scaled_targets(*validation);
    first.subtract_baseline(xv, yv, validation->rows());
    for (size_t i = 0; i < models.size(); ++i) {
      if (results[i].status == TrainStatus::Diverged) continue;
      models[i]->keep_network_where_it_helps(xv, yv, validation->rows());
      if (!models[i]->baseline_only_outputs_.empty()) results[i].best_validation_loss = models[i]->evaluate(*validation);
    }
  }
  return results;
}

double Model::evaluate(const Dataset& data) {
  using Exec = Kokkos::DefaultExecutionSpace;
  const auto x = scaled_features(data);
  auto y = scaled_targets(data);
  subtract_baseline(x, y, data.rows());
  return trainer().evaluate(to_device<float, Exec>(x.data(), long(data.rows()), long(data.num_features())),
                            to_device<float, Exec>(y.data(), long(data.rows()), long(data.num_targets())));
}

Predictions Model::predict(const float* features, long rows) {
  const int in = network_->input_width();
  std::vector<float> x(features, features + rows * in);
  feature_scaler_.transform(x.data(), size_t(rows), size_t(in));
  std::vector<float> raw = network_->predict(x.data(), rows, std::max(1, config_.batch_size));
  const int width = network_->output_width();
  // The baseline's outputs are the targets: every column, or a Gaussian head's means (the first half).
  if (linear_baseline_.fitted()) linear_baseline_.add_to(x.data(), std::size_t(rows), raw.data(), std::size_t(width));

  Predictions p;
  p.rows = rows;
  auto target_name = [&](int j) {
    return j < int(target_names_.size()) ? target_names_[j] : "y" + std::to_string(j);
  };
  switch (config_.loss) {
    case Loss::GaussianNLL: {
      const int t = width / 2;
      std::vector<float> mean(size_t(rows) * t), variance(size_t(rows) * t);
      for (long r = 0; r < rows; ++r)
        for (int j = 0; j < t; ++j) {
          mean[r * t + j] = raw[r * width + j];
          variance[r * t + j] = gaussian_variance(raw[r * width + t + j], float(config_.variance_floor));
        }
      target_scaler_.inverse_transform(mean.data(), size_t(rows), size_t(t));
      target_scaler_.inverse_transform_variance(variance.data(), size_t(rows), size_t(t));
      for (int j = 0; j < t; ++j) p.columns.push_back(target_name(j)), p.columns.push_back(target_name(j) + "_variance");
      p.values.resize(size_t(rows) * width);
      for (long r = 0; r < rows; ++r)
        for (int j = 0; j < t; ++j) {
          p.values[r * width + 2 * j] = mean[r * t + j];
          p.values[r * width + 2 * j + 1] = variance[r * t + j];
        }
      break;
    }
    case Loss::SoftmaxCrossEntropy:
      for (int k = 0; k < width; ++k) p.columns.push_back("p_class" + std::to_string(k));
      p.values = raw;
      for (long r = 0; r < rows; ++r) {
        float* row = p.values.data() + r * width;
        float max_logit = row[0], total = 0;
        for (int k = 1; k < width; ++k) max_logit = std::max(max_logit, row[k]);
        for (int k = 0; k < width; ++k) total += (row[k] = std::exp(row[k] - max_logit));
        for (int k = 0; k < width; ++k) row[k] /= total;
      }
      break;
    case Loss::BinaryCrossEntropy:
      for (int j = 0; j < width; ++j) p.columns.push_back("p_" + target_name(j));
      p.values = raw;
      for (float& v : p.values) v = sigmoid(v);
      break;
    default:
      for (int j = 0; j < width; ++j) p.columns.push_back(target_name(j));
      p.values = raw;
      target_scaler_.inverse_transform(p.values.data(), size_t(rows), size_t(width));
  }
  return p;
}

void Model::save(const std::string& path) const {
  File file;
  file.graph = graph_, file.config = config_;
  file.feature_scaler = feature_scaler_, file.target_scaler = target_scaler_;
  file.feature_names = feature_names_, file.target_names = target_names_;
  file.parameters = network_->get_parameters();
  if (trainer_) {
    file.has_optimizer_state = true;
    file.optimizer = trainer_->optimizer().state();
  } else if (pending_optimizer_state_) {
    file.has_optimizer_state = true;
    file.optimizer = *pending_optimizer_state_;
  }
  file.curve = curve_;
  file.sequence = sequence_;
  file.uses_linear_baseline = use_linear_baseline_;
  file.linear_baseline = linear_baseline_;
  // Atomic, so a crash never leaves a half-written model behind.
  write_file_atomically(path, [&](std::ostream& out) {
    if (ends_with(path, ".json")) {
      cereal::JSONOutputArchive archive(out);
      archive(cereal::make_nvp("kyper_model", file));
    } else {
      cereal::BinaryOutputArchive archive(out);
      archive(file);
    }
  }, "model file");
}

Model Model::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  KYPER_REQUIRE(in, "cannot open model file '" << path << "'");
  File file;
  try {
    if (ends_with(path, ".json")) {
      cereal::JSONInputArchive archive(in);
      archive(cereal::make_nvp("kyper_model", file));
    } else {
      CheckedBinaryInputArchive archive(in);
      archive(file);
    }
  } catch (const Error& e) {
    KYPER_FAIL("model file '" << path << "': " << e.what());
  } catch (const std::exception& e) {
    KYPER_FAIL("model file '" << path << "' is corrupt or not a Kyper model: " << e.what());
  }
  // The graph must agree with the weights and names the file holds before a network is built for
  // it: a corrupt graph could otherwise make it allocate whatever its widths say.
  GraphPlan plan;
  try {
    plan = plan_graph(file.graph);
  } catch (const Error& e) {
    KYPER_FAIL("model file '" << path << "': " << e.what());
  }
  KYPER_REQUIRE(plan.parameter_count == long(file.parameters.size()),
                "model file '" << path << "' is corrupt: its graph needs " << plan.parameter_count
                               << " parameters, it holds " << file.parameters.size());
  KYPER_REQUIRE(file.feature_names.empty() || file.feature_names.size() == std::size_t(plan.input_width),
                "model file '" << path << "' is corrupt: " << file.feature_names.size()
                               << " feature names for a graph of " << plan.input_width << " inputs");
  // predict() runs batches of batch_size rows: the bound of a job file's "training.batch_size".
  KYPER_REQUIRE(file.config.batch_size >= 1 && file.config.batch_size <= (1 << 24),
                "model file '" << path << "' is corrupt: batch size " << file.config.batch_size);
  const std::size_t targets = file.config.loss == Loss::GaussianNLL ? std::size_t(plan.output_width) / 2
                                                                       : std::size_t(plan.output_width);
  KYPER_REQUIRE(!file.linear_baseline.fitted() || (!is_classification(file.config.loss) &&
                                                   file.linear_baseline.inputs() == std::size_t(plan.input_width) &&
                                                   file.linear_baseline.outputs() == targets),
                "model file '" << path << "' is corrupt: its linear baseline maps " << file.linear_baseline.inputs()
                               << " features to " << file.linear_baseline.outputs() << " targets, its graph "
                               << plan.input_width << " to " << targets);
  Model model;
  model.graph_ = file.graph, model.config_ = file.config;
  model.use_linear_baseline_ = file.uses_linear_baseline;
  model.linear_baseline_ = file.linear_baseline;
  model.feature_scaler_ = file.feature_scaler, model.target_scaler_ = file.target_scaler;
  model.feature_names_ = file.feature_names, model.target_names_ = file.target_names;
  model.curve_ = file.curve;
  model.sequence_ = file.sequence;
  model.network_ = std::make_unique<Net>(model.graph_, model.config_.seed);
  model.network_->set_parameters(file.parameters);
  if (file.has_optimizer_state) model.pending_optimizer_state_ = std::make_unique<OptimizerState>(file.optimizer);
  return model;
}

}  // namespace kyper
