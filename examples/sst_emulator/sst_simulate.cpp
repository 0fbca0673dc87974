// A sea-surface-temperature-like field to emulate (examples/sst_emulator, after Maulik et al.,
// SC20: POD of weekly SST snapshots, then a recurrent network forecasting the POD coefficients).
//
// T(x, y, t) on a periodic [0, 2] x [0, 1] grid (time in weeks) is advected by a
// divergence-free double-gyre-like flow of fixed shape (stream function psi = A sin(pi x) sin(2 pi y);
// the face velocities are differences of psi at the cell corners, so the discrete divergence is
// exactly 0) whose strength follows a seasonal cycle of its own, 1 + c sin(2 pi t / 52 - pi / 3)
// (--flow-cycle c; 0: a steady flow), diffused, and relaxed towards a seasonal target
//   T*(x, y, t) = T0(y) + s(t) S(x, y) sin(2 pi t / 52) + sum_k r_k(t) phi_k(x, y)
// with s(t) a slow (about a year) random modulation of the annual cycle's amplitude and r_k weekly
// AR(1) amplitudes of four large-scale patterns (--noise, --noise-memory): seeded random forcing,
// so the series is not periodic. Finite volumes, first-order upwind advection, explicit Euler substeps; every kernel is
// a Kokkos parallel_for (the step a parallel_reduce that also returns the index below) on the
// default execution space, the field is copied to the host once a week for the snapshot.
//
// ENSO-like feedbacks (the defaults: --bjerknes 2 --index-scale 0.5 --recharge 10; --bjerknes 0
// --recharge 0 gives a field linear in itself but for the seasonal flow), driven by an index E(t): the field's amplitude
// (degrees) on an equatorial east-west pattern P(x, y) = sin(2 pi x / 2) exp(-((y - 0.5) / 0.12)^2)
// (mean square 1; T0 does not project on it), read every substep:
//   --bjerknes b      the target gains b tanh(E / E0) P: a saturating Bjerknes-like positive
//                     feedback (warm east -> weaker trades -> warmer east); b / E0 above the
//                     pattern's damping makes E bistable (two regimes, switched by the noise)
//   --recharge tau_h  plus a slow negative feedback h P with dh/dt = -E / tau_h (the recharge of the
//                     thermocline, a hidden state): with --bjerknes, a relaxation oscillation
//   --gyre-feedback g the gyres' strength gains g tanh(E / E0)
//   --jet U           an equatorial zonal jet U tanh(E / E0) exp(-((y - 0.5) / 0.12)^2) (divergence-free)
//   --index-scale E0  the saturation scale (degrees)
// sst_simulate prints the index's mean, std, share of positive weeks and sign changes.
//
// After a spin-up (not written) it keeps `years` x 52 weekly snapshots, computes the POD (thin SVD
// of the mean-removed snapshot matrix of the first years - test_years, Eigen BDCSVD), keeps the
// leading modes and projects every week on them. Writes into --output:
//   snapshots.bin, pod.bin    (sst_files.hpp)
//   coefficients.csv          week, a0..a{m-1}, season_sin, season_cos (the calendar: the phase of
//                             the week in its year, known at forecast time), every week
//   train.csv                 the same, the training years (the search's dataset)
//   test.csv                  the held-out years, preceded by the last `--context` training weeks
//                             (inputs of the first windows; sst_evaluate scores held-out weeks only)
//
//   sst_simulate --output DIR [--nx 64] [--ny 32] [--years 20] [--test-years 6] [--modes 5]
//                [--energy E (keep the fewest modes holding E of the variance, at most --modes)]
//                [--context 16] [--seed 1] [--noise 0.6] [--noise-memory 0.9] [--flow-cycle 0.5]
//                [--bjerknes 2] [--recharge 10] [--gyre-feedback 0] [--jet 0] [--index-scale 0.5]
#include <Kokkos_Core.hpp>
#include <kyper/kernels/math.hpp>

#include <Eigen/Dense>
#include <Eigen/SVD>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "sst_files.hpp"

namespace {

namespace kmath = kyper::kernels::kmath;

constexpr int kPatterns = 4;
constexpr double kPi = 3.14159265358979323846;
constexpr double kLx = 2.0, kLy = 1.0;
constexpr double kGyre = 0.02;    // stream function amplitude: peak speed 2 pi A ~ 0.13 per week
constexpr double kKappa = 0.002;  // diffusivity
constexpr double kTau = 6.0;      // relaxation time (weeks)
constexpr double kBand = 0.12;    // the equatorial band's half width (e-folding, in y)
constexpr int kWeeksPerYear = 52;

struct Options {
  std::string output;
  int nx = 64, ny = 32, years = 20, test_years = 6, modes = 5, context = 16, spinup_years = 2;
  double energy = 0;  // 0: exactly `modes`
  double noise = 0.6, noise_memory = 0.9;  // std and weekly AR(1) coefficient of the pattern forcing
  double flow_cycle = 0.5;                 // the gyres' strength: 1 + flow_cycle sin(2 pi t / 52 - pi / 3)
  // The ENSO-like feedbacks (header): by default the recharge oscillator of the example.
  double bjerknes = 2, recharge = 10, gyre_feedback = 0, jet = 0, index_scale = 0.5;
  unsigned long seed = 1;
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "sst_simulate: %s\nusage: sst_simulate --output DIR [--nx 64] [--ny 32] [--years 20] [--test-years 6]\n"
               "                    [--modes 5] [--energy E] [--context 16] [--seed 1] [--noise 0.6] [--noise-memory 0.9]\n"
               "                    [--flow-cycle 0.5] [--bjerknes 2] [--recharge 10] [--gyre-feedback 0] [--jet 0]\n"
               "                    [--index-scale 0.5]\n",
               message);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--output") o.output = value();
    else if (a == "--nx") o.nx = std::stoi(value());
    else if (a == "--ny") o.ny = std::stoi(value());
    else if (a == "--years") o.years = std::stoi(value());
    else if (a == "--test-years") o.test_years = std::stoi(value());
    else if (a == "--modes") o.modes = std::stoi(value());
    else if (a == "--energy") o.energy = std::stod(value());
    else if (a == "--context") o.context = std::stoi(value());
    else if (a == "--seed") o.seed = std::stoul(value());
    else if (a == "--noise") o.noise = std::stod(value());
    else if (a == "--flow-cycle") o.flow_cycle = std::stod(value());
    else if (a == "--noise-memory") o.noise_memory = std::stod(value());
    else if (a == "--bjerknes") o.bjerknes = std::stod(value());
    else if (a == "--gyre-feedback") o.gyre_feedback = std::stod(value());
    else if (a == "--jet") o.jet = std::stod(value());
    else if (a == "--recharge") o.recharge = std::stod(value());
    else if (a == "--index-scale") o.index_scale = std::stod(value());
    else if (a == "--spinup-years") o.spinup_years = std::stoi(value());
    else if (a.rfind("--kokkos", 0) == 0) continue;  // Kokkos' own options
    else usage(("unknown option " + a).c_str());
  }
  if (o.output.empty()) usage("--output DIR is required");
  if (o.nx < 8 || o.ny < 8) usage("--nx and --ny must be at least 8");
  if (o.test_years < 1 || o.years - o.test_years < 2) usage("need at least 2 training years and 1 test year");
  if (!(o.index_scale > 0) || o.recharge < 0) usage("--index-scale must be positive and --recharge not negative");
  if (o.modes < 1 || o.context < 0 || o.context > (o.years - o.test_years) * kWeeksPerYear) usage("bad --modes or --context");
  return o;
}

using Field = Kokkos::View<double**>;  // (ny, nx), default memory space

struct Model {
  int nx, ny;
  double dx, dy, dt;
  Field u, v;      // u(j, i): x-velocity on the face left of cell (i, j); v(j, i): below it
  Field t0, seas;  // T0(y), S(x, y)
  Field enso;      // the equatorial east-west pattern E(x, y) of the index, mean square 1
  Kokkos::View<double*> band;  // the equatorial jet's profile in y (1 at the equator)
  Kokkos::View<double***> patterns;  // (k, ny, nx)
};

Model build(int nx, int ny, double flow_cycle, double flow_feedback, double jet) {
  Model m{nx, ny, kLx / nx, kLy / ny, 0, Field("u", ny, nx), Field("v", ny, nx), Field("t0", ny, nx),
          Field("seasonal", ny, nx), Field("enso", ny, nx), Kokkos::View<double*>("band", ny),
          Kokkos::View<double***>("patterns", kPatterns, ny, nx)};
  const double dx = m.dx, dy = m.dy;
  auto psi = KOKKOS_LAMBDA(int i, int j) {  // at the corner (i dx, j dy)
    return kGyre * kmath::sin(kPi * i * dx) * kmath::sin(2 * kPi * j * dy);
  };
  auto u = m.u, v = m.v, t0 = m.t0, seas = m.seas, enso = m.enso;
  auto band = m.band;
  auto patterns = m.patterns;
  Kokkos::parallel_for(
      "sst_setup", Kokkos::MDRangePolicy<Kokkos::Rank<2>>({0, 0}, {ny, nx}), KOKKOS_LAMBDA(int j, int i) {
        u(j, i) = -(psi(i, j + 1) - psi(i, j)) / dy;
        v(j, i) = (psi(i + 1, j) - psi(i, j)) / dx;
        const double x = (i + 0.5) * dx, y = (j + 0.5) * dy;
        const double lat = 2 * kPi * y / kLy, lon = 2 * kPi * x / kLx;
        t0(j, i) = 15 - 10 * kmath::cos(lat);                               // warm band in the middle
        seas(j, i) = 6 * kmath::sin(lat) * (1 + 0.3 * kmath::cos(lon)) + 1.5 * kmath::cos(lat);  // opposite halves
        patterns(0, j, i) = kmath::cos(lon) * kmath::sin(lat);
        patterns(1, j, i) = kmath::sin(lon) * kmath::cos(lat);
        patterns(2, j, i) = kmath::cos(2 * lon + 0.5) * kmath::sin(lat);
        patterns(3, j, i) = kmath::sin(lon - 0.3) * kmath::sin(2 * lat);
        const double g = kmath::exp(-(y - 0.5) * (y - 0.5) / (kBand * kBand));
        enso(j, i) = kmath::sin(lon) * g;
        if (i == 0) band(j) = g;
      });
  double square = 0;
  Kokkos::parallel_reduce(
      "sst_enso_norm", Kokkos::MDRangePolicy<Kokkos::Rank<2>>({0, 0}, {ny, nx}),
      KOKKOS_LAMBDA(int j, int i, double& acc) { acc += enso(j, i) * enso(j, i); }, square);
  const double norm = std::sqrt(double(nx) * ny / square);
  Kokkos::parallel_for(
      "sst_enso_scale", Kokkos::MDRangePolicy<Kokkos::Rank<2>>({0, 0}, {ny, nx}),
      KOKKOS_LAMBDA(int j, int i) { enso(j, i) *= norm; });
  // Substep: upwind CFL 0.4 and the explicit diffusion limit, whichever is smaller; whole weeks.
  const double umax = 2 * kPi * kGyre * (1 + flow_cycle + flow_feedback) + jet;
  const double limit = std::min(0.4 * std::min(dx, dy) / umax, 0.2 / (kKappa * (1 / (dx * dx) + 1 / (dy * dy))));
  const int substeps = int(std::ceil(1.0 / limit));
  m.dt = 1.0 / substeps;
  return m;
}

struct Forcing {
  double flow;          // the gyres' strength this substep (a seasonal cycle of its own)
  double jet;           // the equatorial jet's speed (positive: eastward)
  double feedback;      // the Bjerknes term's amplitude in the target (degrees, on the pattern E)
  double seasonal;      // s(t) sin(2 pi t / 52)
  double r[kPatterns];  // pattern amplitudes
};

// The index: the field's amplitude on the pattern E (degrees; T0 does not project on it).
double index(const Model& m, const Field& t) {
  auto enso = m.enso;
  double sum = 0;
  Kokkos::parallel_reduce(
      "sst_index", Kokkos::MDRangePolicy<Kokkos::Rank<2>>({0, 0}, {m.ny, m.nx}),
      KOKKOS_LAMBDA(int j, int i, double& acc) { acc += t(j, i) * enso(j, i); }, sum);
  return sum / (double(m.nx) * m.ny);
}

// One explicit step of dT/dt = -div(u T) + kappa lap T + (T* - T) / tau.
// Returns the index of the new field (fused, one pass over the grid).
double step(const Model& m, const Field& t, const Field& next, const Forcing& f) {
  const int nx = m.nx, ny = m.ny;
  const double dx = m.dx, dy = m.dy, dt = m.dt;
  auto u = m.u, v = m.v, t0 = m.t0, seas = m.seas, enso = m.enso;
  auto band = m.band;
  auto patterns = m.patterns;
  double sum = 0;
  Kokkos::parallel_reduce(
      "sst_step", Kokkos::MDRangePolicy<Kokkos::Rank<2>>({0, 0}, {ny, nx}), KOKKOS_LAMBDA(int j, int i, double& acc) {
        const int ip = (i + 1) % nx, im = (i + nx - 1) % nx, jp = (j + 1) % ny, jm = (j + ny - 1) % ny;
        const double c = t(j, i);
        // Upwind fluxes through the four faces of cell (i, j).
        const double jet = f.jet * band(j);
        const double uw = f.flow * u(j, i) + jet, ue = f.flow * u(j, ip) + jet, vs = f.flow * v(j, i), vn = f.flow * v(jp, i);
        const double fw = uw > 0 ? uw * t(j, im) : uw * c;
        const double fe = ue > 0 ? ue * c : ue * t(j, ip);
        const double fs = vs > 0 ? vs * t(jm, i) : vs * c;
        const double fn = vn > 0 ? vn * c : vn * t(jp, i);
        const double advection = -(fe - fw) / dx - (fn - fs) / dy;
        const double diffusion =
            kKappa * ((t(j, ip) - 2 * c + t(j, im)) / (dx * dx) + (t(jp, i) - 2 * c + t(jm, i)) / (dy * dy));
        double target = t0(j, i) + f.seasonal * seas(j, i) + f.feedback * enso(j, i);
        for (int k = 0; k < kPatterns; ++k) target += f.r[k] * patterns(k, j, i);
        const double value = c + dt * (advection + diffusion + (target - c) / kTau);
        next(j, i) = value;
        acc += value * enso(j, i);
      }, sum);
  return sum / (double(nx) * ny);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  Kokkos::ScopeGuard kokkos(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  namespace fs = std::filesystem;
  fs::create_directories(o.output);

  const Model m = build(o.nx, o.ny, o.flow_cycle, std::abs(o.gyre_feedback), std::abs(o.jet));
  Field t("T", o.ny, o.nx), next("T_next", o.ny, o.nx);
  Kokkos::deep_copy(t, m.t0);
  auto host = Kokkos::create_mirror_view(t);
  const int substeps = int(std::lround(1 / m.dt));

  sst::Snapshots snaps;
  snaps.nx = o.nx, snaps.ny = o.ny, snaps.weeks = o.years * kWeeksPerYear;
  snaps.values.resize(std::size_t(snaps.weeks) * o.nx * o.ny);

  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> normal(0, 1);
  double r[kPatterns] = {0, 0, 0, 0}, slow = 0;
  const double rho = o.noise_memory, sigma = o.noise;  // weekly pattern noise (degrees)
  const double rho_slow = 0.98, sigma_slow = 0.25;  // the annual cycle's amplitude, ~1 year memory
  const int spinup = o.spinup_years * kWeeksPerYear;
  double heat = 0;  // the recharge (thermocline) term, degrees
  double big = index(m, t);  // the current field's index
  double index_sum = 0, index_square = 0, last_index = 0;
  int index_positive = 0, index_switches = 0;
  for (int week = -spinup; week < snaps.weeks; ++week) {
    for (double& x : r) x = rho * x + sigma * std::sqrt(1 - rho * rho) * normal(rng);
    slow = rho_slow * slow + sigma_slow * std::sqrt(1 - rho_slow * rho_slow) * normal(rng);
    for (int s = 0; s < substeps; ++s) {
      const double time = week + double(s) / substeps;
      const double e = std::tanh(big / o.index_scale);
      if (o.recharge > 0) heat -= m.dt * big / o.recharge;
      Forcing f{1 + o.flow_cycle * std::sin(2 * kPi * time / kWeeksPerYear - kPi / 3) + o.gyre_feedback * e,
                o.jet * e, o.bjerknes * e + heat,
                (1 + slow) * std::sin(2 * kPi * time / kWeeksPerYear), {r[0], r[1], r[2], r[3]}};
      big = step(m, t, next, f);
      std::swap(t, next);
    }
    if (week < 0) continue;
    {
      const double e = big;
      index_sum += e, index_square += e * e, index_positive += e > 0;
      index_switches += week > 0 && (e > 0) != (last_index > 0);
      last_index = e;
    }
    Kokkos::deep_copy(host, t);
    float* out = snaps.values.data() + std::size_t(week) * o.nx * o.ny;
    for (int j = 0; j < o.ny; ++j)
      for (int i = 0; i < o.nx; ++i) out[std::size_t(j) * o.nx + i] = float(host(j, i));
  }
  const double sim_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // POD of the training years: X = snapshots - mean (cells x weeks), X = U S V^T; modes = columns of U.
  const int train_weeks = (o.years - o.test_years) * kWeeksPerYear;
  const long cells = long(o.nx) * o.ny;
  Eigen::MatrixXd x(cells, train_weeks);
  for (int w = 0; w < train_weeks; ++w)
    for (long c = 0; c < cells; ++c) x(c, w) = snaps.week(w)[c];
  const Eigen::VectorXd mean = x.rowwise().mean();
  x.colwise() -= mean;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinU);
  const Eigen::VectorXd sv = svd.singularValues();
  const double total = sv.squaredNorm();
  int modes = o.modes;
  if (o.energy > 0) {
    double acc = 0;
    modes = 0;
    while (modes < std::min<int>(o.modes, int(sv.size())) && acc < o.energy * total) acc += sv(modes) * sv(modes), ++modes;
  }
  sst::Pod pod;
  pod.nx = o.nx, pod.ny = o.ny, pod.modes = modes, pod.train_weeks = train_weeks;
  pod.mean.assign(mean.data(), mean.data() + cells);
  pod.basis.resize(std::size_t(modes) * cells);
  for (int k = 0; k < modes; ++k) {
    Eigen::VectorXd col = svd.matrixU().col(k);
    // A fixed sign (largest entry positive), so reruns give the same coefficients.
    Eigen::Index big;
    col.cwiseAbs().maxCoeff(&big);
    if (col(big) < 0) col = -col;
    col *= std::sqrt(double(cells));  // mean square 1: coefficients in degrees (sst_files.hpp)
    std::copy(col.data(), col.data() + cells, pod.basis.begin() + std::size_t(k) * cells);
    pod.singular.push_back(sv(k));
  }
  sst::write((fs::path(o.output) / "snapshots.bin").string(), snaps);
  sst::write((fs::path(o.output) / "pod.bin").string(), pod);

  // Coefficients of every week on the training modes.
  std::vector<std::vector<double>> coef(snaps.weeks, std::vector<double>(modes));
  for (int w = 0; w < snaps.weeks; ++w)
    for (int k = 0; k < modes; ++k) coef[w][k] = pod.project(k, snaps.week(w));
  auto write_rows = [&](const std::string& name, int from, int to) {
    const std::string path = (fs::path(o.output) / name).string();
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write '" + path + "'");
    std::fprintf(f, "week");
    for (int k = 0; k < modes; ++k) std::fprintf(f, ",a%d", k);
    std::fprintf(f, ",season_sin,season_cos\n");
    for (int w = from; w < to; ++w) {
      std::fprintf(f, "%d", w);
      for (int k = 0; k < modes; ++k) std::fprintf(f, ",%.9g", coef[w][k]);
      const double phase = 2 * kPi * (w % kWeeksPerYear) / kWeeksPerYear;
      std::fprintf(f, ",%.9g,%.9g", std::sin(phase), std::cos(phase));
      std::fprintf(f, "\n");
    }
    std::fclose(f);
  };
  write_rows("coefficients.csv", 0, snaps.weeks);
  write_rows("train.csv", 0, train_weeks);
  write_rows("test.csv", train_weeks - o.context, snaps.weeks);

  double kept = 0;
  for (int k = 0; k < modes; ++k) kept += sv(k) * sv(k);
  std::printf("sst_simulate: %dx%d grid, %d weeks (%d training, %d held out), %d substeps/week, %.2f s on %s\n", o.nx,
              o.ny, snaps.weeks, train_weeks, snaps.weeks - train_weeks, substeps, sim_seconds,
              Kokkos::DefaultExecutionSpace::name());
  {
    const double mean_index = index_sum / snaps.weeks;
    std::printf("index E: mean %.3f, std %.3f, positive %.0f%% of the weeks, %d sign changes\n", mean_index,
                std::sqrt(std::max(0.0, index_square / snaps.weeks - mean_index * mean_index)),
                100.0 * index_positive / snaps.weeks, index_switches);
  }
  std::printf("POD: %d modes hold %.2f%% of the training variance (", modes, 100 * kept / total);
  for (int k = 0; k < std::min<int>(modes + 2, int(sv.size())); ++k)
    std::printf("%s%.2f%%", k ? " " : "", 100 * sv(k) * sv(k) / total);
  std::printf(" per mode)\nwrote %s/{snapshots.bin,pod.bin,coefficients.csv,train.csv,test.csv}\n", o.output.c_str());
  return 0;
}
