// Finite-difference gradient checks of every layer, merge and loss through the whole network.
#include <support/gradient_check.hpp>

using namespace kyper;
using kyper::testing::GradientCase;
using kyper::testing::max_gradient_error;

namespace {
GraphSpec two_layer(Activation act, int outputs = 1) {
  GraphSpec g;
  auto x = g.input("x", 3);
  auto h = g.dense("hidden", x, 5, act);
  auto y = g.dense("head", h, outputs);
  g.output("out", y);
  return g;
}
}  // namespace

class ActivationGradient : public ::testing::TestWithParam<Activation> {};

TEST_P(ActivationGradient, DenseWithActivationMatchesFiniteDifference) {
  GradientCase c;
  c.graph = two_layer(GetParam());
  EXPECT_LT(max_gradient_error(c), 1e-5) << to_string(GetParam());
}

TEST_P(ActivationGradient, StandaloneActivationNodeMatchesFiniteDifference) {
  GradientCase c;
  auto x = c.graph.input("x", 3);
  auto h = c.graph.dense("hidden", x, 6);
  auto a = c.graph.activation("act", h, GetParam());
  c.graph.output("out", c.graph.dense("head", a, 1));
  EXPECT_LT(max_gradient_error(c), 1e-5) << to_string(GetParam());
}

INSTANTIATE_TEST_SUITE_P(AllActivations, ActivationGradient,
                         ::testing::Values(Activation::Identity, Activation::Relu, Activation::Tanh,
                                           Activation::Sigmoid, Activation::Swish, Activation::Gelu, Activation::Elu),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(LossGradient, MeanSquaredError) {
  GradientCase c;
  c.graph = two_layer(Activation::Tanh, 2), c.targets = 2;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LossGradient, MeanAbsoluteError) {
  GradientCase c;
  c.graph = two_layer(Activation::Tanh, 2), c.targets = 2, c.loss = Loss::MAE;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LossGradient, GaussianNegativeLogLikelihood) {
  GradientCase c;
  c.graph = two_layer(Activation::Tanh, 4), c.targets = 2, c.loss = Loss::GaussianNLL;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LossGradient, SoftmaxCrossEntropy) {
  GradientCase c;
  c.graph = two_layer(Activation::Tanh, 3), c.targets = 1, c.classes = 3, c.loss = Loss::SoftmaxCrossEntropy;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LossGradient, BinaryCrossEntropy) {
  GradientCase c;
  c.graph = two_layer(Activation::Tanh, 2), c.targets = 2, c.loss = Loss::BinaryCrossEntropy;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(MergeGradient, AddSkipConnection) {
  GradientCase c;
  auto x = c.graph.input("x", 4);
  auto a = c.graph.dense("a", x, 6, Activation::Tanh);
  auto b = c.graph.dense("b", a, 6, Activation::Sigmoid);
  auto s = c.graph.add("skip", {a, b});
  c.graph.output("out", c.graph.dense("head", s, 1));
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(MergeGradient, ConcatenateWithInputAndHidden) {
  GradientCase c;
  auto x = c.graph.input("x", 3);
  auto a = c.graph.dense("a", x, 5, Activation::Elu);
  auto b = c.graph.dense("b", a, 4, Activation::Gelu);
  auto cat = c.graph.concat("cat", {x, a, b});
  c.graph.output("out", c.graph.dense("head", cat, 2));
  c.targets = 2;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LayerGradient, DropoutUsesItsMaskInBackward) {
  GradientCase c;
  auto x = c.graph.input("x", 3);
  auto a = c.graph.dense("a", x, 16, Activation::Tanh);
  auto d = c.graph.dropout("drop", a, 0.4);
  c.graph.output("out", c.graph.dense("head", d, 1));
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LayerGradient, DenseWithoutBias) {
  GradientCase c;
  auto x = c.graph.input("x", 3);
  auto a = c.graph.dense("a", x, 5, Activation::Swish, /*bias=*/false);
  c.graph.output("out", c.graph.dense("head", a, 1));
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

namespace {
// One wide dense layer under a 3-output head at 70 rows, 60 parameters checked: a shape for
// choosing between the tiled kernel and KokkosBlas::gemm.
GradientCase wide_dense_case(int inputs, int units) {
  GradientCase c;
  c.rows = 70;
  auto x = c.graph.input("x", inputs);
  auto a = c.graph.dense("a", x, units, Activation::Tanh);
  c.graph.output("out", c.graph.dense("head", a, 3));
  c.targets = 3;
  c.max_checked = 60;
  return c;
}
}  // namespace

// Big enough for the KokkosBlas::gemm path (and its tile-kernel edges: widths not multiples of 16).
TEST(LayerGradient, LargeDenseUsesGemmPathCorrectly) {
  ASSERT_TRUE(dense_prefers_gemm(70, 400, 350));
  EXPECT_LT(max_gradient_error(wide_dense_case(400, 350)), 1e-5);
}

// Many multiply-adds but weights that fit a core's cache: the tiled kernel, with partial tiles.
TEST(LayerGradient, MediumDenseStaysOnTiledPath) {
  ASSERT_TRUE(product_prefers_gemm(70, 300, 250));
  ASSERT_FALSE(dense_prefers_gemm(70, 300, 250));
  EXPECT_LT(max_gradient_error(wide_dense_case(300, 250)), 1e-5);
}

// More rows than one block of row tiles (GemmRowBlock tiles of this backend's rows), with a partial
// last block: every tile of the blocked order is visited once.
TEST(LayerGradient, TiledProductAcrossRowBlocks) {
  GradientCase c;
  c.rows = 2 * GemmRowBlock * gemm_tile_rows<kyper::testing::Exec>() + 13;
  auto x = c.graph.input("x", 6);
  auto a = c.graph.dense("a", x, 37, Activation::Tanh);
  c.graph.output("out", c.graph.dense("head", a, 2));
  c.targets = 2;
  c.max_checked = 60;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(LayerGradient, TileEdgesOfOddShapes) {
  GradientCase c;
  c.rows = 9;
  auto x = c.graph.input("x", 17);
  auto a = c.graph.dense("a", x, 33, Activation::Tanh);
  c.graph.output("out", c.graph.dense("head", a, 5));
  c.targets = 5;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}
