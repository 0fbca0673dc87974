// LSTM and GRU cells: finite-difference checks of the gradients of every input, weight and initial
// state (one step and several, last state and full sequence, the fused tile path and the BLAS path),
// recurrent graphs through the whole network (stacked cells, time-distributed dense, merges of
// sequences, flatten), the shape errors, and OpenMP(2) = Serial training.
#include <support/gradient_check.hpp>

#include <kyper/error.hpp>
#include <kyper/trainer.hpp>

using namespace kyper;
using kyper::testing::GradientCase;
using kyper::testing::max_gradient_error;

namespace {

using Exec = Kokkos::DefaultExecutionSpace;
using Flat = Kokkos::View<double*, DeviceOf<Exec>>;

std::vector<double> host_of(const Flat& v, long n) {
  std::vector<double> h(n);
  Kokkos::View<double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> hv(h.data(), n);
  Kokkos::deep_copy(hv, Kokkos::subview(v, Kokkos::make_pair(0L, n)));
  return h;
}
void copy_in(const Flat& v, const std::vector<double>& h) {
  Kokkos::View<const double*, Kokkos::HostSpace, Kokkos::MemoryTraits<Kokkos::Unmanaged>> hv(h.data(), h.size());
  Kokkos::deep_copy(Kokkos::subview(v, Kokkos::make_pair(0L, long(h.size()))), hv);
}

// One cell on its own: loss = sum(out * R) for a fixed random R, so dL/dout = R. Every value the
// loss depends on (x, the parameters, h0, c0) sits in one vector `values` so one loop checks them all.
struct CellCase {
  Cell cell = Cell::Lstm;
  int rows = 5, steps = 4, in = 3, units = 6;
  bool return_sequences = false;
  int max_checked = 0;  // 0: every value

  long gw() const { return long(cell_gates(cell)) * units; }
  long x_size() const { return long(rows) * steps * in; }
  long param_size() const { return long(in) * gw() + long(units) * gw() + gw() + (cell == Cell::Gru ? units : 0); }
  long state_size() const { return long(rows) * units; }
  long out_size() const { return return_sequences ? long(rows) * steps * units : state_size(); }
  // [x | parameters | h0 | c0 (LSTM)]
  long total() const { return x_size() + param_size() + state_size() * (cell == Cell::Lstm ? 2 : 1); }
};

struct CellRun {
  const CellCase& c;
  Flat values, gradients, workspace, out, d_out;
  explicit CellRun(const CellCase& cc)
      : c(cc),
        values("values", cc.total() + TileSpare),
        gradients("gradients", cc.total() + TileSpare),
        workspace("workspace", recurrent_workspace_size(cc.cell, cc.steps, cc.rows, cc.in, cc.units)),
        out("out", cc.out_size()),
        d_out("d_out", cc.out_size()) {}

  RecurrentWorkspace<double> ws() const {
    return bind_recurrent_workspace(c.cell, c.steps, c.rows, c.in, c.units, workspace.data());
  }
  template <class T>
  RecurrentParameters<T> params(T* base) const {
    RecurrentParameters<T> p;
    base += c.x_size();
    p.input_weights = base, p.recurrent_weights = base + long(c.in) * c.gw();
    p.bias = p.recurrent_weights + long(c.units) * c.gw();
    if (c.cell == Cell::Gru) p.reset_bias = p.bias + c.gw();
    return p;
  }
  double* h0(double* base) const { return base + c.x_size() + c.param_size(); }
  double* c0(double* base) const { return c.cell == Cell::Lstm ? h0(base) + c.state_size() : nullptr; }

  double loss(const std::vector<double>& weights_of_out) {
    recurrent_forward(Exec(), ws(), params<const double>(values.data()), values.data(), h0(values.data()),
                      c0(values.data()), out.data(), c.return_sequences);
    auto o = host_of(out, c.out_size());
    double sum = 0;
    for (long i = 0; i < c.out_size(); ++i) sum += o[i] * weights_of_out[i];
    return sum;
  }
  std::vector<double> gradient(const std::vector<double>& weights_of_out) {
    loss(weights_of_out);
    copy_in(d_out, weights_of_out);
    Kokkos::deep_copy(gradients, 0.0);
    recurrent_backward(Exec(), ws(), params<const double>(values.data()), params<double>(gradients.data()),
                       d_out.data(), c.return_sequences, gradients.data(), h0(gradients.data()),
                       c0(gradients.data()));
    return host_of(gradients, c.total());
  }
};

// Largest relative error between back-propagation and central differences.
double max_cell_error(const CellCase& c) {
  CellRun run(c);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0, 1);
  std::vector<double> values(c.total()), r(c.out_size());
  for (auto& v : values) v = 0.5 * normal(rng);
  // Scaled so the loss stays O(1) whatever the size: its rounding error then stays below the check's tolerance.
  for (auto& v : r) v = normal(rng) / std::sqrt(double(c.out_size()));
  copy_in(run.values, values);
  const auto analytic = run.gradient(r);
  std::vector<long> checked(c.total());
  for (long i = 0; i < c.total(); ++i) checked[i] = i;
  if (c.max_checked > 0 && long(checked.size()) > c.max_checked) {
    std::shuffle(checked.begin(), checked.end(), rng);
    checked.resize(c.max_checked);
  }
  double worst = 0, worst_numeric = 0;
  long worst_at = -1;
  const double h = 1e-5;  // the loss sums up to 40,000 outputs: a smaller step drowns in their rounding
  for (long i : checked) {
    auto v = values;
    v[i] = values[i] + h;
    copy_in(run.values, v);
    const double up = run.loss(r);
    v[i] = values[i] - h;
    copy_in(run.values, v);
    const double down = run.loss(r);
    const double numeric = (up - down) / (2 * h);
    const double error = std::abs(numeric - analytic[i]) / std::max(1e-4, std::abs(numeric) + std::abs(analytic[i]));
    if (error > worst) worst = error, worst_at = i, worst_numeric = numeric;
  }
  // A gradient check that sees only zeros proves nothing.
  double largest = 0;
  for (long i : checked) largest = std::max(largest, std::abs(analytic[i]));
  EXPECT_GT(largest, 1e-3);
  if (worst > 1e-6)  // what to look at when the check fails
    std::printf("worst: value %ld of %ld (x %ld, parameters %ld): numeric %.9g analytic %.9g\n", worst_at, c.total(),
                c.x_size(), c.param_size(), worst_numeric, analytic[worst_at]);
  return worst;
}

struct CellShape {
  Cell cell;
  int steps;
  bool return_sequences;
};

std::string shape_name(const ::testing::TestParamInfo<CellShape>& info) {
  return std::string(info.param.cell == Cell::Lstm ? "lstm" : "gru") + "_steps" + std::to_string(info.param.steps) +
         (info.param.return_sequences ? "_sequence" : "_last");
}

}  // namespace

class CellGradient : public ::testing::TestWithParam<CellShape> {};

// Every input, weight, bias and initial state, on the fused tile path (units 6: a partial tile).
TEST_P(CellGradient, EveryValueMatchesFiniteDifference) {
  CellCase c;
  c.cell = GetParam().cell, c.steps = GetParam().steps, c.return_sequences = GetParam().return_sequences;
  ASSERT_FALSE(product_prefers_gemm(c.rows, c.units, c.gw()));
  EXPECT_LT(max_cell_error(c), 1e-5);
}

// Odd sizes across several tiles of rows and units (19 units: two backward tiles, five forward).
TEST_P(CellGradient, TileEdgesOfOddShapes) {
  CellCase c;
  c.cell = GetParam().cell, c.steps = GetParam().steps, c.return_sequences = GetParam().return_sequences;
  c.rows = 9, c.in = 5, c.units = 19, c.max_checked = 200;
  EXPECT_LT(max_cell_error(c), 1e-5);
}

// Wide enough that each step's product goes to KokkosBlas::gemm.
TEST_P(CellGradient, BlasPathMatchesFiniteDifference) {
  CellCase c;
  c.cell = GetParam().cell, c.steps = GetParam().steps, c.return_sequences = GetParam().return_sequences;
  c.rows = 64, c.in = 4, c.units = c.cell == Cell::Lstm ? 128 : 150, c.max_checked = 60;
  ASSERT_TRUE(product_prefers_gemm(c.rows, c.units, c.gw()));
  EXPECT_LT(max_cell_error(c), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(Cells, CellGradient,
                         ::testing::Values(CellShape{Cell::Lstm, 1, false}, CellShape{Cell::Lstm, 1, true},
                                           CellShape{Cell::Lstm, 5, false}, CellShape{Cell::Lstm, 5, true},
                                           CellShape{Cell::Gru, 1, false}, CellShape{Cell::Gru, 1, true},
                                           CellShape{Cell::Gru, 5, false}, CellShape{Cell::Gru, 5, true}),
                         shape_name);

// A cell whose weights are zero must reproduce the closed form: LSTM with bias b gives
// c(t) = sigmoid(b_f) c(t-1) + sigmoid(b_i) tanh(b_g), h = sigmoid(b_o) tanh(c).
TEST(CellForward, LstmMatchesClosedFormWithZeroWeights) {
  CellCase c;
  c.rows = 2, c.steps = 3, c.in = 1, c.units = 1, c.return_sequences = true;
  CellRun run(c);
  std::vector<double> values(c.total(), 0.0);
  const long bias = c.x_size() + long(c.in) * c.gw() + long(c.units) * c.gw();
  values[bias + 0] = 0.3, values[bias + 1] = -0.2, values[bias + 2] = 0.5, values[bias + 3] = 0.1;
  copy_in(run.values, values);
  run.loss(std::vector<double>(c.out_size(), 0.0));
  const auto out = host_of(run.out, c.out_size());
  auto sig = [](double z) { return 1 / (1 + std::exp(-z)); };
  double cell = 0;
  for (int t = 0; t < 3; ++t) {
    cell = sig(-0.2) * cell + sig(0.3) * std::tanh(0.5);
    EXPECT_NEAR(out[t], sig(0.1) * std::tanh(cell), 1e-12) << "step " << t;  // row 0, sample-major
  }
}

// Whole recurrent graphs through Network::forward/backward and the loss.
TEST(RecurrentGraphGradient, StackedLstmGruWithTimeDistributedDenseHead) {
  GradientCase c;
  auto x = c.graph.sequence_input("x", 4, 3);
  auto a = c.graph.lstm("lstm", x, 5, /*return_sequences=*/true);
  auto b = c.graph.gru("gru", a, 6, true);
  auto d = c.graph.dense("per_step", b, 2);  // time-distributed
  c.graph.output("out", d);
  c.targets = 8;  // 4 steps x 2
  c.max_checked = 300;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(RecurrentGraphGradient, SkipMergesOfSequencesAndLastStateHead) {
  GradientCase c;
  auto x = c.graph.sequence_input("x", 3, 2);
  auto a = c.graph.gru("a", x, 4, true);
  auto p = c.graph.dense("project", x, 4, Activation::Tanh);  // per step
  auto s = c.graph.add("skip", {a, p});
  auto k = c.graph.concat("wide", {s, x});
  auto l = c.graph.lstm("last", k, 3);  // last state only
  c.graph.output("out", c.graph.dense("head", l, 2));
  c.targets = 2;
  c.max_checked = 300;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(RecurrentGraphGradient, FlattenedSequenceIntoDense) {
  GradientCase c;
  auto x = c.graph.sequence_input("x", 3, 2);
  auto a = c.graph.lstm("lstm", x, 4, true);
  auto f = c.graph.flatten("flat", a);
  c.graph.output("out", c.graph.dense("head", f, 3));
  c.targets = 3;
  EXPECT_LT(max_gradient_error(c), 1e-5);
}

TEST(RecurrentGraph, ShapeRulesNameTheNode) {
  auto message = [](const GraphSpec& g) {
    try {
      plan_graph(g);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  GraphSpec plain;
  auto x = plain.input("x", 3);
  auto d = plain.dense("d", x, 4);
  plain.output("out", plain.lstm("cell", d, 4));
  EXPECT_NE(message(plain).find("lstm node 'cell' reads 'd', which is not a sequence"), std::string::npos)
      << message(plain);

  GraphSpec last;
  auto s = last.sequence_input("x", 5, 2);
  auto l = last.gru("g1", s, 4);
  last.output("out", last.gru("g2", l, 4));
  EXPECT_NE(message(last).find("gru node 'g2' reads 'g1', which is not a sequence"), std::string::npos) << message(last);

  GraphSpec mixed;
  auto m = mixed.sequence_input("x", 5, 2);
  auto seq = mixed.lstm("seq", m, 2, true);
  auto fin = mixed.lstm("fin", m, 2);
  mixed.output("out", mixed.add("merge", {seq, fin}));
  EXPECT_NE(message(mixed).find("add node 'merge' merges 'seq' (5 steps) with 'fin' (not a sequence)"),
            std::string::npos)
      << message(mixed);

  GraphSpec zero;
  auto z = zero.sequence_input("x", 5, 2);
  zero.output("out", zero.lstm("cell", z, 0));
  EXPECT_NE(message(zero).find("lstm node 'cell' needs units > 0"), std::string::npos) << message(zero);

  GraphSpec ok;
  auto o = ok.sequence_input("x", 5, 2);
  ok.output("out", ok.dense("head", ok.lstm("cell", o, 3, true), 1));
  const GraphPlan plan = plan_graph(ok);
  EXPECT_EQ(plan.input_width, 10);
  EXPECT_EQ(plan.output_width, 5);
  EXPECT_EQ(plan.parameter_count, 4 * (2 * 3 + 3 * 3 + 3) + 3 + 1);
}

// Training an LSTM is deterministic and the same on OpenMP (2 threads) as on Serial: every
// reduction has one fixed order, so even the float sums must agree bit for bit.
TEST(RecurrentTraining, OpenMpMatchesSerial) {
#if defined(KOKKOS_ENABLE_SERIAL) && defined(KOKKOS_ENABLE_OPENMP)
  auto run = [](auto space, Cell cell) {
    using E = decltype(space);
    GraphSpec g;
    auto x = g.sequence_input("x", 6, 2);
    auto h = cell == Cell::Lstm ? g.lstm("cell", x, 20, true) : g.gru("cell", x, 20, true);
    auto l = cell == Cell::Lstm ? g.lstm("cell2", h, 18) : g.gru("cell2", h, 18);
    g.output("out", g.dense("head", l, 1));
    Network<float, E> net(g, 7, space);
    TrainConfig config;
    config.epochs = 3, config.batch_size = 16, config.seed = 3;
    const int rows = 100;
    std::vector<float> xs(rows * 12), ys(rows);
    for (int r = 0; r < rows; ++r) {
      for (int t = 0; t < 6; ++t) {
        xs[r * 12 + t * 2] = float(std::sin(0.3 * (r + t)));
        xs[r * 12 + t * 2 + 1] = float(std::cos(0.2 * (r + t)));
      }
      ys[r] = float(std::sin(0.3 * (r + 6)));
    }
    auto dx = to_device<float, E>(xs.data(), rows, 12);
    auto dy = to_device<float, E>(ys.data(), rows, 1);
    TrainResult result = Trainer<float, E>(net, config).fit(dx, dy);
    EXPECT_LT(result.curve.back().train_loss, result.curve.front().train_loss);
    return net.get_parameters();
  };
  ASSERT_GE(Kokkos::OpenMP().concurrency(), 2) << "run with OMP_NUM_THREADS=2";
  for (Cell cell : {Cell::Lstm, Cell::Gru}) {
    const auto serial = run(Kokkos::Serial(), cell);
    const auto openmp = run(Kokkos::OpenMP(), cell);
    const auto again = run(Kokkos::OpenMP(), cell);
    ASSERT_EQ(serial.size(), openmp.size());
    for (size_t i = 0; i < serial.size(); ++i) {
      ASSERT_EQ(serial[i], openmp[i]) << "parameter " << i;
      ASSERT_EQ(openmp[i], again[i]) << "parameter " << i;
    }
  }
#else
  GTEST_SKIP() << "needs both the Serial and the OpenMP backend";
#endif
}
