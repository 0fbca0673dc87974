// The model graph as data: a DAG of named nodes (input, dense, activation, dropout, add, concat,
// lstm, gru, output). A plain MLP is one chain; NAS builds graphs from integer choices. plan_graph()
// validates a spec (names, arity, cycles, dangling nodes, merge widths, sequence shapes) and lays out
// parameters and buffers.
//
// Sequences: an input node with steps > 0 holds `steps` time steps of `units` features per sample.
// A node's value is stored sample-major, (rows, steps, width), so the flat row of a sample is its
// steps one after the other. Dense, activation, dropout, add and concat act on every step alike
// (time-distributed); an lstm/gru node reads a sequence and returns either every step's hidden state
// (return_sequences) or the last one, which is no longer a sequence and feeds dense nodes; flatten
// turns a sequence into one vector of all its steps.
#pragma once

#include <string>
#include <vector>

#include <kyper/kernels.hpp>

namespace kyper {

enum class NodeKind : int { Input = 0, Dense, Activation, Dropout, Add, Concat, Output, Lstm, Gru, Flatten };
enum class Init : int { Auto = 0, GlorotUniform, GlorotNormal, HeUniform, HeNormal };

struct NodeSpec {
  std::string name;
  NodeKind kind = NodeKind::Dense;
  std::vector<std::string> inputs;
  int units = 0;  // Input: features (per step); Dense: output width; Lstm/Gru: hidden state width
  Activation activation = Activation::Identity;
  bool bias = true;
  double rate = 0;  // Dropout probability
  Init init = Init::Auto;
  int steps = 0;                  // Input: sequence length; 0 = not a sequence
  bool return_sequences = false;  // Lstm/Gru: every step's state (a sequence) or the last one

  template <class Archive>
  void serialize(Archive& ar) {
    ar(name, kind, inputs, units, activation, bias, rate, init);
    if (!reading_format_one()) ar(steps, return_sequences);
  }
  // Set while a model file of format 1 (before sequences) is read: its nodes end after `init`.
  static bool& reading_format_one();
};

struct GraphSpec {
  std::vector<NodeSpec> nodes;

  // Builders return the new node's name so chains read naturally.
  std::string input(const std::string& name, int features);
  std::string sequence_input(const std::string& name, int steps, int features);
  std::string lstm(const std::string& name, const std::string& from, int units, bool return_sequences = false);
  std::string gru(const std::string& name, const std::string& from, int units, bool return_sequences = false);
  // A sequence's steps side by side as one vector (steps x width values; the memory is unchanged).
  std::string flatten(const std::string& name, const std::string& from);
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
  int width = 0;                  // features per step
  int steps = 1;                  // time steps per sample (1 for a plain vector)
  bool sequence = false;          // a sequence (even of one step): what a recurrent node reads
  int in_width = 0;               // Dense, Lstm, Gru: input features per step
  long weight_offset = -1;        // Dense: in_width x width; Lstm/Gru: in_width x gates*width (input weights)
  long bias_offset = -1;          // Dense with bias; Lstm/Gru: gates*width
  long recurrent_offset = -1;     // Lstm/Gru: width x gates*width (recurrent weights)
  long recurrent_bias_offset = -1;  // Gru: width (bias inside the reset product)
  bool return_sequences = false;  // Lstm/Gru

  long row_width() const { return long(steps) * width; }  // values per sample
  Activation activation = Activation::Identity;
  double rate = 0;
  Init init = Init::Auto;
};

struct GraphPlan {
  std::vector<PlannedNode> nodes;  // topological order: inputs before consumers
  int input_node = 0;
  int output_node = 0;
  int input_width = 0;   // values per sample: steps x features for a sequence input
  int output_width = 0;  // values per sample: steps x width for a sequence output
  int input_steps = 0;   // the input's steps (0 = not a sequence)
  long parameter_count = 0;
};

GraphPlan plan_graph(const GraphSpec& spec);

// Gates per recurrent cell: LSTM 4 (input, forget, cell, output), GRU 3 (reset, update, new).
inline int recurrent_gates(NodeKind kind) { return kind == NodeKind::Lstm ? 4 : 3; }
inline bool is_recurrent(NodeKind kind) { return kind == NodeKind::Lstm || kind == NodeKind::Gru; }

const char* to_string(NodeKind kind);
const char* to_string(Activation activation);
Activation parse_activation(const std::string& name);  // error lists the valid names
NodeKind parse_node_kind(const std::string& name);
Init parse_init(const std::string& name);

}  // namespace kyper
