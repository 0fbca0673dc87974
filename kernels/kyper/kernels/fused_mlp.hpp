// A whole training step of a small MLP in one kernel: gather the mini-batch, forward, loss,
// backward and the optimizer update. One team runs one network (a host thread, or a CUDA/HIP block)
// with the batch's activations and gradients in team scratch memory, so a step is one launch and its
// intermediate values never leave the core's cache (the block's shared memory). A league of M teams
// trains M networks of one shape at once: M parameter blocks `stride` elements apart.
//
// Within a team every output element is owned by one thread and summed in a fixed order, and the
// loss is a team reduction of fixed shape, so results are deterministic for a given team size.
#pragma once

#include <kyper/kernels/activation.hpp>
#include <kyper/kernels/dense.hpp>
#include <kyper/kernels/loss.hpp>
#include <kyper/kernels/optimizer.hpp>
#include <kyper/kernels/tile_gemm.hpp>

namespace kyper::kernels {

constexpr int kFusedMaxLayers = 8;

struct FusedLayer {
  int in = 0, out = 0;
  Activation activation = Activation::Identity;
  long weight_offset = 0;  // in a network's parameter block: W (in x out), row-major
  long bias_offset = -1;   // b (out); -1: no bias
  long value_offset = 0;   // team scratch: the layer's output (rows x out)
  long pre_offset = -1;    // team scratch: its pre-activation, when the derivative needs it
};

// The layers of one network and the scratch layout of one team, for batches of up to `rows` rows.
struct FusedMlpShape {
  int layer_count = 0;
  FusedLayer layers[kFusedMaxLayers];
  int rows = 0;
  int input_width = 0;
  int widest = 0;
  long input_offset = 0;              // the gathered batch (rows x input_width)
  long gradient_offset[2] = {0, 0};   // dL/d(values), alternating between layers (rows x widest)
  long transposed_offset = 0;         // one layer's W^T (out x in)
  long scratch_elements = 0;
  KOKKOS_INLINE_FUNCTION int output_width() const { return layers[layer_count - 1].out; }
};

// Lays out the scratch of a chain of dense layers: layer i maps widths[i] to widths[i + 1]. Every
// block is rounded up to whole tiles and carries TileSpare spare elements (the tile kernels read,
// never write, past a block's end).
inline FusedMlpShape plan_fused_mlp(int layer_count, const int* widths, const Activation* activations,
                                    const long* weight_offsets, const long* bias_offsets, int rows) {
  FusedMlpShape shape;
  shape.layer_count = layer_count;
  shape.rows = rows;
  shape.input_width = widths[0];
  long next = 0;
  auto take = [&](long elements) {
    const long offset = next;
    next += (elements + TileSpare + TileCols - 1) / TileCols * TileCols;
    return offset;
  };
  shape.input_offset = take(long(rows) * widths[0]);
  long transposed = 0;
  for (int i = 0; i < layer_count; ++i) {
    FusedLayer& layer = shape.layers[i];
    layer.in = widths[i], layer.out = widths[i + 1];
    layer.activation = activations[i];
    layer.weight_offset = weight_offsets[i], layer.bias_offset = bias_offsets[i];
    layer.value_offset = take(long(rows) * layer.out);
    if (derivative_needs_preactivation(layer.activation)) layer.pre_offset = take(long(rows) * layer.out);
    shape.widest = layer.out > shape.widest ? layer.out : shape.widest;
    transposed = long(layer.in) * layer.out > transposed ? long(layer.in) * layer.out : transposed;
  }
  for (int i = 1; i < layer_count; ++i)  // dL/dX of layer i is dL/d(values) of layer i - 1
    shape.widest = widths[i] > shape.widest ? widths[i] : shape.widest;
  shape.gradient_offset[0] = take(long(rows) * shape.widest);
  shape.gradient_offset[1] = take(long(rows) * shape.widest);
  shape.transposed_offset = take(transposed);
  shape.scratch_elements = next;
  return shape;
}

// Weight-gradient epilogue: the gradient goes straight into the optimizer rule (and, when asked,
// into the gradient array), so dW is never a separate pass over memory.
template <OptimizerKind Kind, class Scalar>
struct FusedUpdateEpilogue {
  Scalar* params;
  Scalar* grads;  // may be null
  Scalar* state1;
  Scalar* state2;
  long ld;
  OptimizerStep<Scalar> hyper;
  KOKKOS_FORCEINLINE_FUNCTION void operator()(int row, int col, Scalar grad) const {
    const long i = row * ld + col;
    if (grads) grads[i] = grad;
    update_parameter<Kind>(hyper, grad, params[i], state1[i], state2[i]);
  }
};

// One step (or, with `training` false, one evaluation batch) of M networks.
template <class Scalar, class ExecSpace>
struct FusedMlpStep {
  using Member = typename Kokkos::TeamPolicy<ExecSpace>::member_type;

  FusedMlpShape shape;
  int scratch_level = 0;
  // Network m's parameters, gradients (may be null) and optimizer state start at m * stride.
  Scalar* params = nullptr;
  Scalar* grads = nullptr;
  Scalar* state1 = nullptr;
  Scalar* state2 = nullptr;
  long stride = 0;
  // Data rows (row-major) and each network's row order: row r of the step is
  // x[order[m * order_stride + first + r]]; order_stride 0 shares one order.
  const Scalar* x = nullptr;
  const Scalar* y = nullptr;
  int y_cols = 0;
  const long* order = nullptr;
  long order_stride = 0;
  long first = 0;
  int rows = 0;
  bool training = true;
  OptimizerStep<Scalar> hyper;
  const Scalar* learning_rates = nullptr;  // per network; null: hyper.learning_rate for all
  const int* active = nullptr;             // per network; null: all train
  Loss loss = Loss::MSE;
  Scalar variance_floor = Scalar(1e-6);
  // losses[m * loss_stride + loss_slot] = the sum over the batch of the per-sample loss.
  double* losses = nullptr;
  long loss_stride = 0, loss_slot = 0;

  KOKKOS_INLINE_FUNCTION void operator()(const Member& team) const {
    const int net = team.league_rank();
    if (active && !active[net]) return;
    Scalar* scratch = static_cast<Scalar*>(
        team.team_scratch(scratch_level).get_shmem(shape.scratch_elements * long(sizeof(Scalar))));
    Scalar* p = params + net * stride;
    Scalar* input = scratch + shape.input_offset;
    const long* rows_of = order + net * order_stride + first;
    gather(team, rows_of, input);
    team.team_barrier();
    const Scalar* layer_in = input;
    for (int l = 0; l < shape.layer_count; ++l) {
      forward_layer(team, shape.layers[l], p, layer_in, scratch);
      layer_in = scratch + shape.layers[l].value_offset;
      team.team_barrier();
    }
    const FusedLayer& last = shape.layers[shape.layer_count - 1];
    Scalar* d_out = scratch + shape.gradient_offset[0];
    const double batch_loss = loss_sum(team, rows_of, scratch + last.value_offset, training ? d_out : nullptr);
    Kokkos::single(Kokkos::PerTeam(team), [&]() { losses[net * loss_stride + loss_slot] = batch_loss; });
    if (!training) return;
    team.team_barrier();
    OptimizerStep<Scalar> h = hyper;
    if (learning_rates) h.learning_rate = learning_rates[net];
    for (int l = shape.layer_count - 1; l >= 0; --l) {
      const FusedLayer& layer = shape.layers[l];
      Scalar* d_z = scratch + shape.gradient_offset[(shape.layer_count - 1 - l) % 2];
      Scalar* d_x = scratch + shape.gradient_offset[(shape.layer_count - l) % 2];
      const Scalar* x_l = l == 0 ? input : scratch + shape.layers[l - 1].value_offset;
      backward_layer(team, layer, net, h, x_l, d_z, l > 0 ? d_x : nullptr, scratch);
    }
  }

  KOKKOS_INLINE_FUNCTION void gather(const Member& team, const long* rows_of, Scalar* input) const {
    const int width = shape.input_width;
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, rows), [&](const int r) {
      const Scalar* source = x + rows_of[r] * width;
      for (int c = 0; c < width; ++c) input[r * width + c] = source[c];
    });
  }

  template <Activation Act>
  KOKKOS_INLINE_FUNCTION void forward_with(const Member& team, const FusedLayer& layer, const Scalar* p,
                                           const Scalar* in, Scalar* scratch) const {
    DenseForwardEpilogue<Act, Scalar> epilogue{layer.bias_offset >= 0 ? p + layer.bias_offset : nullptr,
                                               layer.pre_offset >= 0 ? scratch + layer.pre_offset : nullptr,
                                               scratch + layer.value_offset, layer.out};
    team_tile_gemm<ExecSpace>(team, rows, layer.out, layer.in, in, StridedOperand{layer.in, 1}, p + layer.weight_offset,
                   layer.out, epilogue);
  }

  KOKKOS_INLINE_FUNCTION void forward_layer(const Member& team, const FusedLayer& layer, const Scalar* p,
                                            const Scalar* in, Scalar* scratch) const {
    switch (layer.activation) {
      case Activation::Identity: forward_with<Activation::Identity>(team, layer, p, in, scratch); break;
      case Activation::Relu: forward_with<Activation::Relu>(team, layer, p, in, scratch); break;
      case Activation::Tanh: forward_with<Activation::Tanh>(team, layer, p, in, scratch); break;
      case Activation::Sigmoid: forward_with<Activation::Sigmoid>(team, layer, p, in, scratch); break;
      case Activation::Swish: forward_with<Activation::Swish>(team, layer, p, in, scratch); break;
      case Activation::Gelu: forward_with<Activation::Gelu>(team, layer, p, in, scratch); break;
      case Activation::Elu: forward_with<Activation::Elu>(team, layer, p, in, scratch); break;
    }
  }

  KOKKOS_INLINE_FUNCTION double loss_sum(const Member& team, const long* rows_of, const Scalar* out,
                                         Scalar* d_out) const {
    const int out_cols = shape.output_width();
    const int target_cols = loss == Loss::GaussianNLL ? out_cols / 2 : y_cols;
    const Scalar scale = Scalar(1) / Scalar(rows);
    double sum = 0;
    Kokkos::parallel_reduce(
        Kokkos::TeamThreadRange(team, rows),
        [&](const int r, double& partial) {
          partial += loss_row(loss, out + long(r) * out_cols, y + rows_of[r] * y_cols,
                              d_out ? d_out + long(r) * out_cols : nullptr, out_cols, target_cols, scale,
                              variance_floor);
        },
        sum);
    return sum;
  }

  // dZ = dL/d(values) * f'(z), in place.
  template <Activation Act>
  KOKKOS_INLINE_FUNCTION void activation_gradient_with(const Member& team, const FusedLayer& layer, Scalar* d_z,
                                                       const Scalar* scratch) const {
    const Scalar* out = scratch + layer.value_offset;
    const Scalar* pre = layer.pre_offset >= 0 ? scratch + layer.pre_offset : out;
    const int width = layer.out;
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, rows), [&](const int r) {
      const long base = long(r) * width;
      KYPER_SIMD
      for (int c = 0; c < width; ++c) d_z[base + c] *= activation_derivative(Act, pre[base + c], out[base + c]);
    });
  }

  KOKKOS_INLINE_FUNCTION void activation_gradient(const Member& team, const FusedLayer& layer, Scalar* d_z,
                                                  const Scalar* scratch) const {
    switch (layer.activation) {
      case Activation::Identity: break;
      case Activation::Relu: activation_gradient_with<Activation::Relu>(team, layer, d_z, scratch); break;
      case Activation::Tanh: activation_gradient_with<Activation::Tanh>(team, layer, d_z, scratch); break;
      case Activation::Sigmoid: activation_gradient_with<Activation::Sigmoid>(team, layer, d_z, scratch); break;
      case Activation::Swish: activation_gradient_with<Activation::Swish>(team, layer, d_z, scratch); break;
      case Activation::Gelu: activation_gradient_with<Activation::Gelu>(team, layer, d_z, scratch); break;
      case Activation::Elu: activation_gradient_with<Activation::Elu>(team, layer, d_z, scratch); break;
    }
  }

  // Given dL/d(values) in d_z: d_x = dZ W^T (with the weights before this step's update), then
  // W and b updated from dW = X^T dZ and db = column sums of dZ.
  KOKKOS_INLINE_FUNCTION void backward_layer(const Member& team, const FusedLayer& layer, int net,
                                             const OptimizerStep<Scalar>& h, const Scalar* x_l, Scalar* d_z,
                                             Scalar* d_x, Scalar* scratch) const {
    const long block = net * stride;
    Scalar* p = params + block;
    activation_gradient(team, layer, d_z, scratch);
    Scalar* transposed = scratch + shape.transposed_offset;
    if (d_x) {
      const Scalar* w = p + layer.weight_offset;
      const int in = layer.in, out = layer.out;
      Kokkos::parallel_for(Kokkos::TeamThreadRange(team, out), [&](const int j) {
        for (int i = 0; i < in; ++i) transposed[long(j) * in + i] = w[long(i) * out + j];
      });
    }
    team.team_barrier();
    if (d_x)
      team_tile_gemm<ExecSpace>(team, rows, layer.in, layer.out, d_z, StridedOperand{layer.out, 1}, transposed, layer.in,
                     StoreEpilogue<Scalar>{d_x, layer.in});
    switch (h.kind) {  // the rule is compiled into the update loops
      case OptimizerKind::SGD: update_layer<OptimizerKind::SGD>(team, layer, block, h, x_l, d_z); break;
      case OptimizerKind::RMSprop: update_layer<OptimizerKind::RMSprop>(team, layer, block, h, x_l, d_z); break;
      case OptimizerKind::Adam: update_layer<OptimizerKind::Adam>(team, layer, block, h, x_l, d_z); break;
      case OptimizerKind::AdamW: update_layer<OptimizerKind::AdamW>(team, layer, block, h, x_l, d_z); break;
    }
    team.team_barrier();
  }

  // W and b of one layer updated from dW = X^T dZ and db = column sums of dZ, in the products'
  // epilogues.
  template <OptimizerKind Kind>
  KOKKOS_INLINE_FUNCTION void update_layer(const Member& team, const FusedLayer& layer, long block,
                                           const OptimizerStep<Scalar>& h, const Scalar* x_l, const Scalar* d_z) const {
    Scalar* p = params + block;
    Scalar* g = grads ? grads + block : nullptr;
    FusedUpdateEpilogue<Kind, Scalar> update{p + layer.weight_offset, g ? g + layer.weight_offset : nullptr,
                                             state1 + block + layer.weight_offset,
                                             state2 + block + layer.weight_offset, layer.out, h};
    team_tile_gemm<ExecSpace>(team, layer.in, layer.out, rows, x_l, StridedOperand{1, layer.in}, d_z, layer.out, update);
    if (layer.bias_offset < 0) return;
    FusedUpdateEpilogue<Kind, Scalar> bias_update{p + layer.bias_offset, g ? g + layer.bias_offset : nullptr,
                                                  state1 + block + layer.bias_offset,
                                                  state2 + block + layer.bias_offset, 0, h};
    const int width = layer.out;
    Kokkos::parallel_for(Kokkos::TeamThreadRange(team, (width + TileCols - 1) / TileCols), [&](const int tile) {
      const int col0 = tile * TileCols;
      const int cols = width - col0 < TileCols ? width - col0 : TileCols;
      Scalar acc[TileCols];
      column_tile_sums(d_z, rows, width, col0, acc);
      KYPER_SIMD
      for (int c = 0; c < cols; ++c) bias_update(0, col0 + c, acc[c]);
    });
  }
};

// How much team scratch one network's step needs, in bytes.
template <class Scalar>
long fused_mlp_scratch_bytes(const FusedMlpShape& shape) {
  return shape.scratch_elements * long(sizeof(Scalar));
}

// Runs `step` for `networks` networks (league ranks 0 .. networks-1). Clipping by global norm is
// not supported here: it needs every gradient before any update.
template <class ExecSpace, class Scalar>
void fused_mlp_step(const ExecSpace& space, FusedMlpStep<Scalar, ExecSpace> step, int networks) {
  using Policy = Kokkos::TeamPolicy<ExecSpace>;
  const long bytes = fused_mlp_scratch_bytes<Scalar>(step.shape);
  step.scratch_level = bytes <= Policy::scratch_size_max(0) ? 0 : 1;
  // One thread per network on a host (networks spread over the threads), a block on a GPU.
  Policy policy = runs_on_host<ExecSpace>() ? Policy(space, networks, 1) : Policy(space, networks, Kokkos::AUTO);
  Kokkos::parallel_for("Kyper::FusedMlp::step", policy.set_scratch_size(step.scratch_level, Kokkos::PerTeam(bytes)),
                       step);
}

}  // namespace kyper::kernels
