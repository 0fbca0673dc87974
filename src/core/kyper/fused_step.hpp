// When a network trains with the fused one-kernel step (kernels/fused_mlp.hpp), and its layout.
//
// The rule: the graph is a chain input -> dense -> ... -> dense -> output of at most
// kFusedMaxLayers dense layers on a plain (non-sequence) input, and the optimizer does not clip by
// global norm (that needs every gradient before any update). Then
//   - on a host, the fused step is used when every layer is small enough for the tile kernels at the
//     batch size (dense_prefers_gemm false) and one team's scratch fits kFusedHostScratchBytes, a
//     core's share of L2 cache: beyond that BLAS products and separate passes win;
//   - on a GPU, a single network uses it when the scratch fits the block's shared memory (level 0);
//     several networks trained together always use it when the graph is a chain.
#pragma once

#include <optional>
#include <vector>

#include <kyper/graph.hpp>
#include <kyper/kernels.hpp>
#include <kyper/kernels/fused_mlp.hpp>
#include <kyper/network.hpp>
#include <kyper/optimizer.hpp>

namespace kyper {

constexpr long kFusedHostScratchBytes = 512 * 1024;

// The fused layout of `plan` for batches of up to `rows` rows, or nothing when the graph is not a
// chain of dense layers the fused kernel can run.
inline std::optional<FusedMlpShape> fused_mlp_shape(const GraphPlan& plan, int rows) {
  if (plan.input_steps > 0) return std::nullopt;
  std::vector<int> widths{plan.input_width};
  std::vector<Activation> activations;
  std::vector<long> weights, biases;
  int previous = plan.input_node;
  for (const PlannedNode& node : plan.nodes) {
    if (node.kind == NodeKind::Input) continue;
    if (node.inputs.size() != 1 || node.inputs[0] != previous) return std::nullopt;
    if (node.kind == NodeKind::Output) break;
    if (node.kind != NodeKind::Dense || node.steps != 1) return std::nullopt;
    if (int(activations.size()) == kFusedMaxLayers) return std::nullopt;
    widths.push_back(node.width);
    activations.push_back(node.activation);
    weights.push_back(node.weight_offset), biases.push_back(node.bias_offset);
    previous = int(&node - plan.nodes.data());
  }
  if (activations.empty() || plan.nodes[plan.output_node].inputs[0] != previous) return std::nullopt;
  return plan_fused_mlp(int(activations.size()), widths.data(), activations.data(), weights.data(), biases.data(),
                        rows);
}

// Whether one network of this shape trains faster fused on ExecSpace (the rule above).
template <class Scalar, class ExecSpace>
bool fused_step_preferred(const FusedMlpShape& shape) {
  const long bytes = fused_mlp_scratch_bytes<Scalar>(shape);
  if (!fused_runs_on_host<ExecSpace>()) return bytes <= Kokkos::TeamPolicy<ExecSpace>::scratch_size_max(0);
  for (int l = 0; l < shape.layer_count; ++l)
    if (dense_prefers_gemm(shape.rows, shape.layers[l].in, shape.layers[l].out)) return false;
  return bytes <= kFusedHostScratchBytes;
}

// A fused step of one network and its optimizer, with the shape set; the caller fills in the batch
// (x, y, y_cols, order, first, rows), the loss and where its sum goes, and calls
// step.hyper = optimizer.advance() before each launch.
template <class Scalar, class ExecSpace>
FusedMlpStep<Scalar, ExecSpace> fused_step_of(const Network<Scalar, ExecSpace>& net,
                                              const Optimizer<Scalar, ExecSpace>& optimizer, const FusedMlpShape& shape) {
  FusedMlpStep<Scalar, ExecSpace> step;
  step.shape = shape;
  step.params = net.parameters().data();
  step.state1 = optimizer.state1().data(), step.state2 = optimizer.state2().data();
  step.hyper.kind = optimizer.config().kind;
  return step;
}

}  // namespace kyper
