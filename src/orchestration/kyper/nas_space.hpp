// The neural-architecture-search space: an ordered list of nodes whose choices turn an integer
// vector (an "architecture") into a GraphSpec. Constant nodes always apply their operation,
// variable nodes pick one of their candidates, mirrors repeat an earlier variable node's pick and
// skip nodes may merge the running tensor with an earlier anchor (an earlier layer's output, after
// any merge that followed it, as in DeepHyper). Each variable and skip node is one dimension, so
// every search algorithm sees the space as integers in [0, choices - 1].
//
// A sequence space (set_sequence_io) reads `steps` time steps of `features_per_step` values per
// sample and predicts `horizon` steps of `targets_per_step` values: its layers act on every step
// (dense, dropout, activation and skip merges are time-distributed), lstm/gru layers return their
// whole sequence so they stack and skip-connect like dense ones (as in Maulik et al., "Recurrent
// Neural Network Architecture Search for Geophysical Emulation", SC20), and the head maps the final
// sequence to horizon x targets_per_step values per sample, step-major (see SequenceHead).
#pragma once

#include <string>
#include <vector>

#include <kyper/graph.hpp>
#include <kyper/search/configuration.hpp>
#include <kyper/search/space.hpp>

namespace kyper::nas {

enum class OpKind { Identity, Dense, Dropout, Activation, Lstm, Gru };

// One candidate layer. Text forms: "identity", "dense:32" (no activation), "dense:32:relu",
// "dropout:0.1", "activation:tanh", "lstm:32", "gru:32" (recurrent layers returning every step's
// state; only in a sequence space).
struct Operation {
  OpKind kind = OpKind::Identity;
  int units = 0;                                 // Dense, Lstm, Gru
  Activation activation = Activation::Identity;  // Dense, Activation
  double rate = 0;                               // Dropout

  static Operation identity() { return {}; }
  static Operation dense(int units, Activation activation = Activation::Identity);
  static Operation dropout(double rate);
  static Operation activation_layer(Activation activation);
  static Operation lstm(int units);
  static Operation gru(int units);
  bool recurrent() const { return kind == OpKind::Lstm || kind == OpKind::Gru; }

  // Throws kyper::Error naming `text` and listing the valid forms.
  static Operation parse(const std::string& text);
  std::string to_string() const;  // parse(op.to_string()) == op
  // Throws kyper::Error when units or rate are out of range.
  void validate() const;

  friend bool operator==(const Operation& a, const Operation& b) {
    return a.kind == b.kind && a.units == b.units && a.activation == b.activation && a.rate == b.rate;
  }
  friend bool operator!=(const Operation& a, const Operation& b) { return !(a == b); }
};

enum class Merge { Add, Concat };
const char* to_string(Merge merge);
Merge parse_merge(const std::string& name);  // "add" or "concat"

// The head of a sequence space. Flatten (the default): "head/flatten" lays the final sequence's
// steps side by side, then a dense "head" of horizon * targets_per_step units, so every forecast
// step reads every input step. PerStep (only when steps == horizon): a time-distributed dense
// "head" of targets_per_step units on every step, the sequence-to-sequence form of Maulik et al.
// (SC20); output step k then reads only the recurrent state after input step k.
enum class SequenceHead { Flatten, PerStep };
const char* to_string(SequenceHead head);
SequenceHead parse_sequence_head(const std::string& name);  // "flatten" or "per_step"

// Anchors are the input and the output of every constant, variable and mirror node so far, where a
// skip that merges replaces the most recent anchor (its running tensor) with the merged tensor: as
// in DeepHyper, an anchor is a block's output after its skip merge, so later skips connect to
// merged outputs. A skip node with `anchors = k` at a position with A anchors before the most
// recent one has 1 + min(k, A) choices: 0 = no connection, j >= 1 = merge the running tensor with
// the j-th most recent earlier anchor (j = 1: the input of the latest layer node, which is the
// previous skip's merge when that skip merged). A skip whose anchor is the running tensor itself
// (identity layers in between) merges nothing. Merges replace anchors rather than add them, so the
// count depends only on the node order, never on other choices: the space is a plain box of integers.
class ArchitectureSpace {
 public:
  // inputs/outputs may be 0 while unknown (a JSON space takes them from the dataset): set_io() or
  // set_sequence_io() before build(). max_choices bounds the choices of every node, so a typo cannot explode the space.
  ArchitectureSpace(int inputs, int outputs, Activation output_activation = Activation::Identity,
                    int max_choices = 64);

  // Node names: letters, digits, '_', '-', '.'; unique; not "input", "head" or "output" (graph
  // nodes built around the space). Every check throws kyper::Error naming the node.
  ArchitectureSpace& constant(const std::string& name, Operation op);
  ArchitectureSpace& variable(const std::string& name, std::vector<Operation> candidates);
  ArchitectureSpace& mirror(const std::string& name, const std::string& of);  // an earlier variable node
  ArchitectureSpace& skip(const std::string& name, int anchors, Merge merge = Merge::Add);

  // A plain space: `inputs` features in, `outputs` values out. Throws naming the first node that
  // offers a recurrent operation (recurrent layers need a sequence space).
  void set_io(int inputs, int outputs);
  // A sequence space (see the top of this file): inputs() becomes steps * features_per_step and
  // outputs() horizon * targets_per_step, the values per sample of the graph's input and output.
  // The head: see SequenceHead and set_sequence_head (default Flatten). Throws when the space has
  // the per-step head and steps != horizon.
  void set_sequence_io(int steps, int features_per_step, int horizon, int targets_per_step);
  // The head of a sequence space; PerStep needs steps == horizon (checked here for a sequence
  // space, else by set_sequence_io; build() throws for a plain space with the per-step head).
  void set_sequence_head(SequenceHead head);
  SequenceHead sequence_head() const { return head_; }
  bool is_sequence() const { return steps_ > 0; }
  int steps() const { return steps_; }                        // 0 for a plain space
  int features_per_step() const { return features_per_step_; }  // 0 for a plain space
  int horizon() const { return horizon_; }                    // 0 for a plain space
  int targets_per_step() const { return targets_per_step_; }  // 0 for a plain space
  // Whether some node offers an lstm or gru operation (the space then needs set_sequence_io).
  bool recurrent() const;
  void set_output_activation(Activation activation) { output_activation_ = activation; }
  int inputs() const { return inputs_; }
  int outputs() const { return outputs_; }
  Activation output_activation() const { return output_activation_; }
  int max_choices() const { return max_choices_; }

  // One dimension per variable and skip node, in node order.
  int dimensions() const { return int(dimension_nodes_.size()); }
  std::vector<int> choices() const;
  std::vector<std::string> dimension_names() const;
  double size() const;  // number of architectures: the product of choices()

  // The model graph of an architecture: input -> nodes -> dense head (outputs, output
  // activation) -> output; a sequence space starts from a sequence input and ends with the head of
  // set_sequence_io. Graph nodes take the space nodes' names; a skip's merge node is named after
  // the skip and its projection "<skip>/projection". Throws naming the node whose entry is out of
  // range, or the expected length, or the recurrent node of a space that is not a sequence space.
  GraphSpec build(const std::vector<int>& architecture) const;
  long parameter_count(const std::vector<int>& architecture) const;
  // One line per node: the layer and its width, each skip's source and merge, then the parameter count.
  std::string summary(const std::vector<int>& architecture) const;

  // One integer parameter "arch_<node>" in [0, choices - 1] per dimension, and back.
  search::Space search_space() const;
  std::vector<int> architecture_of(const search::Configuration& config) const;
  static std::string parameter_name(const std::string& node) { return "arch_" + node; }

  // {"nodes": [{"name": "b0", "type": "variable", "ops": ["identity", "dense:32:relu"]},
  //            {"name": "c0", "type": "constant", "op": "dense:16:relu"},
  //            {"name": "m0", "type": "mirror", "of": "b0"},
  //            {"name": "s0", "type": "skip", "anchors": 2, "merge": "add"}],
  //  "output_activation": "identity", "max_choices": 64}
  // or a preset: {"preset": "dense_skip", "blocks": 3, "units": [16, 32], "activations": ["relu"],
  //  "anchors": 2, "dropout": [0.0, 0.1]}, {"preset": "residual_mlp", "blocks": 3, "widths": [32, 64],
  //  "activations": ["relu"], "anchors": 2}, {"preset": "stacked_rnn", "blocks": 3, "cells": ["lstm",
  //  "gru"], "units": [16, 32, 64], "anchors": 2, "merge": "add", "head": "flatten"}; preset keys
  //  left out take the functions' defaults below. Optional "inputs"/"outputs" override set_io() (a
  //  plain space only: with a recurrent node they are an error naming it; a sequence space takes its
  //  widths from set_sequence_io). Optional "head" ("flatten" or "per_step", any form): the
  //  sequence head (set_sequence_head); "per_step" with "inputs"/"outputs" is an error.
  // Errors read "<where>: key '<key_prefix>.nodes[2].ops[1]' ...".
  // Every key path the JSON form accepts ("nodes[].ops", "blocks", ...), for the key reference.
  static std::vector<std::string> json_keys();
  static ArchitectureSpace from_json(const std::string& text, const std::string& where,
                                     const std::string& key_prefix = "");

 private:
  enum class NodeType { Constant, Variable, Mirror, Skip };
  struct Node {
    std::string name;
    NodeType type = NodeType::Constant;
    std::vector<Operation> candidates;  // Constant: one; Variable: the choices
    int source = -1;                    // Mirror: index of its variable node
    int skip_anchors = 0;               // Skip: how far back it may reach
    Merge merge = Merge::Add;
    int choices = 1;                    // Variable, Skip
    int dimension = -1;                 // Variable, Skip: entry in the architecture vector
  };
  struct Built {
    GraphSpec graph;
    std::vector<std::string> lines;
  };

  void check_new_name(const std::string& name, const char* type) const;
  Node& add_node(const std::string& name, NodeType type);
  void check_architecture(const std::vector<int>& architecture) const;
  Built realize(const std::vector<int>& architecture) const;

  // The first node offering a recurrent operation as "<type> node '<name>' offers '<op>'", or "".
  std::string first_recurrent() const;
  void require_sequence_for_recurrent(const char* context) const;

  int inputs_ = 0, outputs_ = 0;
  int steps_ = 0, features_per_step_ = 0, horizon_ = 0, targets_per_step_ = 0;  // sequence space
  SequenceHead head_ = SequenceHead::Flatten;
  Activation output_activation_ = Activation::Identity;
  int max_choices_ = 64;
  std::vector<Node> nodes_;
  std::vector<int> dimension_nodes_;  // node index per dimension
  int anchor_count_ = 1;              // the input, then one per layer node
};

// Like DeepHyper's supervised regression space with dense skip connections: per block a variable
// node "layer_<i>" (identity, dense(u, a) for every unit count and activation, dropout(r) for every
// rate r > 0) and a skip node "skip_<i>" that may add one of the `anchors` most recent earlier block
// outputs, each taken after its own skip merge (choice 1: the previous block's merged output, or
// the input for block 0; choice 2: the one before it; ...), projected when widths differ.
ArchitectureSpace dense_skip_space(int inputs, int outputs, int blocks = 3,
                                   const std::vector<int>& units = {16, 32, 48, 64, 96},
                                   const std::vector<Activation>& activations = {Activation::Relu,
                                                                                 Activation::Tanh},
                                   int anchors = 2, const std::vector<double>& dropout = {});

// A stem dense "stem" (every width x activation; a constant when there is only one), then per block
// a variable node "block_<i>" (identity or dense of each width and activation), its mirror
// "block_<i>_mirror" (two equal layers per block) and a skip "skip_<i>" that adds one of `anchors`
// earlier anchors to the mirror's output. Choice 1: block_<i>'s output (a skip around the mirrored
// layer only). Choice 2 (the default anchors = 2): the block's input, i.e. the stem for block 0 or
// the previous block's output after its skip merge: a true residual connection around the whole
// block, through a learned dense projection when the block's width differs from its input's.
// anchors = 1 offers only the intra-block skip; anchors > 2 reach further back, one anchor per
// earlier layer (choice 3: the previous block's first layer, or the input for block 0; choice 4:
// the previous block's input; ...), as far as there are anchors.
ArchitectureSpace residual_mlp_space(int inputs, int outputs, int blocks = 3,
                                     const std::vector<int>& widths = {32, 64, 128},
                                     const std::vector<Activation>& activations = {Activation::Relu,
                                                                                   Activation::Tanh},
                                     int anchors = 2);

// Like DeepHyper's stacked-LSTM space and the recurrent space of Maulik et al. (SC20): per block a
// variable node "layer_<i>" (identity, or a recurrent layer of every cell kind x unit count, each
// returning its whole sequence) and a skip node "skip_<i>" that may merge one of the `anchors` most
// recent earlier block outputs (after their own merges) by `merge`: add (through a time-distributed
// dense projection when widths differ) or concat. A sequence space (see set_sequence_io); `cells`
// holds OpKind::Lstm and/or OpKind::Gru; `head` as set_sequence_head (PerStep needs steps == horizon).
ArchitectureSpace stacked_rnn_space(int steps, int features_per_step, int horizon, int targets_per_step,
                                    int blocks = 3, const std::vector<OpKind>& cells = {OpKind::Lstm, OpKind::Gru},
                                    const std::vector<int>& units = {16, 32, 64}, int anchors = 2,
                                    Merge merge = Merge::Add, SequenceHead head = SequenceHead::Flatten);

}  // namespace kyper::nas
