#include <kyper/graph.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <kyper/enum_names.hpp>
#include <kyper/error.hpp>

namespace kyper {

namespace {
std::string add_node(GraphSpec& spec, NodeSpec node) {
  spec.nodes.push_back(std::move(node));
  return spec.nodes.back().name;
}
}  // namespace

bool& NodeSpec::reading_format_one() {
  thread_local bool format_one = false;
  return format_one;
}

std::string GraphSpec::input(const std::string& name, int features) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Input, n.units = features;
  return add_node(*this, n);
}
std::string GraphSpec::sequence_input(const std::string& name, int steps, int features) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Input, n.units = features, n.steps = steps;
  return add_node(*this, n);
}
std::string GraphSpec::lstm(const std::string& name, const std::string& from, int units, bool return_sequences) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Lstm, n.inputs = {from}, n.units = units, n.return_sequences = return_sequences;
  return add_node(*this, n);
}
std::string GraphSpec::gru(const std::string& name, const std::string& from, int units, bool return_sequences) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Gru, n.inputs = {from}, n.units = units, n.return_sequences = return_sequences;
  return add_node(*this, n);
}
std::string GraphSpec::flatten(const std::string& name, const std::string& from) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Flatten, n.inputs = {from};
  return add_node(*this, n);
}
std::string GraphSpec::dense(const std::string& name, const std::string& from, int units, Activation act, bool bias,
                             Init init) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Dense, n.inputs = {from}, n.units = units, n.activation = act, n.bias = bias;
  n.init = init;
  return add_node(*this, n);
}
std::string GraphSpec::activation(const std::string& name, const std::string& from, Activation act) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Activation, n.inputs = {from}, n.activation = act;
  return add_node(*this, n);
}
std::string GraphSpec::dropout(const std::string& name, const std::string& from, double rate) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Dropout, n.inputs = {from}, n.rate = rate;
  return add_node(*this, n);
}
std::string GraphSpec::add(const std::string& name, const std::vector<std::string>& from) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Add, n.inputs = from;
  return add_node(*this, n);
}
std::string GraphSpec::concat(const std::string& name, const std::vector<std::string>& from) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Concat, n.inputs = from;
  return add_node(*this, n);
}
std::string GraphSpec::output(const std::string& name, const std::string& from) {
  NodeSpec n;
  n.name = name, n.kind = NodeKind::Output, n.inputs = {from};
  return add_node(*this, n);
}

GraphSpec make_mlp(int inputs, const std::vector<int>& hidden, int outputs, Activation activation, double dropout) {
  GraphSpec g;
  std::string last = g.input("input", inputs);
  for (size_t i = 0; i < hidden.size(); ++i) {
    last = g.dense("dense_" + std::to_string(i), last, hidden[i], activation);
    if (dropout > 0) last = g.dropout("dropout_" + std::to_string(i), last, dropout);
  }
  last = g.dense("head", last, outputs, Activation::Identity);
  g.output("output", last);
  return g;
}

namespace {

// The edges of a graph: for each node, the nodes it reads and the nodes that read it.
struct Edges {
  std::vector<std::vector<int>> inputs, consumers;
};

// Checks each node on its own (names, arity, sizes) and resolves the names of its inputs.
Edges check_nodes_and_link(const std::vector<NodeSpec>& nodes) {
  KYPER_REQUIRE(!nodes.empty(), "model graph is empty: it needs an input node and an output node");
  std::map<std::string, int> index;
  for (size_t i = 0; i < nodes.size(); ++i) {
    KYPER_REQUIRE(!nodes[i].name.empty(), "model graph: node #" << i << " has no name");
    KYPER_REQUIRE(index.emplace(nodes[i].name, int(i)).second,
                  "model graph: duplicate node name '" << nodes[i].name << "'");
  }
  int input_count = 0, output_count = 0;
  Edges edges;
  edges.inputs.resize(nodes.size());
  edges.consumers.resize(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const NodeSpec& n = nodes[i];
    const size_t arity = n.inputs.size();
    switch (n.kind) {
      case NodeKind::Input:
        ++input_count;
        KYPER_REQUIRE(arity == 0, "model graph: input node '" << n.name << "' cannot have inputs");
        KYPER_REQUIRE(n.units > 0, "model graph: input node '" << n.name << "' needs a positive feature count");
        KYPER_REQUIRE(n.steps >= 0 && n.steps <= (1 << 20), "model graph: input node '" << n.name << "' has "
                                                               << n.steps << " steps; a sequence needs 1 to "
                                                               << (1 << 20) << " (0: not a sequence)");
        break;
      case NodeKind::Add:
      case NodeKind::Concat:
        KYPER_REQUIRE(arity >= 2, "model graph: " << to_string(n.kind) << " node '" << n.name
                                                  << "' needs at least two inputs, has " << arity);
        break;
      default:
        KYPER_REQUIRE(arity == 1, "model graph: " << to_string(n.kind) << " node '" << n.name
                                                  << "' needs exactly one input, has " << arity);
    }
    if (n.kind == NodeKind::Output) ++output_count;
    if (n.kind == NodeKind::Dense || is_recurrent(n.kind))
      KYPER_REQUIRE(n.units > 0, "model graph: " << to_string(n.kind) << " node '" << n.name
                                                 << "' needs units > 0, has " << n.units);
    if (n.kind == NodeKind::Dropout)
      KYPER_REQUIRE(n.rate >= 0 && n.rate < 1,
                    "model graph: dropout node '" << n.name << "' needs 0 <= rate < 1, has " << n.rate);
    for (const auto& from : n.inputs) {
      auto it = index.find(from);
      KYPER_REQUIRE(it != index.end(), "model graph: node '" << n.name << "' reads unknown node '" << from << "'");
      KYPER_REQUIRE(it->second != int(i), "model graph: node '" << n.name << "' reads itself");
      edges.inputs[i].push_back(it->second);
      edges.consumers[it->second].push_back(int(i));
    }
  }
  KYPER_REQUIRE(input_count == 1, "model graph needs exactly one input node, has " << input_count);
  KYPER_REQUIRE(output_count == 1, "model graph needs exactly one output node, has " << output_count);

  return edges;
}

// Kahn's algorithm in spec order, so the plan is deterministic; a cycle or a dangling node is an error.
std::vector<int> topological_order(const std::vector<NodeSpec>& nodes, const Edges& edges) {
  const auto& inputs = edges.inputs;
  const auto& consumers = edges.consumers;
  std::vector<int> pending(nodes.size()), order;
  for (size_t i = 0; i < nodes.size(); ++i) pending[i] = int(inputs[i].size());
  std::set<int> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0) ready.insert(int(i));
  while (!ready.empty()) {
    const int i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(i);
    for (int c : consumers[i])
      if (--pending[c] == 0) ready.insert(c);
  }
  if (order.size() != nodes.size()) {
    std::string cycle;
    for (size_t i = 0; i < nodes.size(); ++i)
      if (pending[i] > 0) cycle += (cycle.empty() ? "'" : ", '") + nodes[i].name + "'";
    KYPER_FAIL("model graph has a cycle through nodes " << cycle);
  }
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind == NodeKind::Output)
      KYPER_REQUIRE(consumers[i].empty(), "model graph: output node '" << nodes[i].name << "' cannot feed other nodes");
    else
      KYPER_REQUIRE(!consumers[i].empty(),
                    "model graph: node '" << nodes[i].name << "' is dangling (its output is never used)");
  }

  return order;
}

// Bounds that keep widths and parameter offsets from overflowing (a graph may come from a corrupt
// file): far above any network Kyper trains.
constexpr long kMaxNodeWidth = 1L << 24;
constexpr long kMaxParameters = 1L << 40;

// Widths and parameter offsets, node by node in topological order.
GraphPlan lay_out(const std::vector<NodeSpec>& nodes, const Edges& edges, const std::vector<int>& order) {
  const auto& inputs = edges.inputs;
  GraphPlan plan;
  std::vector<int> position(nodes.size());
  for (size_t p = 0; p < order.size(); ++p) position[order[p]] = int(p);
  long offset = 0;
  for (int i : order) {
    const NodeSpec& n = nodes[i];
    PlannedNode pn;
    pn.spec_index = i, pn.kind = n.kind, pn.name = n.name, pn.activation = n.activation, pn.rate = n.rate;
    pn.init = n.init;
    for (int from : inputs[i]) pn.inputs.push_back(position[from]);
    auto width_of = [&](int k) { return plan.nodes[pn.inputs[k]].width; };
    if (!pn.inputs.empty()) {  // the shape in time follows the first input; merges check the others
      const PlannedNode& first = plan.nodes[pn.inputs[0]];
      pn.steps = first.steps, pn.sequence = first.sequence;
      for (size_t k = 1; k < pn.inputs.size(); ++k) {
        const PlannedNode& other = plan.nodes[pn.inputs[k]];
        KYPER_REQUIRE(other.sequence == first.sequence && other.steps == first.steps,
                      "model graph: " << to_string(n.kind) << " node '" << n.name << "' merges '" << n.inputs[0]
                                      << "' (" << (first.sequence ? std::to_string(first.steps) + " steps" : "not a sequence")
                                      << ") with '" << n.inputs[k] << "' ("
                                      << (other.sequence ? std::to_string(other.steps) + " steps" : "not a sequence")
                                      << "); merged inputs must have the same steps");
      }
    }
    switch (n.kind) {
      case NodeKind::Input:
        KYPER_REQUIRE(n.units <= kMaxNodeWidth, "model graph: input node '" << n.name << "' has " << n.units
                                                   << " features, more than " << kMaxNodeWidth);
        KYPER_REQUIRE(long(n.units) * std::max(1, n.steps) <= kMaxNodeWidth,
                      "model graph: input node '" << n.name << "' has " << n.steps << " steps of " << n.units
                                                  << " features, more than " << kMaxNodeWidth << " values");
        pn.width = n.units;
        pn.steps = std::max(1, n.steps), pn.sequence = n.steps > 0;
        plan.input_node = int(plan.nodes.size());
        plan.input_width = int(pn.row_width());
        plan.input_steps = n.steps;
        break;
      case NodeKind::Lstm:
      case NodeKind::Gru: {
        const PlannedNode& from = plan.nodes[pn.inputs[0]];
        KYPER_REQUIRE(from.sequence, "model graph: " << to_string(n.kind) << " node '" << n.name << "' reads '"
                                                     << n.inputs[0]
                                                     << "', which is not a sequence; a recurrent node needs a "
                                                        "sequence input (an input with steps, or a recurrent node "
                                                        "with return_sequences)");
        KYPER_REQUIRE(n.units <= kMaxNodeWidth, "model graph: " << to_string(n.kind) << " node '" << n.name << "' has "
                                                                << n.units << " units, more than " << kMaxNodeWidth);
        const long gates = recurrent_gates(n.kind) * long(n.units);
        pn.in_width = from.width, pn.width = n.units;
        pn.return_sequences = n.return_sequences;
        if (!n.return_sequences) pn.steps = 1, pn.sequence = false;
        pn.weight_offset = offset;
        offset += long(pn.in_width) * gates;
        pn.recurrent_offset = offset;
        offset += long(pn.width) * gates;
        pn.bias_offset = offset;
        offset += gates;
        if (n.kind == NodeKind::Gru) {
          pn.recurrent_bias_offset = offset;
          offset += pn.width;
        }
        KYPER_REQUIRE(offset <= kMaxParameters, "model graph: more than " << kMaxParameters << " parameters");
        break;
      }
      case NodeKind::Dense:
        pn.in_width = width_of(0), pn.width = n.units;
        pn.weight_offset = offset;
        KYPER_REQUIRE(n.units <= kMaxNodeWidth, "model graph: dense node '" << n.name << "' has " << n.units
                                                   << " units, more than " << kMaxNodeWidth);
        offset += long(pn.in_width) * pn.width;
        if (n.bias) {
          pn.bias_offset = offset;
          offset += pn.width;
        }
        KYPER_REQUIRE(offset <= kMaxParameters, "model graph: more than " << kMaxParameters << " parameters");
        break;
      case NodeKind::Add:
        pn.width = width_of(0);
        for (size_t k = 1; k < pn.inputs.size(); ++k)
          KYPER_REQUIRE(width_of(int(k)) == pn.width,
                        "model graph: add node '" << n.name << "' merges '" << n.inputs[0] << "' (width " << pn.width
                                                  << ") with '" << n.inputs[k] << "' (width " << width_of(int(k))
                                                  << "); widths must match (use concat or a dense projection)");
        break;
      case NodeKind::Concat: {
        long width = 0;  // in long: a graph read from a file may concatenate wide nodes many times
        for (size_t k = 0; k < pn.inputs.size() && width <= kMaxNodeWidth; ++k) width += width_of(int(k));
        KYPER_REQUIRE(width <= kMaxNodeWidth, "model graph: concat node '" << n.name << "' is wider than "
                                                  << kMaxNodeWidth << ", the most a node may be");
        pn.width = int(width);
        break;
      }
      case NodeKind::Flatten:
        pn.width = int(plan.nodes[pn.inputs[0]].row_width());
        pn.steps = 1, pn.sequence = false;
        break;
      case NodeKind::Output:
        plan.output_node = int(plan.nodes.size());
        pn.width = width_of(0);
        KYPER_REQUIRE(pn.row_width() <= kMaxNodeWidth, "model graph: output node '" << n.name << "' has more than "
                                                                                  << kMaxNodeWidth << " values per sample");
        plan.output_width = int(pn.row_width());
        break;
      default:
        pn.width = width_of(0);
    }
    plan.nodes.push_back(pn);
  }
  plan.parameter_count = offset;
  return plan;
}

}  // namespace

GraphPlan plan_graph(const GraphSpec& spec) {
  const Edges edges = check_nodes_and_link(spec.nodes);
  return lay_out(spec.nodes, edges, topological_order(spec.nodes, edges));
}

namespace {
const EnumNames<NodeKind> kNodeKindNames("node kind", {{NodeKind::Input, "input"},
                                                      {NodeKind::Dense, "dense"},
                                                      {NodeKind::Activation, "activation"},
                                                      {NodeKind::Dropout, "dropout"},
                                                      {NodeKind::Add, "add"},
                                                      {NodeKind::Concat, "concat"},
                                                      {NodeKind::Output, "output"},
                                                      {NodeKind::Lstm, "lstm"},
                                                      {NodeKind::Gru, "gru"},
                                                      {NodeKind::Flatten, "flatten"}});
const EnumNames<Activation> kActivationNames("activation",
                                             {{Activation::Identity, "identity"},
                                              {Activation::Relu, "relu"},
                                              {Activation::Tanh, "tanh"},
                                              {Activation::Sigmoid, "sigmoid"},
                                              {Activation::Swish, "swish"},
                                              {Activation::Gelu, "gelu"},
                                              {Activation::Elu, "elu"}},
                                             {{Activation::Swish, "silu"}});
const EnumNames<Init> kInitNames("initialisation", {{Init::Auto, "auto"},
                                                    {Init::GlorotUniform, "glorot_uniform"},
                                                    {Init::GlorotNormal, "glorot_normal"},
                                                    {Init::HeUniform, "he_uniform"},
                                                    {Init::HeNormal, "he_normal"}});
}  // namespace

const char* to_string(NodeKind kind) { return kNodeKindNames.name(kind); }
const char* to_string(Activation activation) { return kActivationNames.name(activation); }
Activation parse_activation(const std::string& name) { return kActivationNames.parse(name); }
NodeKind parse_node_kind(const std::string& name) { return kNodeKindNames.parse(name); }
Init parse_init(const std::string& name) { return kInitNames.parse(name); }

}  // namespace kyper
