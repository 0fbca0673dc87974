// A trainable network: a planned model graph bound to Kokkos buffers in one execution space.
// Parameters and their gradients live in one flat array each (one optimizer launch, one checkpoint
// array); activations and activation gradients in one flat buffer each, sized once by reserve().
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include <Kokkos_Core.hpp>
#include <kyper/error.hpp>
#include <kyper/graph.hpp>
#include <kyper/kernels.hpp>

namespace kyper {

template <class Scalar = float, class ExecSpace = Kokkos::DefaultExecutionSpace>
class Network {
 public:
  using execution_space = ExecSpace;
  using scalar_type = Scalar;
  using Device = DeviceOf<ExecSpace>;
  using FlatView = Kokkos::View<Scalar*, Device>;
  using Matrix = MatrixView<Scalar, ExecSpace>;
  using ConstMatrix = MatrixView<const Scalar, ExecSpace>;
  using Vector = VectorView<Scalar, ExecSpace>;

  Network(GraphSpec spec, uint64_t seed, ExecSpace space = ExecSpace())
      : spec_(std::move(spec)), plan_(plan_graph(spec_)), space_(space) {
    params_ = FlatView(Kokkos::view_alloc(space_, "Kyper::Network::parameters"),
                       plan_.parameter_count + TileSpare);
    grads_ = FlatView(Kokkos::view_alloc(space_, "Kyper::Network::gradients"), plan_.parameter_count + TileSpare);
    initialize_parameters(seed);
  }

  const GraphSpec& spec() const { return spec_; }
  const GraphPlan& plan() const { return plan_; }
  ExecSpace space() const { return space_; }
  long parameter_count() const { return plan_.parameter_count; }
  int input_width() const { return plan_.input_width; }
  int output_width() const { return plan_.output_width; }
  int capacity() const { return capacity_; }

  // Flat parameter/gradient arrays (without the spare tail the tile kernels may read).
  Vector parameters() const { return Vector(params_.data(), plan_.parameter_count); }
  Vector gradients() const { return Vector(grads_.data(), plan_.parameter_count); }

  // Allocates activation buffers for batches of up to `rows` rows. Training steps allocate nothing.
  void reserve(int rows) {
    KYPER_REQUIRE(rows > 0, "batch size must be positive, got " << rows);
    if (rows <= capacity_) return;
    capacity_ = rows;
    const size_t n = plan_.nodes.size();
    value_offset_.assign(n, 0), pre_offset_.assign(n, -1), mask_offset_.assign(n, -1);
    workspace_offset_.assign(n, -1);
    long values = 0, pre = 0, masks = 0, scratch = 0, transposed = 0, workspaces = 0;
    for (size_t i = 0; i < n; ++i) {
      const PlannedNode& node = plan_.nodes[i];
      const long size = long(rows) * node.row_width();
      if (node.kind == NodeKind::Output) {
        value_offset_[i] = value_offset_[node.inputs[0]];  // the output node is a view of its input
        continue;
      }
      value_offset_[i] = values;
      values += size;
      if (node.kind == NodeKind::Dense && node.activation != Activation::Identity) {
        scratch = std::max(scratch, size);
        if (derivative_needs_preactivation(node.activation)) {
          pre_offset_[i] = pre;
          pre += size;
        }
      }
      if (node.kind == NodeKind::Dense) transposed = std::max(transposed, long(node.in_width) * node.width);
      if (node.kind == NodeKind::Dropout) {
        mask_offset_[i] = masks;
        masks += size;
      }
      if (is_recurrent(node.kind)) {
        workspace_offset_[i] = workspaces;
        workspaces += recurrent_workspace_size(cell_of(node), plan_.nodes[node.inputs[0]].steps, rows, node.in_width,
                                               node.width);
      }
    }
    plan_gradient_clearing();
    auto alloc = [&](const char* label, long size) {
      return FlatView(Kokkos::view_alloc(space_, std::string(label)), size + TileSpare);
    };
    values_ = alloc("Kyper::Network::values", values);
    value_grads_ = alloc("Kyper::Network::value_gradients", values);
    pre_ = alloc("Kyper::Network::preactivations", pre);
    masks_ = alloc("Kyper::Network::dropout_masks", masks);
    pre_grad_scratch_ = alloc("Kyper::Network::preactivation_gradient", scratch);
    transposed_ = alloc("Kyper::Network::transposed_weights", transposed);
    workspaces_ = alloc("Kyper::Network::recurrent_workspaces", workspaces);
  }

  // Where callers write a batch of inputs (rows x input_width; a sequence's steps side by side).
  Matrix input(int rows) const { return value(plan_.input_node, rows); }
  Matrix output(int rows) const { return value(plan_.output_node, rows); }
  // dL/d(output): filled by the loss kernel between forward() and backward().
  Matrix output_gradient(int rows) const { return value_grad(plan_.output_node, rows); }

  // Runs every node in topological order. Training mode applies dropout (its masks drawn from
  // `dropout_stream`, e.g. the step number) and clears activation gradients for backward().
  void forward(int rows, bool training, uint64_t dropout_stream = 0) {
    check_rows(rows);
    Kokkos::Profiling::pushRegion("Kyper::Network::forward");
    if (training)  // gradients that backward() adds into start at zero; the others are overwritten
      for (const auto& [offset, size] : cleared_gradients_)
        Kokkos::deep_copy(space_, Kokkos::subview(value_grads_, std::make_pair(offset, offset + size * rows)),
                          Scalar(0));
    for (size_t i = 0; i < plan_.nodes.size(); ++i) {
      const PlannedNode& node = plan_.nodes[i];
      const long size = long(rows) * node.row_width();
      const long step_rows = long(rows) * node.steps;  // a dense node on a sequence acts on every step
      switch (node.kind) {
        case NodeKind::Input:
        case NodeKind::Output: break;
        case NodeKind::Dense:
          dense_forward(space_, ConstMatrix(step_value(node.inputs[0], rows)), weights(node), bias(node),
                        pre_offset_[i] >= 0 ? Matrix(pre_.data() + pre_offset_[i], step_rows, node.width) : Matrix(),
                        step_value(i, rows), node.activation);
          break;
        case NodeKind::Lstm:
        case NodeKind::Gru:
          recurrent_forward(space_, workspace(i, rows), recurrent_parameters(node), data(node.inputs[0]), nullptr,
                            nullptr, data(i), node.return_sequences);
          break;
        case NodeKind::Flatten:
          add_into(space_, data(node.inputs[0]), data(i), size, false);
          break;
        case NodeKind::Activation:
          activation_forward(space_, node.activation, data(node.inputs[0]), data(i), size);
          break;
        case NodeKind::Dropout:
          if (training && node.rate > 0)
            dropout_forward(space_, data(node.inputs[0]), data(i), masks_.data() + mask_offset_[i], size, node.rate,
                            seed_ + uint64_t(i), dropout_stream);
          else
            add_into(space_, data(node.inputs[0]), data(i), size, false);
          break;
        case NodeKind::Add:
          for (size_t k = 0; k < node.inputs.size(); ++k) add_into(space_, data(node.inputs[k]), data(i), size, k > 0);
          break;
        case NodeKind::Concat: {
          long offset = 0;
          for (int from : node.inputs) {
            const int width = plan_.nodes[from].width;
            concat_forward(space_, data(from), step_rows, width, data(i), node.width, offset);
            offset += width;
          }
          break;
        }
      }
    }
    Kokkos::Profiling::popRegion();
  }

  // Back-propagates output_gradient(rows) into gradients(). Requires forward(rows, true) first.
  void backward(int rows) {
    check_rows(rows);
    Kokkos::Profiling::pushRegion("Kyper::Network::backward");
    for (size_t i = plan_.nodes.size(); i-- > 0;) {
      const PlannedNode& node = plan_.nodes[i];
      const long size = long(rows) * node.row_width();
      const long step_rows = long(rows) * node.steps;
      switch (node.kind) {
        case NodeKind::Input:
        case NodeKind::Output: break;
        case NodeKind::Dense: {
          const Scalar* d_pre = grad_data(i);
          if (node.activation != Activation::Identity) {
            const Scalar* pre = pre_offset_[i] >= 0 ? pre_.data() + pre_offset_[i] : nullptr;
            activation_backward(space_, node.activation, pre, data(i), grad_data(i), pre_grad_scratch_.data(), size,
                                false);
            d_pre = pre_grad_scratch_.data();
          }
          const int from = node.inputs[0];
          dense_backward(space_, ConstMatrix(step_value(from, rows)), ConstMatrix(weights(node)),
                         ConstMatrix(d_pre, step_rows, node.width), weight_gradient(node), bias_gradient(node),
                         needs_gradient(from) ? step_value_grad(from, rows) : Matrix(),
                         Matrix(transposed_.data(), node.width, node.in_width), !sole_dense_consumer(from));
          break;
        }
        case NodeKind::Lstm:
        case NodeKind::Gru: {
          const int from = node.inputs[0];
          recurrent_backward(space_, workspace(i, rows), recurrent_parameters(node), recurrent_gradients(node),
                             grad_data(i), node.return_sequences, needs_gradient(from) ? grad_data(from) : nullptr,
                             nullptr, nullptr);
          break;
        }
        case NodeKind::Flatten:
          if (needs_gradient(node.inputs[0])) add_into(space_, grad_data(i), grad_data(node.inputs[0]), size, true);
          break;
        case NodeKind::Activation:
          if (needs_gradient(node.inputs[0]))
            activation_backward(space_, node.activation, data(node.inputs[0]), data(i), grad_data(i),
                                grad_data(node.inputs[0]), size, true);
          break;
        case NodeKind::Dropout:
          if (!needs_gradient(node.inputs[0])) break;
          if (node.rate > 0)
            dropout_backward(space_, grad_data(i), masks_.data() + mask_offset_[i], grad_data(node.inputs[0]), size);
          else
            add_into(space_, grad_data(i), grad_data(node.inputs[0]), size, true);
          break;
        case NodeKind::Add:
          for (int from : node.inputs)
            if (needs_gradient(from)) add_into(space_, grad_data(i), grad_data(from), size, true);
          break;
        case NodeKind::Concat: {
          long offset = 0;
          for (int from : node.inputs) {
            const int width = plan_.nodes[from].width;
            if (needs_gradient(from))
              concat_backward(space_, grad_data(i), step_rows, node.width, offset, grad_data(from), width);
            offset += width;
          }
          break;
        }
      }
    }
    Kokkos::Profiling::popRegion();
  }

  // Host copies of the parameters (for serialization and tests).
  std::vector<Scalar> get_parameters() const {
    std::vector<Scalar> host(plan_.parameter_count);
    Kokkos::View<Scalar*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(host.data(), host.size());
    Kokkos::deep_copy(h, parameters());
    return host;
  }
  void set_parameters(const std::vector<Scalar>& host) {
    KYPER_REQUIRE(long(host.size()) == plan_.parameter_count, "parameter array has " << host.size()
                                                                  << " values, the graph needs " << plan_.parameter_count);
    Kokkos::View<const Scalar*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> h(host.data(), host.size());
    Kokkos::deep_copy(parameters(), h);
  }

  // Raw outputs for host rows (row-major, rows x input_width) in inference mode, batch by batch.
  std::vector<Scalar> predict(const Scalar* x, long rows, int batch = 1024) {
    if (capacity_ == 0) reserve(batch);
    batch = capacity_;
    std::vector<Scalar> result(size_t(rows) * plan_.output_width);
    for (long start = 0; start < rows; start += batch) {
      const int n = int(std::min<long>(batch, rows - start));
      Kokkos::View<const Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>>
          hx(x + start * plan_.input_width, n, plan_.input_width);
      Kokkos::deep_copy(space_, input(n), hx);
      forward(n, false);
      Kokkos::View<Scalar**, Kokkos::LayoutRight, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> hy(
          result.data() + start * plan_.output_width, n, plan_.output_width);
      Kokkos::deep_copy(space_, hy, output(n));
    }
    space_.fence();
    return result;
  }

 private:
  void check_rows(int rows) const {
    KYPER_REQUIRE(rows > 0 && rows <= capacity_, "batch of " << rows << " rows exceeds reserved capacity " << capacity_);
  }
  bool needs_gradient(int node) const { return plan_.nodes[node].kind != NodeKind::Input; }
  // A node read by one dense node only: that node's backward writes its whole gradient (and the
  // loss writes the output's), so it need not be cleared before backward().
  bool sole_dense_consumer(int node) const { return consumers_[node].size() == 1 &&
                                                    plan_.nodes[consumers_[node][0]].kind == NodeKind::Dense; }
  void plan_gradient_clearing() {
    consumers_.assign(plan_.nodes.size(), {});
    for (size_t i = 0; i < plan_.nodes.size(); ++i)
      for (int from : plan_.nodes[i].inputs) consumers_[from].push_back(int(i));
    cleared_gradients_.clear();
    for (size_t i = 0; i < plan_.nodes.size(); ++i) {
      const PlannedNode& node = plan_.nodes[i];
      if (!needs_gradient(int(i)) || node.kind == NodeKind::Output) continue;
      const bool feeds_output = consumers_[i].size() == 1 && consumers_[i][0] == plan_.output_node;
      if (feeds_output || sole_dense_consumer(int(i))) continue;
      cleared_gradients_.push_back({value_offset_[i], node.row_width()});
    }
  }
  Scalar* data(int node) const { return values_.data() + value_offset_[node]; }
  Scalar* grad_data(int node) const { return value_grads_.data() + value_offset_[node]; }
  // A node's batch as the trainer sees it: one row per sample.
  Matrix value(int node, int rows) const { return Matrix(data(node), rows, plan_.nodes[node].row_width()); }
  Matrix value_grad(int node, int rows) const { return Matrix(grad_data(node), rows, plan_.nodes[node].row_width()); }
  // The same memory with one row per sample and step (what time-distributed nodes act on).
  Matrix step_value(int node, int rows) const {
    const PlannedNode& n = plan_.nodes[node];
    return Matrix(data(node), long(rows) * n.steps, n.width);
  }
  Matrix step_value_grad(int node, int rows) const {
    const PlannedNode& n = plan_.nodes[node];
    return Matrix(grad_data(node), long(rows) * n.steps, n.width);
  }
  static Cell cell_of(const PlannedNode& n) { return n.kind == NodeKind::Lstm ? Cell::Lstm : Cell::Gru; }
  RecurrentWorkspace<Scalar> workspace(int node, int rows) const {
    const PlannedNode& n = plan_.nodes[node];
    return bind_recurrent_workspace(cell_of(n), plan_.nodes[n.inputs[0]].steps, rows, n.in_width, n.width,
                                    workspaces_.data() + workspace_offset_[node]);
  }
  template <class T>
  RecurrentParameters<T> recurrent_block(T* base, const PlannedNode& n) const {
    RecurrentParameters<T> p;
    p.input_weights = base + n.weight_offset, p.recurrent_weights = base + n.recurrent_offset;
    p.bias = base + n.bias_offset;
    if (n.recurrent_bias_offset >= 0) p.reset_bias = base + n.recurrent_bias_offset;
    return p;
  }
  RecurrentParameters<const Scalar> recurrent_parameters(const PlannedNode& n) const {
    return recurrent_block<const Scalar>(params_.data(), n);
  }
  RecurrentParameters<Scalar> recurrent_gradients(const PlannedNode& n) const { return recurrent_block(grads_.data(), n); }
  ConstMatrix weights(const PlannedNode& n) const {
    return ConstMatrix(params_.data() + n.weight_offset, n.in_width, n.width);
  }
  VectorView<const Scalar, ExecSpace> bias(const PlannedNode& n) const {
    return n.bias_offset >= 0 ? VectorView<const Scalar, ExecSpace>(params_.data() + n.bias_offset, n.width)
                              : VectorView<const Scalar, ExecSpace>();
  }
  Matrix weight_gradient(const PlannedNode& n) const { return Matrix(grads_.data() + n.weight_offset, n.in_width, n.width); }
  Vector bias_gradient(const PlannedNode& n) const {
    return n.bias_offset >= 0 ? Vector(grads_.data() + n.bias_offset, n.width) : Vector();
  }

  // Glorot for saturating activations, He for rectifiers (unless the node asks otherwise); zero biases.
  void initialize_parameters(uint64_t seed) {
    seed_ = seed;
    std::mt19937_64 rng(seed);
    std::vector<Scalar> host(plan_.parameter_count, Scalar(0));
    for (const PlannedNode& n : plan_.nodes) {
      if (is_recurrent(n.kind)) {
        initialize_recurrent(n, rng, host);
        continue;
      }
      if (n.kind != NodeKind::Dense) continue;
      Init init = n.init;
      if (init == Init::Auto) {
        const bool rectifier = n.activation == Activation::Relu || n.activation == Activation::Elu ||
                               n.activation == Activation::Gelu || n.activation == Activation::Swish;
        init = rectifier ? Init::HeUniform : Init::GlorotUniform;
      }
      const double fan_in = n.in_width, fan_out = n.width;
      const bool he = init == Init::HeUniform || init == Init::HeNormal;
      const double variance = he ? 2.0 / fan_in : 2.0 / (fan_in + fan_out);
      const bool uniform = init == Init::HeUniform || init == Init::GlorotUniform;
      std::uniform_real_distribution<double> u(-std::sqrt(3 * variance), std::sqrt(3 * variance));
      std::normal_distribution<double> g(0, std::sqrt(variance));
      for (long k = 0; k < long(n.in_width) * n.width; ++k)
        host[n.weight_offset + k] = Scalar(uniform ? u(rng) : g(rng));
    }
    set_parameters(host);
  }

  // Keras' choices for recurrent cells: Glorot-uniform input weights, orthogonal-like recurrent
  // weights (uniform +-1/sqrt(units) here, as PyTorch does), zero biases except the LSTM's forget
  // gate, which starts at 1 so that early training does not forget everything.
  void initialize_recurrent(const PlannedNode& n, std::mt19937_64& rng, std::vector<Scalar>& host) {
    const int gates = recurrent_gates(n.kind);
    const long gw = long(gates) * n.width;
    const double input_limit = std::sqrt(6.0 / (n.in_width + gw));
    std::uniform_real_distribution<double> input(-input_limit, input_limit);
    for (long k = 0; k < long(n.in_width) * gw; ++k) host[n.weight_offset + k] = Scalar(input(rng));
    const double recurrent_limit = 1.0 / std::sqrt(double(n.width));
    std::uniform_real_distribution<double> recurrent(-recurrent_limit, recurrent_limit);
    for (long k = 0; k < long(n.width) * gw; ++k) host[n.recurrent_offset + k] = Scalar(recurrent(rng));
    if (n.kind == NodeKind::Lstm)
      for (int j = 0; j < n.width; ++j) host[n.bias_offset + long(j) * gates + 1] = Scalar(1);
  }

  GraphSpec spec_;
  GraphPlan plan_;
  ExecSpace space_;
  uint64_t seed_ = 0;
  int capacity_ = 0;
  FlatView params_, grads_, values_, value_grads_, pre_, masks_, pre_grad_scratch_, transposed_, workspaces_;
  std::vector<long> value_offset_, pre_offset_, mask_offset_, workspace_offset_;
  std::vector<std::vector<int>> consumers_;
  std::vector<std::pair<long, long>> cleared_gradients_;  // (offset, values per row) cleared per step
};

extern template class Network<float, Kokkos::DefaultExecutionSpace>;

}  // namespace kyper
