#include <kyper/nas_space.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <locale>
#include <map>
#include <set>
#include <sstream>

#include <kyper/enum_names.hpp>
#include <kyper/error.hpp>
#include <kyper/text.hpp>
#include <kyper/json.hpp>

namespace kyper::nas {

namespace rj = json::rj;

namespace {

constexpr int kMaxUnits = 1 << 20;
constexpr int kMaxBlocks = 1000;
const char* const kOperationForms =
    "identity, dense:<units>, dense:<units>:<activation>, dropout:<rate>, activation:<name>, lstm:<units>, gru:<units>";

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == separator) parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

// Whole-string number parsing in the C locale: "32x" or " 32" are errors, not 32.
bool parse_int(const std::string& text, long& value) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0]))) return false;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  in >> value;
  return in && in.peek() == std::char_traits<char>::eof();
}
bool parse_double(const std::string& text, double& value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  in >> value;
  return in && in.peek() == std::char_traits<char>::eof() && std::isfinite(value);
}

// Shortest decimal text that reads back as the same double, so to_string() round-trips.
std::string shortest(double x) {
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream out;
    out.imbue(std::locale::classic());
    out.precision(precision);
    out << x;
    double back = 0;
    if (parse_double(out.str(), back) && back == x) return out.str();
  }
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out.precision(17);
  out << x;
  return out.str();
}

std::string describe(const Operation& op) {
  switch (op.kind) {
    case OpKind::Identity: return "identity";
    case OpKind::Dense: return "dense " + std::to_string(op.units) + " " + kyper::to_string(op.activation);
    case OpKind::Dropout: return "dropout " + shortest(op.rate);
    case OpKind::Activation: return std::string("activation ") + kyper::to_string(op.activation);
    case OpKind::Lstm: return "lstm " + std::to_string(op.units);
    case OpKind::Gru: return "gru " + std::to_string(op.units);
  }
  return "?";
}

}  // namespace

// --- Operation -------------------------------------------------------------------------------

Operation Operation::dense(int units, Activation activation) {
  Operation op;
  op.kind = OpKind::Dense, op.units = units, op.activation = activation;
  return op;
}
Operation Operation::dropout(double rate) {
  Operation op;
  op.kind = OpKind::Dropout, op.rate = rate;
  return op;
}
Operation Operation::activation_layer(Activation activation) {
  Operation op;
  op.kind = OpKind::Activation, op.activation = activation;
  return op;
}

Operation Operation::lstm(int units) {
  Operation op;
  op.kind = OpKind::Lstm, op.units = units;
  return op;
}
Operation Operation::gru(int units) {
  Operation op;
  op.kind = OpKind::Gru, op.units = units;
  return op;
}

void Operation::validate() const {
  if (kind == OpKind::Dense || recurrent())
    KYPER_REQUIRE(units >= 1 && units <= kMaxUnits,
                  "operation '" << to_string() << "': units must be in [1, " << kMaxUnits << "], got " << units);
  if (kind == OpKind::Dropout)
    KYPER_REQUIRE(std::isfinite(rate) && rate >= 0 && rate < 1,
                  "operation '" << to_string() << "': dropout rate must be in [0, 1), got " << rate);
}

Operation Operation::parse(const std::string& text) {
  const std::vector<std::string> parts = split(text, ':');
  const std::string& kind = parts[0];
  auto fail = [&](const std::string& why) {
    KYPER_FAIL("operation '" << text << "': " << why << " (valid forms: " << kOperationForms << ")");
  };
  auto activation_of = [&](const std::string& name) {
    try {
      return parse_activation(name);
    } catch (const Error& e) {
      KYPER_FAIL("operation '" << text << "': " << e.what());
    }
  };
  Operation op;
  if (kind == "identity") {
    if (parts.size() != 1) fail("identity takes no arguments");
  } else if (kind == "dense") {
    if (parts.size() != 2 && parts.size() != 3) fail("dense takes a unit count and an optional activation");
    long units = 0;
    if (!parse_int(parts[1], units) || units < 1 || units > kMaxUnits)
      fail("units must be an integer in [1, " + std::to_string(kMaxUnits) + "], got '" + parts[1] + "'");
    op = dense(int(units), parts.size() == 3 ? activation_of(parts[2]) : Activation::Identity);
  } else if (kind == "dropout") {
    if (parts.size() != 2) fail("dropout takes one rate");
    double rate = 0;
    if (!parse_double(parts[1], rate) || rate < 0 || rate >= 1)
      fail("dropout rate must be a number in [0, 1), got '" + parts[1] + "'");
    op = dropout(rate);
  } else if (kind == "activation") {
    if (parts.size() != 2) fail("activation takes one activation name");
    op = activation_layer(activation_of(parts[1]));
  } else if (kind == "lstm" || kind == "gru") {
    if (parts.size() != 2) fail(kind + " takes one unit count");
    long units = 0;
    if (!parse_int(parts[1], units) || units < 1 || units > kMaxUnits)
      fail("units must be an integer in [1, " + std::to_string(kMaxUnits) + "], got '" + parts[1] + "'");
    op = kind == "lstm" ? lstm(int(units)) : gru(int(units));
  } else {
    fail("unknown operation");
  }
  return op;
}

std::string Operation::to_string() const {
  switch (kind) {
    case OpKind::Identity: return "identity";
    case OpKind::Dense:
      return "dense:" + std::to_string(units) +
             (activation == Activation::Identity ? "" : std::string(":") + kyper::to_string(activation));
    case OpKind::Dropout: return "dropout:" + shortest(rate);
    case OpKind::Activation: return std::string("activation:") + kyper::to_string(activation);
    case OpKind::Lstm: return "lstm:" + std::to_string(units);
    case OpKind::Gru: return "gru:" + std::to_string(units);
  }
  return "?";
}

namespace {
const EnumNames<Merge> kMergeNames("merge", {{Merge::Add, "add"}, {Merge::Concat, "concat"}});
}  // namespace

const char* to_string(Merge merge) { return kMergeNames.name(merge); }
Merge parse_merge(const std::string& name) { return kMergeNames.parse(name); }

namespace {
const EnumNames<SequenceHead> kHeadNames("head", {{SequenceHead::Flatten, "flatten"}, {SequenceHead::PerStep, "per_step"}});
// What the per-step head asks for, in every error about it.
constexpr const char* kPerStepHead = "the per-step head (set_sequence_head, or a job's architecture.head \"per_step\")";
}  // namespace

const char* to_string(SequenceHead head) { return kHeadNames.name(head); }
SequenceHead parse_sequence_head(const std::string& name) { return kHeadNames.parse(name); }

// --- ArchitectureSpace: definition ---------------------------------------------------------

ArchitectureSpace::ArchitectureSpace(int inputs, int outputs, Activation output_activation, int max_choices)
    : inputs_(inputs), outputs_(outputs), output_activation_(output_activation), max_choices_(max_choices) {
  KYPER_REQUIRE(inputs >= 0 && outputs >= 0, "architecture space: inputs and outputs must be positive (or 0 until "
                                             "set_io), got " << inputs << " and " << outputs);
  KYPER_REQUIRE(max_choices >= 2, "architecture space: max_choices must be at least 2, got " << max_choices);
}

void ArchitectureSpace::set_io(int inputs, int outputs) {
  KYPER_REQUIRE(inputs > 0 && outputs > 0,
                "architecture space: inputs and outputs must be positive, got " << inputs << " and " << outputs);
  if (const std::string recurrent = first_recurrent(); !recurrent.empty())
    KYPER_FAIL("architecture space: " << recurrent << ", a recurrent layer, but the inputs are plain features ("
                                      << inputs << " per sample): recurrent layers read sequences, so the space "
                                                   "needs a sequence input (set_sequence_io, or a job's sequence "
                                                   "section) or dense layers only");
  KYPER_REQUIRE(head_ != SequenceHead::PerStep,
                "architecture space: " << kPerStepHead << " needs a sequence input (set_sequence_io, or a job's "
                                          "sequence section), but the inputs are plain features ("
                                       << inputs << " per sample); leave it out or use \"flatten\"");
  inputs_ = inputs, outputs_ = outputs;
  steps_ = features_per_step_ = horizon_ = targets_per_step_ = 0;
}

void ArchitectureSpace::set_sequence_io(int steps, int features_per_step, int horizon, int targets_per_step) {
  KYPER_REQUIRE(steps > 0 && features_per_step > 0 && horizon > 0 && targets_per_step > 0,
                "architecture space: steps, features per step, horizon and targets per step must be positive, got "
                    << steps << ", " << features_per_step << ", " << horizon << " and " << targets_per_step);
  KYPER_REQUIRE(long(steps) * features_per_step <= kMaxUnits && long(horizon) * targets_per_step <= kMaxUnits,
                "architecture space: " << steps << " steps of " << features_per_step << " features in and " << horizon
                                       << " steps of " << targets_per_step << " targets out exceed " << kMaxUnits
                                       << " values per sample");
  KYPER_REQUIRE(head_ != SequenceHead::PerStep || steps == horizon,
                "architecture space: " << kPerStepHead << " needs horizon == steps (one output step per input "
                                          "step), got " << steps << " steps and horizon " << horizon
                                       << "; use the flatten head");
  steps_ = steps, features_per_step_ = features_per_step, horizon_ = horizon, targets_per_step_ = targets_per_step;
  inputs_ = steps * features_per_step, outputs_ = horizon * targets_per_step;
}

void ArchitectureSpace::set_sequence_head(SequenceHead head) {
  KYPER_REQUIRE(head != SequenceHead::PerStep || !is_sequence() || steps_ == horizon_,
                "architecture space: " << kPerStepHead << " needs horizon == steps (one output step per input "
                                          "step), got " << steps_ << " steps and horizon " << horizon_
                                       << "; use the flatten head");
  head_ = head;
}

std::string ArchitectureSpace::first_recurrent() const {
  for (const Node& node : nodes_)
    for (const Operation& op : node.candidates)
      if (op.recurrent())
        return std::string(node.type == NodeType::Constant ? "constant" : "variable") + " node '" + node.name +
               "' offers '" + op.to_string() + "'";
  return "";
}

bool ArchitectureSpace::recurrent() const { return !first_recurrent().empty(); }

ArchitectureSpace::Node& ArchitectureSpace::add_node(const std::string& name, NodeType type) {
  nodes_.emplace_back();
  nodes_.back().name = name, nodes_.back().type = type;
  return nodes_.back();
}

// Graph node names derive from space node names, so these stay free for the graph's own nodes and
// '/' for the skip projections; the rest keeps names safe as search parameter and column names.
void ArchitectureSpace::check_new_name(const std::string& name, const char* type) const {
  KYPER_REQUIRE(!name.empty(), "architecture space: a " << type << " node has an empty name");
  for (char c : name)
    KYPER_REQUIRE(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.',
                  type << " node '" << name << "': names may hold letters, digits, '_', '-' and '.' only");
  KYPER_REQUIRE(name != "input" && name != "head" && name != "output",
                type << " node '" << name << "': the name is reserved for the graph's input, head and output nodes");
  KYPER_REQUIRE(std::none_of(nodes_.begin(), nodes_.end(), [&](const Node& n) { return n.name == name; }),
                type << " node '" << name << "': the name is used by an earlier node");
}

ArchitectureSpace& ArchitectureSpace::constant(const std::string& name, Operation op) {
  check_new_name(name, "constant");
  try {
    op.validate();
  } catch (const Error& e) {
    KYPER_FAIL("constant node '" << name << "': " << e.what());
  }
  add_node(name, NodeType::Constant).candidates = {op};
  ++anchor_count_;
  return *this;
}

ArchitectureSpace& ArchitectureSpace::variable(const std::string& name, std::vector<Operation> candidates) {
  check_new_name(name, "variable");
  KYPER_REQUIRE(candidates.size() >= 2, "variable node '" << name << "' needs at least two candidates, has "
                                                           << candidates.size() << " (use a constant node for one)");
  KYPER_REQUIRE(int(candidates.size()) <= max_choices_, "variable node '" << name << "' has " << candidates.size()
                                                                          << " candidates, more than max_choices = "
                                                                          << max_choices_);
  for (size_t i = 0; i < candidates.size(); ++i) {
    try {
      candidates[i].validate();
    } catch (const Error& e) {
      KYPER_FAIL("variable node '" << name << "': candidate " << i << ": " << e.what());
    }
    // A repeated candidate would only skew samplers toward it.
    for (size_t j = 0; j < i; ++j)
      KYPER_REQUIRE(candidates[j] != candidates[i], "variable node '" << name << "': candidate '"
                                                                      << candidates[i].to_string() << "' appears twice");
  }
  Node& node = add_node(name, NodeType::Variable);
  node.choices = int(candidates.size());
  node.candidates = std::move(candidates);
  node.dimension = dimensions();
  dimension_nodes_.push_back(int(nodes_.size()) - 1);
  ++anchor_count_;
  return *this;
}

ArchitectureSpace& ArchitectureSpace::mirror(const std::string& name, const std::string& of) {
  check_new_name(name, "mirror");
  int source = -1;
  for (size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == of) source = int(i);
  KYPER_REQUIRE(source >= 0, "mirror node '" << name << "': '" << of << "' is not an earlier node");
  KYPER_REQUIRE(nodes_[source].type == NodeType::Variable,
                "mirror node '" << name << "': '" << of
                                << "' is not a variable node (a mirror repeats a variable node's choice)");
  add_node(name, NodeType::Mirror).source = source;
  ++anchor_count_;
  return *this;
}

ArchitectureSpace& ArchitectureSpace::skip(const std::string& name, int anchors, Merge merge) {
  check_new_name(name, "skip");
  KYPER_REQUIRE(anchors >= 1, "skip node '" << name << "' needs anchors >= 1, got " << anchors);
  const int reachable = anchor_count_ - 1;  // anchors before the most recent one
  KYPER_REQUIRE(reachable >= 1, "skip node '" << name << "' has no earlier anchor to connect (it needs a constant, "
                                                 "variable or mirror node before it)");
  const int choices = 1 + std::min(anchors, reachable);
  KYPER_REQUIRE(choices <= max_choices_, "skip node '" << name << "' has " << choices
                                                       << " choices, more than max_choices = " << max_choices_);
  Node& node = add_node(name, NodeType::Skip);
  node.skip_anchors = anchors, node.merge = merge, node.choices = choices;
  node.dimension = dimensions();
  dimension_nodes_.push_back(int(nodes_.size()) - 1);
  return *this;
}

std::vector<int> ArchitectureSpace::choices() const {
  std::vector<int> out;
  for (int n : dimension_nodes_) out.push_back(nodes_[n].choices);
  return out;
}

std::vector<std::string> ArchitectureSpace::dimension_names() const {
  std::vector<std::string> out;
  for (int n : dimension_nodes_) out.push_back(nodes_[n].name);
  return out;
}

double ArchitectureSpace::size() const {
  double product = 1;
  for (int n : dimension_nodes_) product *= nodes_[n].choices;
  return product;
}

// --- ArchitectureSpace: architectures ------------------------------------------------------

void ArchitectureSpace::check_architecture(const std::vector<int>& architecture) const {
  KYPER_REQUIRE(int(architecture.size()) == dimensions(),
                "architecture has " << architecture.size() << " entries, the space expects " << dimensions()
                                    << " (one per variable and skip node: " << join(dimension_names()) << ")");
  for (int d = 0; d < dimensions(); ++d) {
    const Node& node = nodes_[dimension_nodes_[d]];
    KYPER_REQUIRE(architecture[d] >= 0 && architecture[d] < node.choices,
                  "architecture entry " << d << " (" << (node.type == NodeType::Skip ? "skip" : "variable")
                                        << " node '" << node.name << "') is " << architecture[d]
                                        << "; valid choices are 0.." << node.choices - 1);
  }
}

ArchitectureSpace::Built ArchitectureSpace::realize(const std::vector<int>& architecture) const {
  check_architecture(architecture);
  KYPER_REQUIRE(inputs_ > 0 && outputs_ > 0,
                "architecture space: inputs and outputs are not set (call set_io with the dataset's widths)");
  if (!is_sequence())
    if (const std::string recurrent = first_recurrent(); !recurrent.empty())
      KYPER_FAIL("architecture space: " << recurrent << ", a recurrent layer, but the space has plain inputs ("
                                        << inputs_ << " features per sample): recurrent layers read sequences, so "
                                                      "the space needs a sequence input (set_sequence_io, or a job's "
                                                      "sequence section) or dense layers only");
  KYPER_REQUIRE(is_sequence() || head_ != SequenceHead::PerStep,
                "architecture space: " << kPerStepHead << " needs a sequence input (set_sequence_io, or a job's "
                                          "sequence section), but the space has plain inputs ("
                                       << inputs_ << " features per sample); leave it out or use \"flatten\"");
  Built built;
  GraphSpec& g = built.graph;
  // Widths per step in a sequence space: every layer and merge acts on each step alike.
  std::map<std::string, int> width;
  std::string current;
  if (is_sequence()) {
    current = g.sequence_input("input", steps_, features_per_step_);
    width[current] = features_per_step_;
    built.lines.push_back("input: " + std::to_string(steps_) + " steps of width " + std::to_string(features_per_step_));
  } else {
    current = g.input("input", inputs_);
    width[current] = inputs_;
    built.lines.push_back("input: width " + std::to_string(inputs_));
  }
  std::vector<std::string> anchors = {current};

  for (const Node& node : nodes_) {
    if (node.type == NodeType::Skip) {
      const int choice = architecture[node.dimension];
      std::string line = node.name + ": ";
      if (choice == 0) {
        built.lines.push_back(line + "no connection");
        continue;
      }
      const std::string source = anchors[anchors.size() - 1 - size_t(choice)];
      if (source == current) {  // identity layers in between: nothing to merge
        built.lines.push_back(line + source + " is the current tensor: no connection");
        continue;
      }
      if (node.merge == Merge::Add) {
        std::string from = source;
        line += "add " + source;
        if (width[source] != width[current]) {
          from = g.dense(node.name + "/projection", source, width[current]);
          width[from] = width[current];
          line += " (projection " + std::to_string(width[source]) + " -> " + std::to_string(width[current]) + ")";
        }
        const int merged = width[current];
        current = g.add(node.name, {current, from});
        width[current] = merged;
      } else {
        line += "concat " + source;
        const int merged = width[current] + width[source];
        current = g.concat(node.name, {current, source});
        width[current] = merged;
      }
      // The merged tensor is the block's output: it replaces the anchor it merged into (the most
      // recent one, which was the current tensor), so later skips reach outputs after their merges.
      anchors.back() = current;
      built.lines.push_back(line + " -> width " + std::to_string(width[current]));
      continue;
    }

    const Node& chooser = node.type == NodeType::Mirror ? nodes_[node.source] : node;
    const Operation& op =
        node.type == NodeType::Constant ? node.candidates[0] : chooser.candidates[architecture[chooser.dimension]];
    const int in_width = width[current];
    switch (op.kind) {
      case OpKind::Identity: break;
      case OpKind::Dense: current = g.dense(node.name, current, op.units, op.activation); break;
      case OpKind::Dropout: current = g.dropout(node.name, current, op.rate); break;
      case OpKind::Activation: current = g.activation(node.name, current, op.activation); break;
      // Every step's state, so recurrent layers stack and skip-connect like the others.
      case OpKind::Lstm: current = g.lstm(node.name, current, op.units, true); break;
      case OpKind::Gru: current = g.gru(node.name, current, op.units, true); break;
    }
    width[current] = op.kind == OpKind::Dense || op.recurrent() ? op.units : in_width;
    anchors.push_back(current);
    std::string line = node.name + ": " + describe(op);
    if (node.type == NodeType::Mirror) line += " (mirror of " + chooser.name + ")";
    built.lines.push_back(line + " -> width " + std::to_string(width[current]));
  }

  const std::string activation = kyper::to_string(output_activation_);
  if (!is_sequence()) {
    g.output("output", g.dense("head", current, outputs_, output_activation_));
    built.lines.push_back("head: dense " + std::to_string(outputs_) + " " + activation + " -> width " +
                          std::to_string(outputs_));
  } else if (head_ == SequenceHead::PerStep) {
    // Sequence to sequence (steps == horizon, checked by the setters): the same dense layer on every
    // step gives each step's targets from the state after the matching input step only.
    g.output("output", g.dense("head", current, targets_per_step_, output_activation_));
    built.lines.push_back("head: dense " + std::to_string(targets_per_step_) + " " + activation +
                          " on every step (per_step) -> " + std::to_string(horizon_) + " steps of width " +
                          std::to_string(targets_per_step_));
  } else {
    // Every output step reads every step of the final sequence.
    const std::string flat = g.flatten("head/flatten", current);
    built.lines.push_back("head/flatten: " + std::to_string(steps_) + " steps of width " +
                          std::to_string(width[current]) + " -> width " + std::to_string(long(steps_) * width[current]));
    g.output("output", g.dense("head", flat, outputs_, output_activation_));
    built.lines.push_back("head: dense " + std::to_string(outputs_) + " " + activation + " -> " +
                          std::to_string(horizon_) + " steps of width " + std::to_string(targets_per_step_));
  }
  return built;
}

GraphSpec ArchitectureSpace::build(const std::vector<int>& architecture) const {
  return realize(architecture).graph;
}

long ArchitectureSpace::parameter_count(const std::vector<int>& architecture) const {
  return plan_graph(build(architecture)).parameter_count;
}

std::string ArchitectureSpace::summary(const std::vector<int>& architecture) const {
  Built built = realize(architecture);
  std::ostringstream out;
  out << "architecture [";
  for (size_t i = 0; i < architecture.size(); ++i) out << (i ? ", " : "") << architecture[i];
  out << "]\n";
  for (const auto& line : built.lines) out << "  " << line << "\n";
  out << "  parameters: " << plan_graph(built.graph).parameter_count << "\n";
  return out.str();
}

search::Space ArchitectureSpace::search_space() const {
  search::Space space;
  for (int n : dimension_nodes_) space.add_int(parameter_name(nodes_[n].name), 0, nodes_[n].choices - 1);
  return space;
}

std::vector<int> ArchitectureSpace::architecture_of(const search::Configuration& config) const {
  std::vector<int> architecture;
  for (int n : dimension_nodes_) {
    const Node& node = nodes_[n];
    const std::string name = parameter_name(node.name);
    KYPER_REQUIRE(config.has(name), "configuration has no parameter '" << name << "' for node '" << node.name << "'");
    const std::int64_t choice = config.integer(name);
    KYPER_REQUIRE(choice >= 0 && choice < node.choices, "parameter '" << name << "' = " << choice << " is outside [0, "
                                                                      << node.choices - 1 << "] (node '" << node.name
                                                                      << "')");
    architecture.push_back(int(choice));
  }
  return architecture;
}

// --- Ready-made spaces ---------------------------------------------------------------------

namespace {

void check_preset_lists(const char* preset, int blocks, size_t widths, size_t activations, int anchors) {
  KYPER_REQUIRE(blocks >= 1 && blocks <= kMaxBlocks,
                preset << " space: blocks must be in [1, " << kMaxBlocks << "], got " << blocks);
  KYPER_REQUIRE(widths >= 1, preset << " space needs at least one width");
  KYPER_REQUIRE(activations >= 1, preset << " space needs at least one activation");
  KYPER_REQUIRE(anchors >= 1, preset << " space: anchors must be at least 1, got " << anchors);
}

void add_dense_skip(ArchitectureSpace& space, int blocks, const std::vector<int>& units,
                    const std::vector<Activation>& activations, int anchors, const std::vector<double>& dropout) {
  check_preset_lists("dense_skip", blocks, units.size(), activations.size(), anchors);
  std::vector<Operation> candidates = {Operation::identity()};
  for (int u : units)
    for (Activation a : activations) candidates.push_back(Operation::dense(u, a));
  for (double rate : dropout)
    if (rate != 0) candidates.push_back(Operation::dropout(rate));  // rate 0 is the identity already there
  for (int b = 0; b < blocks; ++b) {
    space.variable("layer_" + std::to_string(b), candidates);
    space.skip("skip_" + std::to_string(b), anchors, Merge::Add);
  }
}

void add_residual_mlp(ArchitectureSpace& space, int blocks, const std::vector<int>& widths,
                      const std::vector<Activation>& activations, int anchors) {
  check_preset_lists("residual_mlp", blocks, widths.size(), activations.size(), anchors);
  std::vector<Operation> layers;
  for (int w : widths)
    for (Activation a : activations) layers.push_back(Operation::dense(w, a));
  if (layers.size() == 1) space.constant("stem", layers[0]);
  else space.variable("stem", layers);
  layers.insert(layers.begin(), Operation::identity());
  for (int b = 0; b < blocks; ++b) {
    const std::string block = "block_" + std::to_string(b);
    space.variable(block, layers);
    space.mirror(block + "_mirror", block);
    space.skip("skip_" + std::to_string(b), anchors, Merge::Add);
  }
}

const EnumNames<OpKind> kCellNames("cell", {{OpKind::Lstm, "lstm"}, {OpKind::Gru, "gru"}});

void add_stacked_rnn(ArchitectureSpace& space, int blocks, const std::vector<OpKind>& cells,
                     const std::vector<int>& units, int anchors, Merge merge) {
  KYPER_REQUIRE(blocks >= 1 && blocks <= kMaxBlocks,
                "stacked_rnn space: blocks must be in [1, " << kMaxBlocks << "], got " << blocks);
  KYPER_REQUIRE(!cells.empty(), "stacked_rnn space needs at least one cell (lstm, gru)");
  KYPER_REQUIRE(!units.empty(), "stacked_rnn space needs at least one unit count");
  KYPER_REQUIRE(anchors >= 1, "stacked_rnn space: anchors must be at least 1, got " << anchors);
  std::vector<Operation> candidates = {Operation::identity()};
  for (OpKind cell : cells) {
    KYPER_REQUIRE(cell == OpKind::Lstm || cell == OpKind::Gru, "stacked_rnn space: cells must be lstm or gru");
    for (int u : units) candidates.push_back(cell == OpKind::Lstm ? Operation::lstm(u) : Operation::gru(u));
  }
  for (int b = 0; b < blocks; ++b) {
    space.variable("layer_" + std::to_string(b), candidates);
    space.skip("skip_" + std::to_string(b), anchors, merge);
  }
}

}  // namespace

ArchitectureSpace dense_skip_space(int inputs, int outputs, int blocks, const std::vector<int>& units,
                                   const std::vector<Activation>& activations, int anchors,
                                   const std::vector<double>& dropout) {
  ArchitectureSpace space(inputs, outputs);
  add_dense_skip(space, blocks, units, activations, anchors, dropout);
  return space;
}

ArchitectureSpace residual_mlp_space(int inputs, int outputs, int blocks, const std::vector<int>& widths,
                                     const std::vector<Activation>& activations, int anchors) {
  ArchitectureSpace space(inputs, outputs);
  add_residual_mlp(space, blocks, widths, activations, anchors);
  return space;
}

ArchitectureSpace stacked_rnn_space(int steps, int features_per_step, int horizon, int targets_per_step, int blocks,
                                    const std::vector<OpKind>& cells, const std::vector<int>& units, int anchors,
                                    Merge merge, SequenceHead head) {
  ArchitectureSpace space(0, 0);
  space.set_sequence_io(steps, features_per_step, horizon, targets_per_step);
  space.set_sequence_head(head);
  add_stacked_rnn(space, blocks, cells, units, anchors, merge);
  return space;
}

// --- JSON ----------------------------------------------------------------------------------

namespace {

using kyper::JsonObject;

// The keys the JSON form accepts, by object (ArchitectureSpace::json_keys lists them).
const std::set<std::string> kNodeKeys{"name", "type"};
const std::map<std::string, std::set<std::string>> kNodeTypeKeys{
    {"constant", {"op"}}, {"variable", {"ops"}}, {"mirror", {"of"}}, {"skip", {"anchors", "merge"}}};
const std::set<std::string> kSpaceKeys{"output_activation", "max_choices", "inputs", "outputs", "head"};
const std::set<std::string> kNodesKeys{"nodes"};
const std::set<std::string> kDenseSkipKeys{"preset", "blocks", "units", "activations", "anchors", "dropout"};
const std::set<std::string> kResidualKeys{"preset", "blocks", "widths", "activations", "anchors"};
const std::set<std::string> kStackedRnnKeys{"preset", "blocks", "cells", "units", "anchors", "merge"};

// The activations named by the string array under `name`; errors name the element.
std::vector<Activation> parse_activations(const JsonObject& object, const std::string& name) {
  std::vector<Activation> out;
  const auto names = object.texts(name);
  for (size_t i = 0; i < names.size(); ++i)
    out.push_back(object.checked(JsonObject::item(name, int(i)), [&] { return parse_activation(names[i]); }));
  return out;
}

void add_json_node(ArchitectureSpace& space, const rj::Value& value, const JsonObject& parent, int index) {
  const std::string path = parent.path(JsonObject::item("nodes", index));
  KYPER_REQUIRE(value.IsObject(), parent.key(JsonObject::item("nodes", index)) << " must be an object");
  auto type_member = value.FindMember("type");
  const std::string type = type_member != value.MemberEnd() && type_member->value.IsString()
                               ? type_member->value.GetString() : "";
  std::set<std::string> allowed = kNodeKeys;
  if (kNodeTypeKeys.count(type)) allowed.insert(kNodeTypeKeys.at(type).begin(), kNodeTypeKeys.at(type).end());
  else if (type_member == value.MemberEnd()) KYPER_FAIL(parent.where() << ": key '" << path << ".type' is missing");
  else KYPER_FAIL(parent.where() << ": key '" << path << ".type' must be constant, variable, mirror or skip");

  const JsonObject node(value, parent.where(), path, allowed);
  const std::string name = node.text("name");
  if (type == "constant") {
    const std::string op = node.text("op");
    const Operation parsed = node.checked("op", [&] { return Operation::parse(op); });
    node.checked("", [&] { space.constant(name, parsed); return 0; });
  } else if (type == "variable") {
    const auto texts = node.texts("ops");
    std::vector<Operation> ops;
    for (size_t i = 0; i < texts.size(); ++i)
      ops.push_back(node.checked(JsonObject::item("ops", int(i)), [&] { return Operation::parse(texts[i]); }));
    node.checked("", [&] { space.variable(name, ops); return 0; });
  } else if (type == "mirror") {
    const std::string of = node.text("of");
    node.checked("of", [&] { space.mirror(name, of); return 0; });
  } else {
    const int anchors = int(node.integer_in("anchors", 1, 1, kMaxUnits));
    const std::string merge_name = node.text("merge", "add");
    const Merge merge = node.checked("merge", [&] { return parse_merge(merge_name); });
    node.checked("", [&] { space.skip(name, anchors, merge); return 0; });
  }
}

}  // namespace

std::vector<std::string> ArchitectureSpace::json_keys() {
  std::set<std::string> keys(kSpaceKeys.begin(), kSpaceKeys.end());
  for (const auto* group : {&kNodesKeys, &kDenseSkipKeys, &kResidualKeys, &kStackedRnnKeys}) keys.insert(group->begin(), group->end());
  for (const auto& k : kNodeKeys) keys.insert("nodes[]." + k);
  for (const auto& [type, names] : kNodeTypeKeys)
    for (const auto& k : names) keys.insert("nodes[]." + k);
  return {keys.begin(), keys.end()};
}

ArchitectureSpace ArchitectureSpace::from_json(const std::string& text, const std::string& where,
                                               const std::string& key_prefix) {
  const rj::Document doc = json::parse(text, key_prefix.empty() ? where : where + ": key '" + key_prefix + "'");
  KYPER_REQUIRE(doc.IsObject(), where << (key_prefix.empty() ? "" : ": key '" + key_prefix + "'") << " must be an object");

  std::string preset;
  if (auto it = doc.FindMember("preset"); it != doc.MemberEnd()) {
    const std::string key = key_prefix.empty() ? "preset" : key_prefix + ".preset";
    KYPER_REQUIRE(it->value.IsString(), where << ": key '" << key << "' must be a string");
    preset = it->value.GetString();
    KYPER_REQUIRE(preset == "dense_skip" || preset == "residual_mlp" || preset == "stacked_rnn",
                  where << ": key '" << key << "' must be dense_skip, residual_mlp or stacked_rnn, got '" << preset
                        << "'");
  }
  std::set<std::string> allowed = kSpaceKeys;
  const auto& more = preset.empty()                ? kNodesKeys
                     : preset == "dense_skip"   ? kDenseSkipKeys
                     : preset == "residual_mlp" ? kResidualKeys
                                                : kStackedRnnKeys;
  allowed.insert(more.begin(), more.end());
  const JsonObject top(doc, where, key_prefix, allowed);

  const int inputs = int(top.integer_in("inputs", 0, 1, kMaxUnits));
  const int outputs = int(top.integer_in("outputs", 0, 1, kMaxUnits));
  const std::string output_activation_name = top.text("output_activation", "identity");
  const Activation output_activation = top.checked("output_activation", [&] { return parse_activation(output_activation_name); });
  const int max_choices = int(top.integer_in("max_choices", 64, 2, 1 << 20));
  ArchitectureSpace space(inputs, outputs, output_activation, max_choices);
  const std::string head_name = top.text("head", "flatten");
  const SequenceHead head = top.checked("head", [&] { return parse_sequence_head(head_name); });
  if (head == SequenceHead::PerStep)
    for (const char* io : {"inputs", "outputs"})
      KYPER_REQUIRE(!top.has(io), top.key("head") << ": \"per_step\" is a sequence head, but " << top.path(io)
                                                  << " makes a plain space; leave out inputs and outputs (a sequence "
                                                     "space takes its widths from the job's sequence section)");
  space.set_sequence_head(head);

  const std::vector<Activation> default_activations = {Activation::Relu, Activation::Tanh};
  if (preset == "dense_skip") {
    const int blocks = int(top.integer_in("blocks", 3, 1, kMaxBlocks));
    const auto units = top.has("units") ? top.integers("units", 1, kMaxUnits) : std::vector<int>{16, 32, 48, 64, 96};
    const auto activations = top.has("activations") ? parse_activations(top, "activations") : default_activations;
    const int anchors = int(top.integer_in("anchors", 2, 1, kMaxBlocks));
    const auto dropout = top.has("dropout") ? top.numbers("dropout", 0, 1) : std::vector<double>{};
    top.checked("preset", [&] { add_dense_skip(space, blocks, units, activations, anchors, dropout); return 0; });
  } else if (preset == "residual_mlp") {
    const int blocks = int(top.integer_in("blocks", 3, 1, kMaxBlocks));
    const auto widths = top.has("widths") ? top.integers("widths", 1, kMaxUnits) : std::vector<int>{32, 64, 128};
    const auto activations = top.has("activations") ? parse_activations(top, "activations") : default_activations;
    const int anchors = int(top.integer_in("anchors", 2, 1, kMaxBlocks));
    top.checked("preset", [&] { add_residual_mlp(space, blocks, widths, activations, anchors); return 0; });
  } else if (preset == "stacked_rnn") {
    const int blocks = int(top.integer_in("blocks", 3, 1, kMaxBlocks));
    std::vector<OpKind> cells = {OpKind::Lstm, OpKind::Gru};
    if (top.has("cells")) {
      cells.clear();
      const auto names = top.texts("cells");
      for (size_t i = 0; i < names.size(); ++i)
        cells.push_back(top.checked(JsonObject::item("cells", int(i)), [&] { return kCellNames.parse(names[i]); }));
    }
    const auto units = top.has("units") ? top.integers("units", 1, kMaxUnits) : std::vector<int>{16, 32, 64};
    const int anchors = int(top.integer_in("anchors", 2, 1, kMaxBlocks));
    const std::string merge_name = top.text("merge", "add");
    const Merge merge = top.checked("merge", [&] { return parse_merge(merge_name); });
    top.checked("preset", [&] { add_stacked_rnn(space, blocks, cells, units, anchors, merge); return 0; });
  } else {
    const auto nodes = top.array("nodes");
    KYPER_REQUIRE(!nodes.Empty(), top.key("nodes") << " must hold at least one node");
    int i = 0;
    for (const auto& node : nodes) add_json_node(space, node, top, i++);
  }
  // Given widths make a plain space, which cannot hold recurrent layers: say so now, naming the node.
  for (const char* io : {"inputs", "outputs"})
    if (top.has(io))
      if (const std::string recurrent = space.first_recurrent(); !recurrent.empty())
        KYPER_FAIL(top.key(io) << ": " << recurrent << ", a recurrent layer, which reads sequences: a recurrent "
                                           "space takes its widths from the sequence input (a job's sequence "
                                           "section, or set_sequence_io), so leave out inputs and outputs");
  return space;
}

}  // namespace kyper::nas
