// The model graph as data: a DAG of named nodes (input, dense, activation, dropout, add, concat,
// output). A plain MLP is one chain; NAS builds graphs from integer choices. plan_graph() validates a
// spec (names, arity, cycles, dangling nodes, merge widths) and lays out parameters and buffers.
#pragma once

#include <string>
#include <vector>

#include <kyper/kernels.hpp>

namespace kyper {

enum class NodeKind : int { Input = 0, Dense, Activation, Dropout, Add, Concat, Output };
enum class Init : int { Auto = 0, GlorotUniform, GlorotNormal, HeUniform, HeNormal };

struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::Dense;
  std::vector<std::string> inputs;
  int units = 0;  // Input: number of features; Dense: output width
  Activation activation = Activation::Identity;
  bool bias = true;
  double rate = 0;  // Dropout probability
  Init init = Init::Auto;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(name, kind, inputs, units, activation, bias, rate, init);
  }
};

struct GraphSpec {
  std::vector<NodeSpec> nodes;

  // Builders return the new node's name so chains read naturally.
  std::string input(const std::string& name, int features);
  std::string dense(const std::string& name, const std::string& from, int units,
                    Activation activation = Activation::Identity, bool bias = true, Init init = Init::Auto);
  std::string activation(const std::string& name, const std::string& from, Activation activation);
  std::string dropout(const std::string& name, const std::string& from, double rate);
  std::string add(const std::string& name, const std::vector<std::string>& from);
  std::string concat(const std::string& name, const std::vector<std::string>& from);
  std::string output(const std::string& name, const std::string& from);

  template <class Archive>
  void serialize(Archive& ar) {
    ar(nodes);
  }
};

// inputs -> hidden[0] -> ... -> outputs, `activation` on hidden layers, optional dropout after each.
GraphSpec make_mlp(int inputs, const std::vector<int>& hidden, int outputs, Activation activation,
                   double dropout = 0);

struct PlannedNode {
  int spec_index = 0;
  NodeKind kind = NodeKind::Input;
  std::string name;
  std::vector<int> inputs;  // positions in GraphPlan::nodes
  int width = 0;
  int in_width = 0;               // Dense
  long weight_offset = -1;        // Dense: in_width x width block in the flat parameter array
  long bias_offset = -1;          // Dense with bias
  Activation activation = Activation::Identity;
  double rate = 0;
  Init init = Init::Auto;
};

struct GraphPlan {
  std::vector<PlannedNode> nodes;  // topological order: inputs before consumers
  int input_node = 0;
  int output_node = 0;
  int input_width = 0;
  int output_width = 0;
  long parameter_count = 0;
};

GraphPlan plan_graph(const GraphSpec& spec);

const char* to_string(NodeKind kind);
const char* to_string(Activation activation);
Activation parse_activation(const std::string& name);  // error lists the valid names
NodeKind parse_node_kind(const std::string& name);
Init parse_init(const std::string& name);

}  // namespace kyper
