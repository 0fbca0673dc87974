// Graph validation: shape mismatches, cycles, dangling and unknown nodes are rejected with the node named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <kyper/error.hpp>
#include <kyper/graph.hpp>

using namespace kyper;
using ::testing::HasSubstr;

namespace {
std::string plan_error(const GraphSpec& g) {
  try {
    plan_graph(g);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Graph, MlpPlanCountsParameters) {
  GraphPlan plan = plan_graph(make_mlp(8, {64, 64}, 1, Activation::Relu));
  EXPECT_EQ(plan.parameter_count, 8 * 64 + 64 + 64 * 64 + 64 + 64 * 1 + 1);
  EXPECT_EQ(plan.input_width, 8);
  EXPECT_EQ(plan.output_width, 1);
}

TEST(Graph, ConcatWidthIsSumOfInputs) {
  GraphSpec g;
  auto x = g.input("x", 3);
  auto a = g.dense("a", x, 5);
  auto c = g.concat("c", {x, a});
  g.output("out", g.dense("head", c, 2));
  GraphPlan plan = plan_graph(g);
  EXPECT_EQ(plan.parameter_count, 3 * 5 + 5 + 8 * 2 + 2);
}

TEST(Graph, NodesMayBeListedOutOfOrder) {
  GraphSpec g;
  g.output("out", "head");
  g.dense("head", "x", 2);
  g.input("x", 3);
  GraphPlan plan = plan_graph(g);
  EXPECT_EQ(plan.nodes.front().name, "x");
  EXPECT_EQ(plan.nodes.back().name, "out");
}

TEST(Graph, RejectsAddOfDifferentWidthsNamingTheNode) {
  GraphSpec g;
  auto x = g.input("x", 3);
  auto a = g.dense("a", x, 5);
  auto b = g.dense("b", x, 4);
  g.output("out", g.add("merge", {a, b}));
  EXPECT_THAT(plan_error(g), HasSubstr("add node 'merge'"));
  EXPECT_THAT(plan_error(g), HasSubstr("width 4"));
}

TEST(Graph, RejectsCycleNamingItsNodes) {
  GraphSpec g;
  auto x = g.input("x", 3);
  g.dense("a", "b", 3);
  g.dense("b", "a", 3);
  g.output("out", g.add("sum", {x, "b"}));
  EXPECT_THAT(plan_error(g), HasSubstr("cycle"));
  EXPECT_THAT(plan_error(g), HasSubstr("'a'"));
}

TEST(Graph, RejectsDanglingNode) {
  GraphSpec g;
  auto x = g.input("x", 3);
  g.dense("unused", x, 3);
  g.output("out", g.dense("head", x, 1));
  EXPECT_THAT(plan_error(g), HasSubstr("node 'unused' is dangling"));
}

TEST(Graph, RejectsUnknownInput) {
  GraphSpec g;
  g.input("x", 3);
  g.output("out", g.dense("head", "nope", 1));
  EXPECT_THAT(plan_error(g), HasSubstr("node 'head' reads unknown node 'nope'"));
}

TEST(Graph, RejectsDuplicateNamesMissingOutputAndBadDropout) {
  GraphSpec dup;
  dup.input("x", 3);
  dup.dense("x", "x", 1);
  EXPECT_THAT(plan_error(dup), HasSubstr("duplicate node name 'x'"));

  GraphSpec no_output;
  no_output.dense("head", no_output.input("x", 3), 1);
  EXPECT_THAT(plan_error(no_output), HasSubstr("exactly one output node"));

  GraphSpec bad_rate;
  auto x = bad_rate.input("x", 3);
  bad_rate.output("out", bad_rate.dense("h", bad_rate.dropout("drop", x, 1.5), 1));
  EXPECT_THAT(plan_error(bad_rate), HasSubstr("dropout node 'drop'"));
}

TEST(Graph, ParsesActivationNamesAndRejectsUnknown) {
  EXPECT_EQ(parse_activation("silu"), Activation::Swish);
  EXPECT_EQ(parse_activation("gelu"), Activation::Gelu);
  EXPECT_THROW(parse_activation("softsign"), Error);
}
