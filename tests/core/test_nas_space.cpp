// The NAS search space: every architecture of a small space builds a valid graph whose parameter
// count matches an independent model of the semantics; mirrors, skips (projection, concat, no-op),
// the search-space round trip, JSON (custom and presets) and their errors; networks run forward.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/nas_space.hpp>
#include <kyper/network.hpp>
#include <support/error_of.hpp>

using namespace kyper;
using namespace kyper::nas;
using kyper::testing::error_of;
using ::testing::HasSubstr;

namespace {

constexpr int kInputs = 5, kOutputs = 2;

// v0 and v1 pick a layer, s0 may add an earlier anchor, m0 repeats v0, s1 may concat an earlier anchor.
// Anchors: input, v0, v1 at s0 (2 reachable: 3 choices); input, v0, s0's merge (v1 when s0 merges
// nothing), m0 at s1 (3 reachable: 4 choices).
ArchitectureSpace small_space() {
  ArchitectureSpace space(kInputs, kOutputs);
  space.variable("v0", {Operation::identity(), Operation::parse("dense:4:relu"), Operation::parse("dense:6:tanh")});
  space.variable("v1", {Operation::identity(), Operation::parse("dense:4"), Operation::parse("dropout:0.25")});
  space.skip("s0", 2, Merge::Add);
  space.mirror("m0", "v0");
  space.skip("s1", 3, Merge::Concat);
  return space;
}

const char* const kSmallSpaceJson = R"({
  "inputs": 5, "outputs": 2,
  "nodes": [
    {"name": "v0", "type": "variable", "ops": ["identity", "dense:4:relu", "dense:6:tanh"]},
    {"name": "v1", "type": "variable", "ops": ["identity", "dense:4", "dropout:0.25"]},
    {"name": "s0", "type": "skip", "anchors": 2, "merge": "add"},
    {"name": "m0", "type": "mirror", "of": "v0"},
    {"name": "s1", "type": "skip", "anchors": 3, "merge": "concat"}
  ]})";

// The semantics of small_space() written out by hand: tensors are (id, width); a dense layer with
// bias costs in*out + out; identity keeps the tensor, dropout makes a new one of the same width. Each
// skip's sources are listed explicitly, nearest first: the outputs of the earlier layers, where a
// layer's output counts after the skip merge that follows it (the block output, as in DeepHyper).
long expected_parameters(const std::vector<int>& a) {
  struct Tensor {
    int id, width;
  };
  int next_id = 0;
  long parameters = 0;
  auto dense = [&](Tensor t, int units) {
    parameters += long(t.width) * units + units;
    return Tensor{next_id++, units};
  };
  const int v0_units[] = {0, 4, 6};
  auto apply_v0 = [&](Tensor t) { return a[0] == 0 ? t : dense(t, v0_units[a[0]]); };

  const Tensor input{next_id++, kInputs};
  const Tensor out_v0 = apply_v0(input);
  Tensor out_v1 = out_v0;
  if (a[1] == 1) out_v1 = dense(out_v0, 4);
  if (a[1] == 2) out_v1 = Tensor{next_id++, out_v0.width};
  // s0: 1 = v0's output (v1's input), 2 = the input; add, projecting the source when widths differ.
  Tensor after_s0 = out_v1;
  if (a[2] > 0) {
    const Tensor sources[] = {out_v0, input};
    const Tensor source = sources[a[2] - 1];
    if (source.id != out_v1.id) {
      if (source.width != out_v1.width) dense(source, out_v1.width);
      after_s0 = Tensor{next_id++, out_v1.width};
    }
  }
  const Tensor out_m0 = apply_v0(after_s0);
  // s1: 1 = the tensor after s0 (v1's output merged with s0's source), 2 = v0's output, 3 = the input.
  Tensor after_s1 = out_m0;
  if (a[3] > 0) {
    const Tensor sources[] = {after_s0, out_v0, input};
    const Tensor source = sources[a[3] - 1];
    if (source.id != out_m0.id) after_s1 = Tensor{next_id++, out_m0.width + source.width};
  }
  dense(after_s1, kOutputs);  // head
  return parameters;
}

// Every architecture of a space, in odometer order.
std::vector<std::vector<int>> enumerate(const ArchitectureSpace& space) {
  std::vector<std::vector<int>> all;
  const std::vector<int> choices = space.choices();
  std::vector<int> a(choices.size(), 0);
  while (true) {
    all.push_back(a);
    size_t d = 0;
    while (d < a.size() && ++a[d] == choices[d]) a[d++] = 0;
    if (d == a.size()) return all;
  }
}

const NodeSpec* find_node(const GraphSpec& g, const std::string& name) {
  for (const auto& n : g.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

std::vector<int> random_architecture(const ArchitectureSpace& space, std::mt19937_64& rng) {
  std::vector<int> a;
  for (int c : space.choices()) a.push_back(std::uniform_int_distribution<int>(0, c - 1)(rng));
  return a;
}

// Forward pass on the host straight from the plan (row-major weights in_width x width), to check
// the Network runs the graph the space describes.
std::vector<double> host_forward(const GraphPlan& plan, const std::vector<float>& params, const std::vector<float>& x,
                                 int rows) {
  std::vector<std::vector<double>> values(plan.nodes.size());
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlannedNode& n = plan.nodes[i];
    std::vector<double>& out = values[i];
    out.assign(size_t(rows) * n.width, 0.0);
    auto in = [&](int k) -> const std::vector<double>& { return values[n.inputs[k]]; };
    switch (n.kind) {
      case NodeKind::Input:
        for (size_t k = 0; k < out.size(); ++k) out[k] = x[k];
        break;
      case NodeKind::Dense:
        for (int r = 0; r < rows; ++r)
          for (int u = 0; u < n.width; ++u) {
            double z = n.bias_offset >= 0 ? params[n.bias_offset + u] : 0.0;
            for (int k = 0; k < n.in_width; ++k)
              z += in(0)[size_t(r) * n.in_width + k] * params[n.weight_offset + long(k) * n.width + u];
            out[size_t(r) * n.width + u] = n.activation == Activation::Relu   ? std::max(z, 0.0)
                                           : n.activation == Activation::Tanh ? std::tanh(z)
                                                                              : z;
          }
        break;
      case NodeKind::Add:
        for (size_t k = 0; k < n.inputs.size(); ++k)
          for (size_t e = 0; e < out.size(); ++e) out[e] += in(int(k))[e];
        break;
      case NodeKind::Concat: {
        int offset = 0;
        for (size_t k = 0; k < n.inputs.size(); ++k) {
          const int w = plan.nodes[n.inputs[k]].width;
          for (int r = 0; r < rows; ++r)
            for (int c = 0; c < w; ++c) out[size_t(r) * n.width + offset + c] = in(int(k))[size_t(r) * w + c];
          offset += w;
        }
        break;
      }
      default:  // dropout at inference, output: pass-through
        out = in(0);
    }
  }
  return values[plan.output_node];
}

}  // namespace

// --- Operations ----------------------------------------------------------------------------

TEST(NasOperation, ParsesEveryFormAndRoundTrips) {
  EXPECT_EQ(Operation::parse("identity"), Operation::identity());
  EXPECT_EQ(Operation::parse("dense:32"), Operation::dense(32, Activation::Identity));
  EXPECT_EQ(Operation::parse("dense:32:relu"), Operation::dense(32, Activation::Relu));
  EXPECT_EQ(Operation::parse("dropout:0.1"), Operation::dropout(0.1));
  EXPECT_EQ(Operation::parse("activation:tanh"), Operation::activation_layer(Activation::Tanh));
  for (const char* text : {"identity", "dense:32", "dense:7:gelu", "dropout:0.1", "dropout:0.333", "activation:tanh"})
    EXPECT_EQ(Operation::parse(text).to_string(), text);
  const Operation odd = Operation::dropout(1.0 / 3.0);
  EXPECT_EQ(Operation::parse(odd.to_string()), odd);
}

TEST(NasOperation, RejectsMalformedTextNamingItAndTheValidForms) {
  for (const char* text : {"conv:3", "dense", "dense:0", "dense:-4", "dense:32x", "dense: 32", "dense:32:relu:1",
                           "dropout:1", "dropout:-0.1", "dropout:abc", "identity:1", "activation", ""}) {
    const std::string message = error_of([&] { Operation::parse(text); });
    EXPECT_THAT(message, HasSubstr("operation '" + std::string(text) + "'")) << text;
    EXPECT_THAT(message, HasSubstr("dense:<units>:<activation>")) << text;
  }
  EXPECT_THAT(error_of([] { Operation::parse("dense:32:softsign"); }), HasSubstr("unknown activation 'softsign'"));
}

// --- Space definition ----------------------------------------------------------------------

TEST(NasSpace, CountsDimensionsChoicesAndSize) {
  const ArchitectureSpace space = small_space();
  EXPECT_EQ(space.dimensions(), 4);
  EXPECT_EQ(space.choices(), (std::vector<int>{3, 3, 3, 4}));
  EXPECT_EQ(space.dimension_names(), (std::vector<std::string>{"v0", "v1", "s0", "s1"}));
  EXPECT_EQ(space.size(), 3.0 * 3 * 3 * 4);
  EXPECT_EQ(double(enumerate(space).size()), space.size());
}

TEST(NasSpace, SkipChoicesAreCappedByTheAnchorsBehindIt) {
  ArchitectureSpace space(3, 1);
  space.constant("c0", Operation::dense(4));
  space.skip("s0", 5);  // one anchor (the input) behind c0
  space.constant("c1", Operation::dense(4));
  space.skip("s1", 5);  // input and c0
  space.skip("s2", 1);  // skips add no anchor
  EXPECT_EQ(space.choices(), (std::vector<int>{2, 3, 2}));
}

TEST(NasSpace, RejectsBadDefinitionsNamingTheNode) {
  ArchitectureSpace space(3, 1, Activation::Identity, 4);
  space.variable("v0", {Operation::identity(), Operation::dense(8)});
  space.constant("c0", Operation::dense(8));
  EXPECT_THAT(error_of([&] { space.constant("v0", Operation::dense(2)); }), HasSubstr("node 'v0': the name is used"));
  EXPECT_THAT(error_of([&] { space.constant("", Operation::dense(2)); }), HasSubstr("empty name"));
  EXPECT_THAT(error_of([&] { space.constant("a b", Operation::dense(2)); }), HasSubstr("node 'a b': names may hold"));
  EXPECT_THAT(error_of([&] { space.constant("head", Operation::dense(2)); }), HasSubstr("node 'head': the name is reserved"));
  EXPECT_THAT(error_of([&] { space.constant("c1", Operation::dense(0)); }), HasSubstr("constant node 'c1'"));
  EXPECT_THAT(error_of([&] { space.variable("v1", {Operation::dense(8)}); }),
              HasSubstr("variable node 'v1' needs at least two candidates"));
  EXPECT_THAT(error_of([&] { space.variable("v1", {Operation::dense(8), Operation::dense(8)}); }),
              HasSubstr("variable node 'v1': candidate 'dense:8' appears twice"));
  EXPECT_THAT(error_of([&] {
                space.variable("v1", {Operation::dense(1), Operation::dense(2), Operation::dense(3), Operation::dense(4),
                                      Operation::dense(5)});
              }),
              HasSubstr("variable node 'v1' has 5 candidates, more than max_choices = 4"));
  EXPECT_THAT(error_of([&] { space.variable("v1", {Operation::identity(), Operation::dropout(1.5)}); }),
              HasSubstr("variable node 'v1': candidate 1"));
  EXPECT_THAT(error_of([&] { space.mirror("m0", "nope"); }), HasSubstr("mirror node 'm0': 'nope' is not an earlier node"));
  EXPECT_THAT(error_of([&] { space.mirror("m0", "c0"); }), HasSubstr("mirror node 'm0': 'c0' is not a variable node"));
  EXPECT_THAT(error_of([&] { space.skip("s0", 0); }), HasSubstr("skip node 's0' needs anchors >= 1"));
  space.constant("c1", Operation::dense(8)).constant("c2", Operation::dense(8)).constant("c3", Operation::dense(8));
  EXPECT_THAT(error_of([&] { space.skip("s0", 9); }), HasSubstr("skip node 's0' has 6 choices, more than max_choices = 4"));
  // Failed additions left the space unchanged.
  EXPECT_EQ(space.dimension_names(), std::vector<std::string>{"v0"});

  ArchitectureSpace empty(3, 1);
  EXPECT_THAT(error_of([&] { empty.skip("s0", 1); }), HasSubstr("skip node 's0' has no earlier anchor"));
  EXPECT_THROW(ArchitectureSpace(3, 1, Activation::Identity, 1), Error);
  EXPECT_THROW(ArchitectureSpace(-1, 1), Error);
}

// --- Building ------------------------------------------------------------------------------

TEST(NasSpace, EveryArchitectureBuildsAValidGraphWithTheExpectedParameterCount) {
  const ArchitectureSpace space = small_space();
  const std::set<std::string> prefixes = {"input", "head", "output", "v0", "v1", "s0", "m0", "s1"};
  std::set<long> distinct_counts;
  for (const auto& a : enumerate(space)) {
    SCOPED_TRACE(::testing::PrintToString(a));
    const GraphSpec g = space.build(a);
    const GraphPlan plan = plan_graph(g);
    EXPECT_EQ(plan.input_width, kInputs);
    EXPECT_EQ(plan.output_width, kOutputs);
    EXPECT_EQ(plan.parameter_count, expected_parameters(a));
    EXPECT_EQ(space.parameter_count(a), plan.parameter_count);
    distinct_counts.insert(plan.parameter_count);
    for (const auto& n : g.nodes) EXPECT_TRUE(prefixes.count(n.name.substr(0, n.name.find('/')))) << n.name;
  }
  EXPECT_GT(distinct_counts.size(), 20u);  // the choices really change the model
}

TEST(NasSpace, HandCountedArchitectures) {
  const ArchitectureSpace space = small_space();
  // v0 dense 5->4 (24), s0 adds the input through a 5->4 projection (24), m0 4->4 (20), head 4->2 (10).
  EXPECT_EQ(space.parameter_count({1, 0, 2, 0}), 24 + 24 + 20 + 10);
  // v0 dense 5->6 (36), v1 6->4 (28), m0 4->6 (30), s1 concats the input: 6 + 5 = 11 wide head (24).
  EXPECT_EQ(space.parameter_count({2, 1, 0, 3}), 36 + 28 + 30 + 24);
  const GraphSpec g = space.build({2, 1, 0, 3});
  const NodeSpec* concat = find_node(g, "s1");
  ASSERT_NE(concat, nullptr);
  EXPECT_EQ(concat->kind, NodeKind::Concat);
  EXPECT_EQ(concat->inputs, (std::vector<std::string>{"m0", "input"}));
  // v0 5->4 (24), v1 4->4 (20), s0 adds the input through a 5->4 projection (24), m0 4->4 (20) on
  // s0's sum, s1 concats s0's sum (the merged block output, not v1): 4 + 4 = 8 wide head (18).
  EXPECT_EQ(space.parameter_count({1, 1, 2, 1}), 24 + 20 + 24 + 20 + 18);
  // Without s0's merge, s1 = 1 concats v1: the same widths, no projection.
  EXPECT_EQ(space.parameter_count({1, 1, 0, 1}), 24 + 20 + 20 + 18);
}

TEST(NasSpace, LaterSkipsReachTheMergedOutputOfEarlierSkips) {
  const ArchitectureSpace space = small_space();
  // s0 merges: its sum replaces v1 as an anchor, so m0 and s1 = 1 both take the s0 node.
  const GraphSpec merged = space.build({1, 1, 2, 1});
  EXPECT_EQ(find_node(merged, "m0")->inputs, std::vector<std::string>{"s0"});
  ASSERT_NE(find_node(merged, "s1"), nullptr);
  EXPECT_EQ(find_node(merged, "s1")->inputs, (std::vector<std::string>{"m0", "s0"}));
  EXPECT_THAT(space.summary({1, 1, 2, 1}), HasSubstr("s1: concat s0 -> width 8"));
  // s0 merges nothing: the anchor stays v1.
  EXPECT_EQ(find_node(space.build({1, 1, 0, 1}), "s1")->inputs, (std::vector<std::string>{"m0", "v1"}));
  // The number of anchors is unchanged: s1 = 2 and 3 still reach v0 and the input.
  EXPECT_EQ(find_node(space.build({1, 1, 2, 2}), "s1")->inputs, (std::vector<std::string>{"m0", "v0"}));
  EXPECT_EQ(find_node(space.build({1, 1, 2, 3}), "s1")->inputs, (std::vector<std::string>{"m0", "input"}));

  // dense_skip: skip_1 = 1 adds the previous block's output after its merge (skip_0), no projection
  // at equal widths; skip_1 = 2 reaches the input through a projection.
  const ArchitectureSpace dense = dense_skip_space(3, 1, 2, {4}, {Activation::Relu}, 2);
  EXPECT_EQ(dense.choices(), (std::vector<int>{2, 2, 2, 3}));
  const GraphSpec g = dense.build({1, 1, 1, 1});
  EXPECT_EQ(find_node(g, "layer_1")->inputs, std::vector<std::string>{"skip_0"});
  EXPECT_EQ(find_node(g, "skip_1")->inputs, (std::vector<std::string>{"layer_1", "skip_0"}));
  EXPECT_EQ(find_node(g, "skip_1/projection"), nullptr);
  // layer_0 3->4 (16), skip_0's projection 3->4 (16), layer_1 4->4 (20), head 4->1 (5).
  EXPECT_EQ(dense.parameter_count({1, 1, 1, 1}), 16 + 16 + 20 + 5);
  EXPECT_EQ(find_node(dense.build({1, 1, 1, 2}), "skip_1/projection")->inputs, std::vector<std::string>{"input"});
}

TEST(NasSpace, MirrorRepeatsTheOperationOfItsSource) {
  const ArchitectureSpace space = small_space();
  for (int v0 = 0; v0 < 3; ++v0) {
    const GraphSpec g = space.build({v0, 1, 0, 0});
    const NodeSpec* source = find_node(g, "v0");
    const NodeSpec* mirror = find_node(g, "m0");
    if (v0 == 0) {
      EXPECT_EQ(source, nullptr);
      EXPECT_EQ(mirror, nullptr);
      continue;
    }
    ASSERT_NE(source, nullptr);
    ASSERT_NE(mirror, nullptr);
    EXPECT_EQ(mirror->kind, NodeKind::Dense);
    EXPECT_EQ(mirror->units, source->units);
    EXPECT_EQ(mirror->activation, source->activation);
    EXPECT_EQ(mirror->inputs, std::vector<std::string>{"v1"});
  }
}

TEST(NasSpace, AddSkipProjectsOnlyWhenWidthsDiffer) {
  const ArchitectureSpace space = small_space();
  const long plain = space.parameter_count({1, 1, 0, 0});
  // s0 = 1 reaches v0 (width 4, like v1): a bare add.
  const GraphSpec same = space.build({1, 1, 1, 0});
  EXPECT_EQ(space.parameter_count({1, 1, 1, 0}), plain);
  ASSERT_NE(find_node(same, "s0"), nullptr);
  EXPECT_EQ(find_node(same, "s0")->kind, NodeKind::Add);
  EXPECT_EQ(find_node(same, "s0")->inputs, (std::vector<std::string>{"v1", "v0"}));
  EXPECT_EQ(find_node(same, "s0/projection"), nullptr);
  // s0 = 2 reaches the input (width 5): a 5 -> 4 projection with bias.
  const GraphSpec projected = space.build({1, 1, 2, 0});
  EXPECT_EQ(space.parameter_count({1, 1, 2, 0}), plain + 5 * 4 + 4);
  const NodeSpec* projection = find_node(projected, "s0/projection");
  ASSERT_NE(projection, nullptr);
  EXPECT_EQ(projection->kind, NodeKind::Dense);
  EXPECT_EQ(projection->units, 4);
  EXPECT_EQ(projection->activation, Activation::Identity);
  EXPECT_EQ(projection->inputs, std::vector<std::string>{"input"});
  EXPECT_EQ(find_node(projected, "s0")->inputs, (std::vector<std::string>{"v1", "s0/projection"}));
}

TEST(NasSpace, SkipToTheCurrentTensorIsANoOp) {
  const ArchitectureSpace space = small_space();
  // v0 and v1 identity: every anchor is the input, which is also the current tensor.
  for (int s0 : {1, 2}) {
    const GraphSpec g = space.build({0, 0, s0, 0});
    EXPECT_EQ(find_node(g, "s0"), nullptr);
    EXPECT_EQ(g.nodes.size(), 3u);  // input, head, output
    EXPECT_THAT(space.summary({0, 0, s0, 0}), HasSubstr("s0: input is the current tensor: no connection"));
  }
  // Dropout makes a new tensor of the same width: the add is real.
  const GraphSpec g = space.build({0, 2, 1, 0});
  ASSERT_NE(find_node(g, "s0"), nullptr);
  EXPECT_EQ(find_node(g, "s0")->inputs, (std::vector<std::string>{"v1", "input"}));
}

TEST(NasSpace, RejectsBadArchitecturesNamingTheNode) {
  const ArchitectureSpace space = small_space();
  const std::string too_big = error_of([&] { space.build({3, 0, 0, 0}); });
  EXPECT_THAT(too_big, HasSubstr("variable node 'v0'"));
  EXPECT_THAT(too_big, HasSubstr("valid choices are 0..2"));
  const std::string skip = error_of([&] { space.build({0, 0, 0, 4}); });
  EXPECT_THAT(skip, HasSubstr("skip node 's1'"));
  EXPECT_THAT(skip, HasSubstr("valid choices are 0..3"));
  EXPECT_THAT(error_of([&] { space.build({0, -1, 0, 0}); }), HasSubstr("variable node 'v1') is -1"));
  const std::string length = error_of([&] { space.parameter_count({0, 0, 0}); });
  EXPECT_THAT(length, HasSubstr("architecture has 3 entries, the space expects 4"));
  EXPECT_THAT(length, HasSubstr("v0, v1, s0, s1"));
  EXPECT_THAT(error_of([&] { space.summary({0, 0, 0, 0, 0}); }), HasSubstr("5 entries"));

  ArchitectureSpace unset(0, 0);
  unset.variable("v0", {Operation::identity(), Operation::dense(2)});
  EXPECT_THAT(error_of([&] { unset.build({1}); }), HasSubstr("set_io"));
  unset.set_io(3, 1);
  EXPECT_EQ(unset.parameter_count({1}), 3 * 2 + 2 + 2 * 1 + 1);
  EXPECT_THROW(unset.set_io(0, 1), Error);
}

TEST(NasSpace, SummaryDescribesLayersSkipsAndParameters) {
  const ArchitectureSpace space = small_space();
  const std::string text = space.summary({1, 1, 2, 3});
  EXPECT_THAT(text, HasSubstr("architecture [1, 1, 2, 3]"));
  EXPECT_THAT(text, HasSubstr("input: width 5"));
  EXPECT_THAT(text, HasSubstr("v0: dense 4 relu -> width 4"));
  EXPECT_THAT(text, HasSubstr("v1: dense 4 identity -> width 4"));
  EXPECT_THAT(text, HasSubstr("s0: add input (projection 5 -> 4) -> width 4"));
  EXPECT_THAT(text, HasSubstr("m0: dense 4 relu (mirror of v0) -> width 4"));
  EXPECT_THAT(text, HasSubstr("s1: concat input -> width 9"));
  EXPECT_THAT(text, HasSubstr("head: dense 2 identity -> width 2"));
  EXPECT_THAT(text, HasSubstr("parameters: " + std::to_string(space.parameter_count({1, 1, 2, 3}))));
  EXPECT_THAT(space.summary({0, 2, 0, 0}), HasSubstr("s0: no connection"));
  EXPECT_THAT(space.summary({0, 2, 0, 0}), HasSubstr("v1: dropout 0.25 -> width 5"));
}

// --- Search space --------------------------------------------------------------------------

TEST(NasSpace, SearchSpaceRoundTripsEveryArchitecture) {
  const ArchitectureSpace space = small_space();
  const search::Space params = space.search_space();
  ASSERT_EQ(params.size(), 4u);
  const std::vector<int> choices = space.choices();
  for (int d = 0; d < 4; ++d) {
    const search::Parameter& p = params.parameter(size_t(d));
    EXPECT_EQ(p.name, "arch_" + space.dimension_names()[d]);
    EXPECT_EQ(p.type, search::ParameterType::Int);
    EXPECT_EQ(p.low, 0);
    EXPECT_EQ(p.high, choices[d] - 1);
    EXPECT_EQ(p.levels(), size_t(choices[d]));
  }
  for (const auto& a : enumerate(space)) {
    std::map<std::string, search::Value> values;
    for (int d = 0; d < 4; ++d) values[ArchitectureSpace::parameter_name(space.dimension_names()[d])] = double(a[d]);
    EXPECT_EQ(space.architecture_of(params.make(values)), a);
  }
  // Points anywhere in the unit cube decode to buildable architectures.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 50; ++i) {
    Eigen::VectorXd x(4);
    for (int d = 0; d < 4; ++d) x[d] = u(rng);
    EXPECT_NO_THROW(plan_graph(space.build(space.architecture_of(params.decode(x)))));
  }
  search::Space other;
  other.add_int("arch_v0", 0, 2);
  EXPECT_THAT(error_of([&] { space.architecture_of(other.default_configuration()); }),
              HasSubstr("no parameter 'arch_v1' for node 'v1'"));
  search::Space wide;
  for (const auto& name : space.dimension_names()) wide.add_int("arch_" + name, 0, 9);
  EXPECT_THAT(error_of([&] { space.architecture_of(wide.make({{"arch_v0", 7.0}})); }),
              HasSubstr("parameter 'arch_v0' = 7 is outside [0, 2]"));
}

// --- JSON ----------------------------------------------------------------------------------

TEST(NasSpaceJson, CustomSpaceMatchesTheSameSpaceBuiltInCpp) {
  const ArchitectureSpace cpp = small_space();
  const ArchitectureSpace json = ArchitectureSpace::from_json(kSmallSpaceJson, "nas.json", "space");
  EXPECT_EQ(json.inputs(), kInputs);
  EXPECT_EQ(json.outputs(), kOutputs);
  EXPECT_EQ(json.choices(), cpp.choices());
  EXPECT_EQ(json.dimension_names(), cpp.dimension_names());
  for (const auto& a : enumerate(cpp)) EXPECT_EQ(json.summary(a), cpp.summary(a));
}

TEST(NasSpaceJson, ReadsOptionsAndTakesIoLater) {
  const ArchitectureSpace space = ArchitectureSpace::from_json(
      R"({"output_activation": "sigmoid", "max_choices": 3,
          "nodes": [{"name": "c", "type": "constant", "op": "dense:8:tanh"},
                    {"name": "s", "type": "skip"}]})",
      "nas.json");
  EXPECT_EQ(space.output_activation(), Activation::Sigmoid);
  EXPECT_EQ(space.max_choices(), 3);
  EXPECT_EQ(space.choices(), std::vector<int>{2});  // anchors default to 1, merge to add
  EXPECT_EQ(space.inputs(), 0);
  ArchitectureSpace with_io = space;
  with_io.set_io(4, 3);
  const GraphSpec g = with_io.build({1});
  EXPECT_EQ(find_node(g, "head")->activation, Activation::Sigmoid);
  EXPECT_EQ(find_node(g, "s")->kind, NodeKind::Add);
  EXPECT_EQ(with_io.parameter_count({1}), 4 * 8 + 8 + 4 * 8 + 8 + 8 * 3 + 3);
}

TEST(NasSpaceJson, ErrorsNameTheFileAndKey) {
  auto error = [](const std::string& text) {
    return error_of([&] { ArchitectureSpace::from_json(text, "nas.json", "space"); });
  };
  EXPECT_THAT(error(R"({"nodes": [], "bogus": 1})"), HasSubstr("nas.json: key 'space.bogus' is not a known key"));
  EXPECT_THAT(error(R"({"nodes": []})"), HasSubstr("nas.json: key 'space.nodes' must hold at least one node"));
  EXPECT_THAT(error(R"({})"), HasSubstr("nas.json: key 'space.nodes' is missing"));
  EXPECT_THAT(error(R"({"nodes": [)"), HasSubstr("nas.json: key 'space':1:12: not valid JSON"));
  EXPECT_THAT(error(R"([1])"), HasSubstr("nas.json: key 'space' must be an object"));
  const std::string op = error(
      R"({"nodes": [{"name": "a", "type": "constant", "op": "dense:4"},
                    {"name": "b", "type": "variable", "ops": ["identity", "dense:x"]}]})");
  EXPECT_THAT(op, HasSubstr("nas.json: key 'space.nodes[1].ops[1]'"));
  EXPECT_THAT(op, HasSubstr("operation 'dense:x'"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "conv"}]})"),
              HasSubstr("key 'space.nodes[0].type' must be constant, variable, mirror or skip"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a"}]})"), HasSubstr("key 'space.nodes[0].type' is missing"));
  EXPECT_THAT(error(R"({"nodes": [{"type": "constant", "op": "identity"}]})"),
              HasSubstr("key 'space.nodes[0].name' is missing"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "constant", "op": "identity", "ops": []}]})"),
              HasSubstr("key 'space.nodes[0].ops' is not a known key (did you mean 'op'?) (valid here: name, op, type)"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "variable", "ops": ["identity"]}]})"),
              HasSubstr("key 'space.nodes[0]': variable node 'a' needs at least two candidates"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "constant", "op": "identity"}, {"name": "m", "type": "mirror", "of": "a"}]})"),
              HasSubstr("key 'space.nodes[1].of': mirror node 'm': 'a' is not a variable node"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "constant", "op": "identity"}, {"name": "s", "type": "skip", "merge": "mul"}]})"),
              HasSubstr("key 'space.nodes[1].merge': unknown merge 'mul'"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "constant", "op": "identity"}, {"name": "s", "type": "skip", "anchors": 0}]})"),
              HasSubstr("key 'space.nodes[1].anchors' must be an integer"));
  EXPECT_THAT(error(R"({"output_activation": "softsign", "nodes": []})"),
              HasSubstr("key 'space.output_activation': unknown activation 'softsign'"));
  EXPECT_THAT(error(R"({"preset": "resnet"})"), HasSubstr("key 'space.preset' must be dense_skip, residual_mlp or stacked_rnn"));
  EXPECT_THAT(error(R"({"preset": "dense_skip", "widths": [8]})"), HasSubstr("key 'space.widths' is not a known key"));
  EXPECT_THAT(error(R"({"preset": "dense_skip", "units": [8, 0]})"), HasSubstr("key 'space.units[1]' must be an integer"));
  EXPECT_THAT(error(R"({"preset": "dense_skip", "dropout": [0.5, 1.0]})"), HasSubstr("key 'space.dropout[1]'"));
  EXPECT_THAT(error(R"({"preset": "residual_mlp", "activations": ["relu", "nope"]})"),
              HasSubstr("key 'space.activations[1]': unknown activation 'nope'"));
  EXPECT_THAT(error(R"({"preset": "dense_skip", "units": [8, 8]})"), HasSubstr("key 'space.preset'"));
  // Misspelt keys get the closest valid one.
  EXPECT_THAT(error(R"({"max_choice": 4, "nodes": []})"),
              HasSubstr("key 'space.max_choice' is not a known key (did you mean 'max_choices'?)"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "a", "type": "skip", "anchor": 2}]})"),
              HasSubstr("key 'space.nodes[0].anchor' is not a known key (did you mean 'anchors'?)"));
  EXPECT_THAT(error(R"({"preset": "dense_skip", "block": 2})"),
              HasSubstr("key 'space.block' is not a known key (did you mean 'blocks'?)"));
  // Without a key prefix the keys stand alone.
  EXPECT_THAT(error_of([] { ArchitectureSpace::from_json(R"({"nodez": []})", "nas.json"); }),
              HasSubstr("nas.json: key 'nodez' is not a known key"));
}

// --- Presets -------------------------------------------------------------------------------

TEST(NasPresets, DenseSkipFromJsonMatchesTheFunction) {
  const ArchitectureSpace json = ArchitectureSpace::from_json(
      R"({"preset": "dense_skip", "blocks": 3, "units": [16, 32, 64], "activations": ["relu", "tanh"],
          "anchors": 2, "dropout": [0.0, 0.1], "inputs": 7, "outputs": 1})",
      "nas.json");
  const ArchitectureSpace cpp =
      dense_skip_space(7, 1, 3, {16, 32, 64}, {Activation::Relu, Activation::Tanh}, 2, {0.0, 0.1});
  // identity + 3 x 2 dense + dropout 0.1; skips reach 1, then 2 anchors.
  EXPECT_EQ(json.choices(), (std::vector<int>{8, 2, 8, 3, 8, 3}));
  EXPECT_EQ(json.choices(), cpp.choices());
  EXPECT_EQ(json.dimension_names(),
            (std::vector<std::string>{"layer_0", "skip_0", "layer_1", "skip_1", "layer_2", "skip_2"}));
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20; ++i) {
    const auto a = random_architecture(cpp, rng);
    EXPECT_EQ(json.summary(a), cpp.summary(a));
  }
  const ArchitectureSpace defaults = ArchitectureSpace::from_json(R"({"preset": "dense_skip"})", "nas.json");
  EXPECT_EQ(defaults.choices(), (std::vector<int>{11, 2, 11, 3, 11, 3}));
}

TEST(NasPresets, ResidualMlpFromJsonMatchesTheFunction) {
  const ArchitectureSpace json = ArchitectureSpace::from_json(
      R"({"preset": "residual_mlp", "blocks": 2, "widths": [8, 16], "activations": ["relu"], "inputs": 3, "outputs": 2})",
      "nas.json");
  const ArchitectureSpace cpp = residual_mlp_space(3, 2, 2, {8, 16}, {Activation::Relu});
  // Both default to anchors = 2: every skip reaches block_<i> and the block's input.
  EXPECT_EQ(json.choices(), (std::vector<int>{2, 3, 3, 3, 3}));
  EXPECT_EQ(json.choices(), cpp.choices());
  EXPECT_EQ(json.dimension_names(), (std::vector<std::string>{"stem", "block_0", "skip_0", "block_1", "skip_1"}));
  for (const auto& a : enumerate(cpp)) EXPECT_EQ(json.summary(a), cpp.summary(a));
  // stem 3->16, block_0 16->8 and its mirror 8->8 with the residual add around the mirror, head 8->2.
  const GraphSpec g = cpp.build({1, 1, 1, 0, 0});
  EXPECT_EQ(find_node(g, "block_0_mirror")->units, 8);
  EXPECT_EQ(find_node(g, "skip_0")->inputs, (std::vector<std::string>{"block_0_mirror", "block_0"}));
  EXPECT_EQ(cpp.parameter_count({1, 1, 1, 0, 0}), (3 * 16 + 16) + (16 * 8 + 8) + (8 * 8 + 8) + (8 * 2 + 2));
  // A single width and activation makes the stem a constant: no dimension for it.
  EXPECT_EQ(residual_mlp_space(3, 2, 1, {8}, {Activation::Relu}).dimension_names(),
            (std::vector<std::string>{"block_0", "skip_0"}));
  // One anchor offers only the skip around the mirrored layer, in JSON too.
  const ArchitectureSpace one = residual_mlp_space(3, 2, 2, {8, 16}, {Activation::Relu}, 1);
  EXPECT_EQ(one.choices(), (std::vector<int>{2, 3, 2, 3, 2}));
  EXPECT_EQ(ArchitectureSpace::from_json(
                R"({"preset": "residual_mlp", "blocks": 2, "widths": [8, 16], "activations": ["relu"], "anchors": 1})",
                "nas.json")
                .choices(),
            one.choices());
}

TEST(NasPresets, ResidualMlpChoiceTwoIsAResidualAroundTheBlock) {
  // stem: 0 = dense 8, 1 = dense 16; blocks: 0 = identity, 1 = dense 8, 2 = dense 16.
  const ArchitectureSpace space = residual_mlp_space(3, 2, 2, {8, 16}, {Activation::Relu});
  EXPECT_EQ(space.dimension_names(),
            (std::vector<std::string>{"stem", "block_0", "skip_0", "block_1", "skip_1"}));
  // Block width 8 equals the stem's: skip_0 adds the stem itself.
  const GraphSpec same = space.build({0, 1, 2, 0, 0});
  EXPECT_EQ(find_node(same, "skip_0")->inputs, (std::vector<std::string>{"block_0_mirror", "stem"}));
  EXPECT_EQ(find_node(same, "skip_0/projection"), nullptr);
  // stem 3->8 (32), block_0 8->8 (72), mirror 8->8 (72), head 8->2 (18).
  EXPECT_EQ(space.parameter_count({0, 1, 2, 0, 0}), 32 + 72 + 72 + 18);
  // Block width 16 against the stem's 8: a learned 8 -> 16 projection of the stem.
  const GraphSpec projected = space.build({0, 2, 2, 0, 0});
  const NodeSpec* projection = find_node(projected, "skip_0/projection");
  ASSERT_NE(projection, nullptr);
  EXPECT_EQ(projection->kind, NodeKind::Dense);
  EXPECT_EQ(projection->units, 16);
  EXPECT_EQ(projection->activation, Activation::Identity);
  EXPECT_EQ(projection->inputs, std::vector<std::string>{"stem"});
  EXPECT_EQ(find_node(projected, "skip_0")->inputs, (std::vector<std::string>{"block_0_mirror", "skip_0/projection"}));
  // stem 3->8 (32), block_0 8->16 (144), mirror 16->16 (272), projection 8->16 (144), head 16->2 (34).
  EXPECT_EQ(space.parameter_count({0, 2, 2, 0, 0}), 32 + 144 + 272 + 144 + 34);
  // Block 1's input is block 0's merged output: choice 2 of skip_1 adds skip_0.
  const GraphSpec chained = space.build({0, 1, 2, 1, 2});
  EXPECT_EQ(find_node(chained, "block_1")->inputs, std::vector<std::string>{"skip_0"});
  EXPECT_EQ(find_node(chained, "skip_1")->inputs, (std::vector<std::string>{"block_1_mirror", "skip_0"}));
  EXPECT_EQ(find_node(chained, "skip_1/projection"), nullptr);
  // With a 16-wide block 1 the residual projects skip_0's 8-wide sum.
  EXPECT_EQ(find_node(space.build({0, 1, 2, 2, 2}), "skip_1/projection")->inputs, std::vector<std::string>{"skip_0"});
}

TEST(NasPresets, RandomArchitecturesAllBuild) {
  const std::vector<ArchitectureSpace> spaces = {
      dense_skip_space(9, 3), dense_skip_space(4, 1, 5, {8, 64}, {Activation::Gelu}, 3, {0.2}),
      residual_mlp_space(9, 3), residual_mlp_space(2, 1, 4, {16, 48}, {Activation::Elu, Activation::Relu}, 4)};
  std::mt19937_64 rng(17);
  for (const auto& space : spaces) {
    EXPECT_EQ(space.search_space().size(), size_t(space.dimensions()));
    for (int i = 0; i < 200; ++i) {
      const auto a = random_architecture(space, rng);
      const GraphPlan plan = plan_graph(space.build(a));
      EXPECT_EQ(plan.input_width, space.inputs());
      EXPECT_EQ(plan.output_width, space.outputs());
      EXPECT_EQ(space.parameter_count(a), plan.parameter_count);
    }
  }
  EXPECT_THROW(dense_skip_space(3, 1, 0), Error);
  EXPECT_THROW(dense_skip_space(3, 1, 2, {}), Error);
  EXPECT_THROW(residual_mlp_space(3, 1, 2, {8}, {}), Error);
}

// --- Networks ------------------------------------------------------------------------------

TEST(NasNetwork, ProjectionAndConcatArchitecturesRunForward) {
  const ArchitectureSpace space = small_space();
  const int rows = 7;
  std::vector<float> x(size_t(rows) * kInputs);
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& v : x) v = u(rng);
  // {1, 1, 2, 0}: s0 adds the input through a projection; {2, 1, 0, 3}: s1 concats the input.
  for (const std::vector<int>& a : {std::vector<int>{1, 1, 2, 0}, std::vector<int>{2, 1, 0, 3}}) {
    SCOPED_TRACE(::testing::PrintToString(a));
    Network<float> net(space.build(a), 21);
    EXPECT_EQ(net.parameter_count(), expected_parameters(a));
    EXPECT_EQ(net.output_width(), kOutputs);
    const std::vector<float> y = net.predict(x.data(), rows);
    ASSERT_EQ(y.size(), size_t(rows) * kOutputs);
    const std::vector<double> reference = host_forward(net.plan(), net.get_parameters(), x, rows);
    for (size_t k = 0; k < y.size(); ++k) EXPECT_NEAR(y[k], reference[k], 1e-4);
  }
}

// --- Recurrent (sequence) spaces -------------------------------------------------------------

namespace {

constexpr int kSteps = 4, kFeatures = 3, kTargets = 2;

// r0: identity, lstm 4 or gru 6; r1: identity, gru 4 or a time-distributed dense 5; s0 may add an
// earlier anchor; r2: lstm 3 or identity; s1 may concat an earlier anchor.
// Anchors: input, r0, r1 at s0 (2 reachable: 3 choices); input, r0, s0's merge (r1 when s0 merges
// nothing), r2 at s1 (3 reachable: 4 choices).
ArchitectureSpace small_rnn_space(int horizon, SequenceHead head = SequenceHead::Flatten) {
  ArchitectureSpace space(0, 0);
  space.variable("r0", {Operation::identity(), Operation::parse("lstm:4"), Operation::parse("gru:6")});
  space.variable("r1", {Operation::identity(), Operation::gru(4), Operation::parse("dense:5:tanh")});
  space.skip("s0", 2, Merge::Add);
  space.variable("r2", {Operation::lstm(3), Operation::identity()});
  space.skip("s1", 3, Merge::Concat);
  space.set_sequence_io(kSteps, kFeatures, horizon, kTargets);
  space.set_sequence_head(head);
  return space;
}

const char* const kSmallRnnSpaceJson = R"({
  "nodes": [
    {"name": "r0", "type": "variable", "ops": ["identity", "lstm:4", "gru:6"]},
    {"name": "r1", "type": "variable", "ops": ["identity", "gru:4", "dense:5:tanh"]},
    {"name": "s0", "type": "skip", "anchors": 2, "merge": "add"},
    {"name": "r2", "type": "variable", "ops": ["lstm:3", "identity"]},
    {"name": "s1", "type": "skip", "anchors": 3, "merge": "concat"}
  ]})";

// small_rnn_space's semantics written out by hand, widths per step. The lead's layout: an LSTM of h
// units on in features has input weights in x 4h, recurrent weights h x 4h and a bias of 4h; a GRU
// 3 gates and a recurrent bias of h more. Every layer keeps the steps (recurrent layers return
// sequences); the head is a dense on every step (PerStep, steps == horizon) or a dense on the
// flattened steps x width vector (Flatten).
long expected_rnn_parameters(const std::vector<int>& a, int horizon, SequenceHead head = SequenceHead::Flatten) {
  struct Tensor {
    int id, width;
  };
  int next_id = 0;
  long parameters = 0;
  auto dense = [&](Tensor t, int units) {
    parameters += long(t.width) * units + units;
    return Tensor{next_id++, units};
  };
  auto lstm = [&](Tensor t, int h) {
    parameters += 4L * (long(t.width) * h + long(h) * h + h);
    return Tensor{next_id++, h};
  };
  auto gru = [&](Tensor t, int h) {
    parameters += 3L * (long(t.width) * h + long(h) * h + h) + h;
    return Tensor{next_id++, h};
  };
  const Tensor input{next_id++, kFeatures};
  const Tensor r0 = a[0] == 0 ? input : a[0] == 1 ? lstm(input, 4) : gru(input, 6);
  const Tensor r1 = a[1] == 0 ? r0 : a[1] == 1 ? gru(r0, 4) : dense(r0, 5);
  Tensor after_s0 = r1;
  if (a[2] > 0) {
    const Tensor sources[] = {r0, input};
    const Tensor source = sources[a[2] - 1];
    if (source.id != r1.id) {
      if (source.width != r1.width) dense(source, r1.width);
      after_s0 = Tensor{next_id++, r1.width};
    }
  }
  const Tensor r2 = a[3] == 0 ? lstm(after_s0, 3) : after_s0;
  Tensor after_s1 = r2;
  if (a[4] > 0) {
    const Tensor sources[] = {after_s0, r0, input};
    const Tensor source = sources[a[4] - 1];
    if (source.id != r2.id) after_s1 = Tensor{next_id++, r2.width + source.width};
  }
  if (head == SequenceHead::PerStep) dense(after_s1, kTargets);
  else dense(Tensor{next_id++, kSteps * after_s1.width}, horizon * kTargets);
  return parameters;
}

// The heads the small space can have: per step (steps == horizon), flattened with steps == horizon
// (the default) and flattened with a shorter horizon.
struct HeadCase {
  int horizon;
  SequenceHead head;
};
const HeadCase kHeadCases[] = {{kSteps, SequenceHead::PerStep}, {kSteps, SequenceHead::Flatten}, {2, SequenceHead::Flatten}};
std::string trace(const HeadCase& c) {
  return "horizon " + std::to_string(c.horizon) + ", head " + to_string(c.head);
}

const PlannedNode* find_planned(const GraphPlan& plan, const std::string& name) {
  for (const auto& n : plan.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

}  // namespace

TEST(NasRecurrent, OperationsParseRoundTripAndRejectBadUnits) {
  EXPECT_EQ(Operation::parse("lstm:16"), Operation::lstm(16));
  EXPECT_EQ(Operation::parse("gru:8"), Operation::gru(8));
  EXPECT_TRUE(Operation::lstm(2).recurrent());
  EXPECT_FALSE(Operation::dense(2).recurrent());
  for (const char* text : {"lstm:16", "gru:1"}) EXPECT_EQ(Operation::parse(text).to_string(), text);
  for (const char* text : {"lstm", "gru", "lstm:0", "gru:-1", "lstm:4:relu", "gru:x", "rnn:4"}) {
    const std::string message = error_of([&] { Operation::parse(text); });
    EXPECT_THAT(message, HasSubstr("operation '" + std::string(text) + "'")) << text;
    EXPECT_THAT(message, HasSubstr("lstm:<units>, gru:<units>")) << text;
  }
  EXPECT_THAT(error_of([] { Operation::lstm(0).validate(); }), HasSubstr("units must be in [1, "));
  ArchitectureSpace space(0, 0);
  EXPECT_THAT(error_of([&] { space.variable("v", {Operation::identity(), Operation::gru(0)}); }),
              HasSubstr("variable node 'v': candidate 1: operation 'gru:0'"));
}

TEST(NasRecurrent, EveryArchitectureBuildsAValidGraphForBothHeads) {
  for (const HeadCase& c : kHeadCases) {
    SCOPED_TRACE(trace(c));
    const int horizon = c.horizon;
    const ArchitectureSpace space = small_rnn_space(horizon, c.head);
    EXPECT_EQ(space.sequence_head(), c.head);
    EXPECT_TRUE(space.is_sequence());
    EXPECT_TRUE(space.recurrent());
    EXPECT_EQ(space.inputs(), kSteps * kFeatures);
    EXPECT_EQ(space.outputs(), horizon * kTargets);
    EXPECT_EQ(space.choices(), (std::vector<int>{3, 3, 3, 2, 4}));
    std::set<long> distinct_counts;
    for (const auto& a : enumerate(space)) {
      SCOPED_TRACE(::testing::PrintToString(a));
      const GraphSpec g = space.build(a);
      const GraphPlan plan = plan_graph(g);
      EXPECT_EQ(plan.input_steps, kSteps);
      EXPECT_EQ(plan.input_width, space.inputs());
      EXPECT_EQ(plan.output_width, space.outputs());
      EXPECT_EQ(plan.parameter_count, expected_rnn_parameters(a, horizon, c.head));
      EXPECT_EQ(space.parameter_count(a), plan.parameter_count);
      distinct_counts.insert(plan.parameter_count);
      for (const auto& n : g.nodes) {
        if (is_recurrent(n.kind)) {
          EXPECT_TRUE(n.return_sequences) << n.name;
        }
        if (n.name.rfind("head", 0) != 0 && n.name != "output") {
          // Every layer and merge before the head keeps the sequence.
          const PlannedNode* p = find_planned(plan, n.name);
          ASSERT_NE(p, nullptr);
          EXPECT_TRUE(p->sequence) << n.name;
          EXPECT_EQ(p->steps, kSteps) << n.name;
        }
      }
      const PlannedNode* head = find_planned(plan, "head");
      ASSERT_NE(head, nullptr);
      EXPECT_EQ(head->kind, NodeKind::Dense);
      EXPECT_EQ(find_node(g, "head/flatten") != nullptr, c.head == SequenceHead::Flatten);
      EXPECT_EQ(head->sequence, c.head == SequenceHead::PerStep);
    }
    EXPECT_GT(distinct_counts.size(), 40u);
  }
}

TEST(NasRecurrent, HeadIsPerStepOnlyWhenAskedAndFlattensByDefault) {
  // r0 = lstm 4, r1 = identity, r2 = identity: the head reads r0's sequence.
  const std::vector<int> a = {1, 0, 0, 1, 0};
  const ArchitectureSpace seq2seq = small_rnn_space(kSteps, SequenceHead::PerStep);
  const GraphSpec g = seq2seq.build(a);
  const NodeSpec* head = find_node(g, "head");
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->units, kTargets);
  EXPECT_EQ(head->inputs, std::vector<std::string>{"r0"});
  EXPECT_EQ(find_node(g, "output")->inputs, std::vector<std::string>{"head"});
  const GraphPlan plan = plan_graph(g);
  const PlannedNode* planned_head = find_planned(plan, "head");
  EXPECT_EQ(planned_head->steps, kSteps);
  EXPECT_EQ(planned_head->width, kTargets);
  // lstm 3 -> 4: 4 * (12 + 16 + 4) = 128; head 4 -> 2 on every step: 10.
  EXPECT_EQ(seq2seq.parameter_count(a), 128 + 10);
  EXPECT_THAT(seq2seq.summary(a), HasSubstr("input: 4 steps of width 3"));
  EXPECT_THAT(seq2seq.summary(a), HasSubstr("r0: lstm 4 -> width 4"));
  EXPECT_THAT(seq2seq.summary(a), HasSubstr("head: dense 2 identity on every step (per_step) -> 4 steps of width 2"));
  EXPECT_EQ(find_node(g, "head/flatten"), nullptr);

  // The default head with steps == horizon flattens too: every output step reads every input step.
  const ArchitectureSpace same = small_rnn_space(kSteps);
  EXPECT_EQ(same.sequence_head(), SequenceHead::Flatten);
  const GraphSpec s = same.build(a);
  ASSERT_NE(find_node(s, "head/flatten"), nullptr);
  EXPECT_EQ(find_node(s, "head/flatten")->inputs, std::vector<std::string>{"r0"});
  EXPECT_EQ(find_node(s, "head")->inputs, std::vector<std::string>{"head/flatten"});
  EXPECT_EQ(find_node(s, "head")->units, kSteps * kTargets);
  const GraphPlan splan = plan_graph(s);
  EXPECT_FALSE(find_planned(splan, "head")->sequence);
  EXPECT_EQ(splan.output_width, kSteps * kTargets);
  // lstm 128; head on 4 x 4 = 16 values -> 4 x 2 = 8: 16 * 8 + 8 = 136.
  EXPECT_EQ(same.parameter_count(a), 128 + 136);
  EXPECT_THAT(same.summary(a), HasSubstr("head/flatten: 4 steps of width 4 -> width 16"));
  EXPECT_THAT(same.summary(a), HasSubstr("head: dense 8 identity -> 4 steps of width 2"));

  const ArchitectureSpace forecast = small_rnn_space(3);  // 4 steps in, 3 steps of 2 targets out
  const GraphSpec f = forecast.build(a);
  const NodeSpec* flatten = find_node(f, "head/flatten");
  ASSERT_NE(flatten, nullptr);
  EXPECT_EQ(flatten->kind, NodeKind::Flatten);
  EXPECT_EQ(flatten->inputs, std::vector<std::string>{"r0"});
  EXPECT_EQ(find_node(f, "head")->inputs, std::vector<std::string>{"head/flatten"});
  EXPECT_EQ(find_node(f, "head")->units, 3 * kTargets);
  const GraphPlan fplan = plan_graph(f);
  EXPECT_FALSE(find_planned(fplan, "head")->sequence);
  EXPECT_EQ(fplan.output_width, 3 * kTargets);
  // lstm 128; head on 4 x 4 = 16 values -> 6: 102.
  EXPECT_EQ(forecast.parameter_count(a), 128 + 16 * 6 + 6);
  EXPECT_THAT(forecast.summary(a), HasSubstr("head/flatten: 4 steps of width 4 -> width 16"));
  EXPECT_THAT(forecast.summary(a), HasSubstr("head: dense 6 identity -> 3 steps of width 2"));
}

TEST(NasRecurrent, HandCountedGruAndTimeDistributedDense) {
  const ArchitectureSpace space = small_rnn_space(kSteps, SequenceHead::PerStep);
  // r0 gru 3 -> 6: 3 * (18 + 36 + 6) + 6 = 186; r1 dense 6 -> 5 on every step: 35; r2 lstm 5 -> 3:
  // 4 * (15 + 9 + 3) = 108; head 3 -> 2: 8.
  EXPECT_EQ(space.parameter_count({2, 2, 0, 0, 0}), 186 + 35 + 108 + 8);
  const GraphPlan plan = plan_graph(space.build({2, 2, 0, 0, 0}));
  const PlannedNode* dense = find_planned(plan, "r1");
  EXPECT_EQ(dense->kind, NodeKind::Dense);
  EXPECT_EQ(dense->steps, kSteps);
  EXPECT_EQ(dense->in_width, 6);
  EXPECT_EQ(find_planned(plan, "r0")->kind, NodeKind::Gru);
  EXPECT_EQ(find_planned(plan, "r2")->kind, NodeKind::Lstm);
}

TEST(NasRecurrent, SkipsMergeSequencesByAddAndConcatAcrossWidths) {
  const ArchitectureSpace space = small_rnn_space(kSteps, SequenceHead::PerStep);
  // s0 = 2 adds the 3-wide input to r1's 4-wide gru through a time-distributed projection 3 -> 4.
  const GraphSpec added = space.build({1, 1, 2, 1, 0});
  const NodeSpec* projection = find_node(added, "s0/projection");
  ASSERT_NE(projection, nullptr);
  EXPECT_EQ(projection->kind, NodeKind::Dense);
  EXPECT_EQ(projection->units, 4);
  EXPECT_EQ(projection->inputs, std::vector<std::string>{"input"});
  EXPECT_EQ(find_node(added, "s0")->kind, NodeKind::Add);
  EXPECT_EQ(find_node(added, "s0")->inputs, (std::vector<std::string>{"r1", "s0/projection"}));
  const GraphPlan added_plan = plan_graph(added);
  EXPECT_EQ(find_planned(added_plan, "s0/projection")->steps, kSteps);
  EXPECT_EQ(find_planned(added_plan, "s0")->width, 4);
  EXPECT_EQ(find_planned(added_plan, "s0")->steps, kSteps);
  // s0 = 1 adds r0 (lstm 4, as wide as r1): no projection.
  EXPECT_EQ(find_node(space.build({1, 1, 1, 1, 0}), "s0/projection"), nullptr);
  // s1 = 3 concats the 3-wide input to r2's 3-wide lstm; s1 = 2 concats r0's 6-wide gru.
  const GraphPlan concat_input = plan_graph(space.build({1, 1, 0, 0, 3}));
  EXPECT_EQ(find_planned(concat_input, "s1")->kind, NodeKind::Concat);
  EXPECT_EQ(find_planned(concat_input, "s1")->width, 3 + 3);
  EXPECT_EQ(find_planned(concat_input, "s1")->steps, kSteps);
  const GraphSpec concat_gru = space.build({2, 1, 0, 0, 2});
  EXPECT_EQ(find_node(concat_gru, "s1")->inputs, (std::vector<std::string>{"r2", "r0"}));
  EXPECT_EQ(find_planned(plan_graph(concat_gru), "s1")->width, 3 + 6);
  EXPECT_THAT(space.summary({2, 1, 0, 0, 2}), HasSubstr("s1: concat r0 -> width 9"));
  // The flattening head reads the merged sequence: 4 steps x 9.
  EXPECT_EQ(plan_graph(small_rnn_space(1).build({2, 1, 0, 0, 2})).nodes.size(),
            plan_graph(concat_gru).nodes.size() + 1);
  EXPECT_THAT(small_rnn_space(1).summary({2, 1, 0, 0, 2}), HasSubstr("head/flatten: 4 steps of width 9 -> width 36"));
}

TEST(NasRecurrent, IdentityOnlyArchitectureIsTheHeadAlone) {
  const std::vector<int> a = {0, 0, 1, 1, 2};  // skips reach only the input, the current tensor
  const GraphSpec g = small_rnn_space(kSteps, SequenceHead::PerStep).build(a);
  ASSERT_EQ(g.nodes.size(), 3u);  // input, head, output
  EXPECT_EQ(g.nodes[0].kind, NodeKind::Input);
  EXPECT_EQ(g.nodes[0].steps, kSteps);
  EXPECT_EQ(g.nodes[0].units, kFeatures);
  EXPECT_EQ(small_rnn_space(kSteps, SequenceHead::PerStep).parameter_count(a), kFeatures * kTargets + kTargets);
  EXPECT_EQ(small_rnn_space(kSteps).build(a).nodes.size(), 4u);  // the default head flattens
  EXPECT_EQ(small_rnn_space(kSteps).parameter_count(a), (kSteps * kFeatures) * (kSteps * kTargets) + kSteps * kTargets);
  const GraphSpec flat = small_rnn_space(2).build(a);
  EXPECT_EQ(flat.nodes.size(), 4u);  // input, head/flatten, head, output
  EXPECT_EQ(small_rnn_space(2).parameter_count(a), (kSteps * kFeatures) * (2 * kTargets) + 2 * kTargets);
}

TEST(NasRecurrent, RecurrentLayersNeedASequenceSpaceAndTheErrorNamesTheNode) {
  ArchitectureSpace plain(5, 2);
  plain.variable("v0", {Operation::identity(), Operation::dense(4)});
  plain.variable("r0", {Operation::identity(), Operation::lstm(4)});
  EXPECT_FALSE(plain.is_sequence());
  EXPECT_TRUE(plain.recurrent());
  const std::string build = error_of([&] { plain.build({0, 0}); });
  EXPECT_THAT(build, HasSubstr("variable node 'r0' offers 'lstm:4', a recurrent layer"));
  EXPECT_THAT(build, HasSubstr("needs a sequence input"));
  EXPECT_THAT(error_of([&] { plain.parameter_count({1, 1}); }), HasSubstr("variable node 'r0'"));
  EXPECT_THAT(error_of([&] { plain.summary({1, 1}); }), HasSubstr("variable node 'r0'"));
  ArchitectureSpace later(0, 0);
  later.constant("c0", Operation::gru(4));
  EXPECT_THAT(error_of([&] { later.set_io(5, 2); }), HasSubstr("constant node 'c0' offers 'gru:4', a recurrent layer"));
  EXPECT_EQ(later.inputs(), 0);  // unchanged by the failed call
  // The same space as a sequence space builds.
  plain.set_sequence_io(3, 5, 3, 2);
  EXPECT_NO_THROW(plan_graph(plain.build({1, 1})));

  // A dense-only space can switch between the two.
  ArchitectureSpace dense = dense_skip_space(6, 2, 2, {4}, {Activation::Relu}, 2);
  dense.set_sequence_io(3, 2, 3, 1);
  EXPECT_TRUE(dense.is_sequence());
  EXPECT_EQ(dense.inputs(), 6);
  EXPECT_EQ(dense.outputs(), 3);
  const GraphPlan seq = plan_graph(dense.build({1, 1, 1, 2}));
  EXPECT_EQ(seq.input_steps, 3);
  EXPECT_EQ(seq.output_width, 3);
  // layer_0 2 -> 4 on every step (12), skip_0's projection 2 -> 4 (12), layer_1 4 -> 4 (20), skip_1
  // projects the input again (12), the default head on 3 x 4 = 12 values -> 3 (39).
  EXPECT_EQ(seq.parameter_count, 12 + 12 + 20 + 12 + 39);
  dense.set_sequence_head(SequenceHead::PerStep);  // head 4 -> 1 on every step (5)
  EXPECT_EQ(plan_graph(dense.build({1, 1, 1, 2})).parameter_count, 12 + 12 + 20 + 12 + 5);
  EXPECT_THAT(error_of([&] { dense.set_io(6, 2); }), HasSubstr("architecture.head"));
  EXPECT_TRUE(dense.is_sequence());  // unchanged by the failed call
  dense.set_sequence_head(SequenceHead::Flatten);
  dense.set_io(6, 2);
  EXPECT_FALSE(dense.is_sequence());
  // A plain space has no sequence head: per_step is an error there, at set_io (above) or at build.
  dense.set_sequence_head(SequenceHead::PerStep);
  EXPECT_THAT(error_of([&] { dense.build({1, 1, 1, 2}); }), HasSubstr("per-step head"));
  dense.set_sequence_head(SequenceHead::Flatten);
  EXPECT_EQ(plan_graph(dense.build({1, 1, 1, 2})).input_steps, 0);

  EXPECT_THAT(error_of([&] { dense.set_sequence_io(0, 2, 3, 1); }), HasSubstr("must be positive"));
  EXPECT_THAT(error_of([&] { dense.set_sequence_io(3, 2, 3, -1); }), HasSubstr("must be positive"));
  EXPECT_THAT(error_of([&] { dense.set_sequence_io(1 << 12, 1 << 12, 1, 1); }), HasSubstr("values per sample"));
}

TEST(NasRecurrent, JsonSpaceMatchesTheCppSpaceAndTakesSequenceIoLater) {
  const ArchitectureSpace cpp = small_rnn_space(2);
  ArchitectureSpace json = ArchitectureSpace::from_json(kSmallRnnSpaceJson, "nas.json", "architecture");
  EXPECT_TRUE(json.recurrent());
  EXPECT_EQ(json.inputs(), 0);
  EXPECT_THAT(error_of([&] { json.build({0, 0, 0, 0, 0}); }), HasSubstr("inputs and outputs are not set"));
  json.set_sequence_io(kSteps, kFeatures, 2, kTargets);
  EXPECT_EQ(json.choices(), cpp.choices());
  EXPECT_EQ(json.dimension_names(), cpp.dimension_names());
  for (const auto& a : enumerate(cpp)) EXPECT_EQ(json.summary(a), cpp.summary(a));
}

TEST(NasRecurrent, StackedRnnPresetFromJsonMatchesTheFunction) {
  ArchitectureSpace json = ArchitectureSpace::from_json(
      R"({"preset": "stacked_rnn", "blocks": 3, "cells": ["lstm", "gru"], "units": [16, 32, 64], "anchors": 2,
          "merge": "add"})",
      "nas.json");
  EXPECT_EQ(json.inputs(), 0);
  json.set_sequence_io(8, 3, 8, 1);
  const ArchitectureSpace cpp = stacked_rnn_space(8, 3, 8, 1, 3, {OpKind::Lstm, OpKind::Gru}, {16, 32, 64}, 2);
  // identity + 2 cells x 3 widths; skips reach 1, then 2 anchors.
  EXPECT_EQ(json.choices(), (std::vector<int>{7, 2, 7, 3, 7, 3}));
  EXPECT_EQ(json.choices(), cpp.choices());
  EXPECT_EQ(json.dimension_names(),
            (std::vector<std::string>{"layer_0", "skip_0", "layer_1", "skip_1", "layer_2", "skip_2"}));
  std::mt19937_64 rng(23);
  for (int i = 0; i < 20; ++i) {
    const auto a = random_architecture(cpp, rng);
    EXPECT_EQ(json.summary(a), cpp.summary(a));
  }
  // Candidates in order: identity, lstm 16/32/64, gru 16/32/64.
  const GraphSpec g = cpp.build({1, 0, 6, 1, 0, 2});
  EXPECT_EQ(find_node(g, "layer_0")->kind, NodeKind::Lstm);
  EXPECT_EQ(find_node(g, "layer_0")->units, 16);
  EXPECT_EQ(find_node(g, "layer_1")->kind, NodeKind::Gru);
  EXPECT_EQ(find_node(g, "layer_1")->units, 64);
  EXPECT_EQ(find_node(g, "skip_1")->kind, NodeKind::Add);
  EXPECT_EQ(find_node(g, "skip_1")->inputs, (std::vector<std::string>{"layer_1", "skip_1/projection"}));
  EXPECT_EQ(find_node(g, "skip_1/projection")->inputs, std::vector<std::string>{"layer_0"});
  // layer_2 identity, skip_2 = 2 reaches layer_0 through the same projection widths 16 -> 64.
  EXPECT_EQ(find_node(g, "skip_2")->inputs, (std::vector<std::string>{"skip_1", "skip_2/projection"}));
  // lstm 3 -> 16: 4 * (48 + 256 + 16) = 1280; gru 16 -> 64: 3 * (1024 + 4096 + 64) + 64 = 15616;
  // two projections 16 -> 64: 2 * 1088; the default head on 8 x 64 = 512 values -> 8: 4104.
  EXPECT_EQ(cpp.parameter_count({1, 0, 6, 1, 0, 2}), 1280 + 15616 + 2 * 1088 + 4104);
  EXPECT_NE(find_node(g, "head/flatten"), nullptr);
  // The per-step head, asked for in C++ or JSON: head 64 -> 1 on every step: 65.
  const ArchitectureSpace per_step = stacked_rnn_space(8, 3, 8, 1, 3, {OpKind::Lstm, OpKind::Gru}, {16, 32, 64}, 2,
                                                       Merge::Add, SequenceHead::PerStep);
  EXPECT_EQ(per_step.sequence_head(), SequenceHead::PerStep);
  EXPECT_EQ(per_step.parameter_count({1, 0, 6, 1, 0, 2}), 1280 + 15616 + 2 * 1088 + 65);
  EXPECT_EQ(find_node(per_step.build({1, 0, 6, 1, 0, 2}), "head/flatten"), nullptr);
  ArchitectureSpace json_per_step =
      ArchitectureSpace::from_json(R"({"preset": "stacked_rnn", "head": "per_step"})", "nas.json");
  EXPECT_EQ(json_per_step.sequence_head(), SequenceHead::PerStep);
  json_per_step.set_sequence_io(8, 3, 8, 1);
  EXPECT_EQ(json_per_step.summary({1, 0, 6, 1, 0, 2}), per_step.summary({1, 0, 6, 1, 0, 2}));
  EXPECT_EQ(ArchitectureSpace::from_json(R"({"preset": "stacked_rnn", "head": "flatten"})", "nas.json").sequence_head(),
            SequenceHead::Flatten);
  EXPECT_EQ(ArchitectureSpace::from_json(R"({"preset": "stacked_rnn"})", "nas.json").sequence_head(),
            SequenceHead::Flatten);

  // Defaults, concat merges and one cell kind.
  EXPECT_EQ(ArchitectureSpace::from_json(R"({"preset": "stacked_rnn"})", "nas.json").choices(), cpp.choices());
  ArchitectureSpace concat = ArchitectureSpace::from_json(
      R"({"preset": "stacked_rnn", "blocks": 2, "cells": ["gru"], "units": [8], "anchors": 1, "merge": "concat"})",
      "nas.json");
  EXPECT_EQ(concat.choices(), (std::vector<int>{2, 2, 2, 2}));
  concat.set_sequence_io(5, 2, 1, 1);
  const GraphSpec c = concat.build({1, 1, 1, 1});
  EXPECT_EQ(find_node(c, "skip_0")->kind, NodeKind::Concat);
  EXPECT_EQ(find_node(c, "skip_0")->inputs, (std::vector<std::string>{"layer_0", "input"}));
  EXPECT_EQ(find_node(c, "skip_1")->inputs, (std::vector<std::string>{"layer_1", "skip_0"}));
  const GraphPlan cp = plan_graph(c);
  EXPECT_EQ(find_planned(cp, "skip_1")->width, 8 + 8 + 2);
  EXPECT_EQ(cp.output_width, 1);
  EXPECT_EQ(stacked_rnn_space(5, 2, 1, 1, 2, {OpKind::Gru}, {8}, 1, Merge::Concat).summary({1, 1, 1, 1}),
            concat.summary({1, 1, 1, 1}));

  EXPECT_THROW(stacked_rnn_space(8, 3, 8, 1, 0), Error);
  EXPECT_THROW(stacked_rnn_space(8, 3, 8, 1, 2, {}), Error);
  EXPECT_THROW(stacked_rnn_space(8, 3, 8, 1, 2, {OpKind::Lstm}, {}), Error);
  EXPECT_THAT(error_of([] { stacked_rnn_space(8, 3, 8, 1, 2, {OpKind::Dense}); }), HasSubstr("cells must be lstm or gru"));
  EXPECT_THROW(stacked_rnn_space(0, 3, 8, 1), Error);
}

TEST(NasRecurrent, PerStepHeadNeedsAsManyOutputStepsAsInputSteps) {
  // Asked for by stacked_rnn_space, by set_sequence_head after set_sequence_io, or before it.
  const std::string preset = error_of([] {
    stacked_rnn_space(8, 3, 2, 1, 2, {OpKind::Lstm}, {4}, 1, Merge::Add, SequenceHead::PerStep);
  });
  EXPECT_THAT(preset, HasSubstr("per-step head"));
  EXPECT_THAT(preset, HasSubstr("architecture.head"));
  EXPECT_THAT(preset, HasSubstr("got 8 steps and horizon 2"));
  ArchitectureSpace after = small_rnn_space(2);
  EXPECT_THAT(error_of([&] { after.set_sequence_head(SequenceHead::PerStep); }), HasSubstr("horizon == steps"));
  EXPECT_EQ(after.sequence_head(), SequenceHead::Flatten);  // unchanged by the failed call
  ArchitectureSpace before = small_rnn_space(kSteps, SequenceHead::PerStep);
  EXPECT_THAT(error_of([&] { before.set_sequence_io(kSteps, kFeatures, 3, kTargets); }),
              HasSubstr("got 4 steps and horizon 3"));
  EXPECT_EQ(before.horizon(), kSteps);  // unchanged by the failed call
  // The head is set before the job's sequence section gives the widths: JSON per_step, then a
  // horizon other than the window.
  ArchitectureSpace json = ArchitectureSpace::from_json(R"({"preset": "stacked_rnn", "head": "per_step"})", "job.json",
                                                        "architecture");
  EXPECT_THAT(error_of([&] { json.set_sequence_io(8, 3, 1, 1); }), HasSubstr("architecture.head"));
  EXPECT_NO_THROW(json.set_sequence_io(8, 3, 8, 1));
  // Flatten takes any horizon.
  EXPECT_NO_THROW(stacked_rnn_space(8, 3, 2, 1, 2, {OpKind::Lstm}, {4}, 1, Merge::Add, SequenceHead::Flatten));
  EXPECT_EQ(parse_sequence_head("per_step"), SequenceHead::PerStep);
  EXPECT_EQ(std::string(to_string(SequenceHead::Flatten)), "flatten");
}

TEST(NasRecurrent, JsonErrorsNameTheKey) {
  auto error = [](const std::string& text) {
    return error_of([&] { ArchitectureSpace::from_json(text, "job.json", "architecture"); });
  };
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "cells": ["lstm", "rnn"]})"),
              HasSubstr("job.json: key 'architecture.cells[1]': unknown cell 'rnn'"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "cells": ["lstm", "rnn"]})"), HasSubstr("(valid: lstm, gru)"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "cells": "lstm"})"), HasSubstr("key 'architecture.cells'"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "units": [0, 8]})"),
              HasSubstr("key 'architecture.units[0]' must be an integer"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "widths": [8]})"),
              HasSubstr("key 'architecture.widths' is not a known key"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "cell": ["gru"]})"),
              HasSubstr("key 'architecture.cell' is not a known key (did you mean 'cells'?)"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "merge": "mul"})"),
              HasSubstr("key 'architecture.merge': unknown merge 'mul'"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "blocks": 0})"), HasSubstr("key 'architecture.blocks'"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "units": [8, 8]})"), HasSubstr("key 'architecture.preset'"));
  // The dense presets take no cells.
  EXPECT_THAT(error(R"({"preset": "dense_skip", "cells": ["lstm"]})"),
              HasSubstr("key 'architecture.cells' is not a known key"));
  EXPECT_THAT(error(R"({"nodes": [{"name": "r", "type": "variable", "ops": ["identity", "lstm:0"]}]})"),
              HasSubstr("key 'architecture.nodes[0].ops[1]': operation 'lstm:0'"));
  // Plain widths with recurrent layers: the error names the key and the node.
  const std::string io = error(R"({"preset": "stacked_rnn", "inputs": 4, "outputs": 1})");
  EXPECT_THAT(io, HasSubstr("job.json: key 'architecture.inputs': variable node 'layer_0' offers 'lstm:16', a recurrent layer"));
  EXPECT_THAT(io, HasSubstr("sequence"));
  EXPECT_THAT(error(R"({"outputs": 1, "nodes": [{"name": "c", "type": "constant", "op": "gru:4"}]})"),
              HasSubstr("key 'architecture.outputs': constant node 'c' offers 'gru:4'"));
  // The head: a known name, in every form; per_step only without plain widths.
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "head": "perstep"})"),
              HasSubstr("job.json: key 'architecture.head': unknown head 'perstep' (did you mean 'per_step'?)"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "head": "perstep"})"), HasSubstr("(valid: flatten, per_step)"));
  EXPECT_THAT(error(R"({"preset": "stacked_rnn", "head": 1})"), HasSubstr("key 'architecture.head'"));
  EXPECT_THAT(error(R"({"head": "per_step", "nodes": [{"name": "c", "type": "constant", "op": "dense:4"}],
                        "inputs": 4, "outputs": 1})"),
              HasSubstr("job.json: key 'architecture.head': \"per_step\" is a sequence head, but architecture.inputs"));
  const ArchitectureSpace nodes = ArchitectureSpace::from_json(
      R"({"head": "per_step", "nodes": [{"name": "r", "type": "variable", "ops": ["identity", "lstm:4"]}]})",
      "job.json", "architecture");
  EXPECT_EQ(nodes.sequence_head(), SequenceHead::PerStep);
  const auto keys = ArchitectureSpace::json_keys();
  EXPECT_NE(std::find(keys.begin(), keys.end(), "head"), keys.end());
}

TEST(NasRecurrent, RandomStackedRnnArchitecturesAllBuildAndRoundTripThroughTheSearchSpace) {
  const std::vector<ArchitectureSpace> spaces = {stacked_rnn_space(6, 2, 6, 1),
                                                 stacked_rnn_space(5, 3, 2, 2, 4, {OpKind::Gru}, {8, 24}, 3, Merge::Concat)};
  std::mt19937_64 rng(29);
  for (const auto& space : spaces) {
    const search::Space params = space.search_space();
    EXPECT_EQ(params.size(), size_t(space.dimensions()));
    for (int i = 0; i < 100; ++i) {
      const auto a = random_architecture(space, rng);
      const GraphPlan plan = plan_graph(space.build(a));
      EXPECT_EQ(plan.input_width, space.inputs());
      EXPECT_EQ(plan.input_steps, space.steps());
      EXPECT_EQ(plan.output_width, space.outputs());
      EXPECT_EQ(space.parameter_count(a), plan.parameter_count);
      std::map<std::string, search::Value> values;
      for (int d = 0; d < space.dimensions(); ++d)
        values[ArchitectureSpace::parameter_name(space.dimension_names()[d])] = double(a[d]);
      EXPECT_EQ(space.architecture_of(params.make(values)), a);
    }
  }
}

TEST(NasRecurrent, ArchitecturesRunForwardInANetworkStepMajorAndCausal) {
  // r0 lstm 4, r1 gru 4, s0 adds the input through a projection, r2 lstm 3, s1 concats r0's output.
  const std::vector<int> a = {1, 1, 2, 0, 2};
  const int rows = 5;
  std::vector<float> x(size_t(rows) * kSteps * kFeatures);
  std::mt19937_64 rng(31);
  std::uniform_real_distribution<float> u(-1, 1);
  for (float& v : x) v = u(rng);
  for (const HeadCase& c : kHeadCases) {
    SCOPED_TRACE(trace(c));
    const int horizon = c.horizon;
    const ArchitectureSpace space = small_rnn_space(horizon, c.head);
    Network<float> net(space.build(a), 13);
    EXPECT_EQ(net.parameter_count(), expected_rnn_parameters(a, horizon, c.head));
    EXPECT_EQ(net.input_width(), kSteps * kFeatures);
    EXPECT_EQ(net.output_width(), horizon * kTargets);
    const std::vector<float> y = net.predict(x.data(), rows);
    ASSERT_EQ(y.size(), size_t(rows) * horizon * kTargets);
    for (float v : y) EXPECT_TRUE(std::isfinite(v));
    // Changing the last input step of the first sample: with the per-step head (every layer runs
    // forward in time) only that sample's last output step moves; the flattening head sees it all.
    std::vector<float> x2 = x;
    for (int f = 0; f < kFeatures; ++f) x2[size_t(kSteps - 1) * kFeatures + f] += 0.5f;
    const std::vector<float> y2 = net.predict(x2.data(), rows);
    const size_t per_sample = size_t(horizon) * kTargets;
    for (size_t k = 0; k < y.size(); ++k) {
      const bool first_sample = k < per_sample;
      const bool last_step = k % per_sample >= per_sample - kTargets;
      if (!first_sample || (c.head == SequenceHead::PerStep && !last_step)) {
        EXPECT_EQ(y[k], y2[k]) << k;
      }
    }
    bool moved = false;
    for (size_t k = per_sample - kTargets; k < per_sample; ++k) moved = moved || y[k] != y2[k];
    EXPECT_TRUE(moved);
  }
}
