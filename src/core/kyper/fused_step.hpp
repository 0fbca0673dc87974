// When a network trains with the fused one-kernel step (kernels/fused_mlp.hpp), and its layout.
//
// The fused step applies to a chain input -> dense -> ... -> dense -> output of at most
// kFusedMaxLayers dense layers on a plain (non-sequence) input, when the optimizer does not clip by
// global norm (that needs every gradient before any update). Trainer::fit's rule (FusedStep::Auto):
//   - a single network takes the general path on every backend. On a host, with its epilogues
//     vectorized, it measured 4-13% faster than the fused kernel on the benchmark's small nets
//     (A, D) at 1 thread, and larger layers belong to BLAS anyway. On a GPU (an H200) the fused
//     step of one network ran at 0.46 (A) and 0.50 (D) of the general path's rate: one team is one
//     block on one of 132 SMs, and the tile kernel's 4x16 outputs per thread keep few of its threads
//     busy (32 for A's 64-wide layers on 32 rows);
//   - networks trained together (MultiTrainer) always take the fused step, one team per network,
//     on every backend: one launch per step for all of them, the host's threads or the GPU's SMs
//     spread over the networks (kyper::together_is_faster says when that beats one after the other).
#pragma once

#include <optional>
#include <vector>

#include <kyper/graph.hpp>
#include <kyper/kernels.hpp>
#include <kyper/kernels/fused_mlp.hpp>
#include <kyper/network.hpp>
#include <kyper/optimizer.hpp>

namespace kyper {

enum class FusedStep { Auto, Always, Never };

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

// Whether the fused step of this shape suits a host core: every layer small enough for the tiled
// kernel at the batch size, and one team's scratch within kFusedHostScratchBytes (a core's share
// of L2). Larger networks trained together still run fused, only slower than they could.
inline bool fused_step_fits_host_core(const FusedMlpShape& shape, long scratch_bytes) {
  for (int l = 0; l < shape.layer_count; ++l)
    if (dense_prefers_gemm(shape.rows, shape.layers[l].in, shape.layers[l].out)) return false;
  return scratch_bytes <= kFusedHostScratchBytes;
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
