// A small program to tune from outside (examples/command/heat.json): the 2-D heat equation
// u_t = u_xx + u_yy on the unit square (u = 0 on the boundary, a Gaussian bump at t = 0), stepped
// with Crank-Nicolson to time T; each step solves (I - dt/2 L) u_next = (I + dt/2 L) u with
// conjugate gradients to a relative residual `tol`, started from u. A larger time step or a looser tolerance is
// faster and less accurate: the search looks for the fastest pair that stays within the accuracy
// asked for. The error is measured against the exact solution of the same grid (a discrete sine
// transform), so it is the error of the time stepping and the solver alone.
//   heat_solver --dt DT --tol TOL [--grid N] [--time T] [--accuracy A]
// Prints progress, then one JSON line: seconds (the measured run time), error (max error relative
// to the solution's maximum), steps, iterations, and cost = seconds, times (error / A)^2 when the
// error is above A (what the search minimises).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Grid {
  int n;     // interior points per side
  double h;  // spacing
  double& at(std::vector<double>& u, int i, int j) const { return u[std::size_t(i) * n + j]; }
};

// y = (I - theta L) x, L the 5-point Laplacian with zero boundary values.
void apply(const Grid& g, double theta, const std::vector<double>& x, std::vector<double>& y) {
  const double r = theta / (g.h * g.h);
  const int n = g.n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double c = x[std::size_t(i) * n + j];
      const double sum = (i > 0 ? x[std::size_t(i - 1) * n + j] : 0) + (i + 1 < n ? x[std::size_t(i + 1) * n + j] : 0) +
                         (j > 0 ? x[std::size_t(i) * n + j - 1] : 0) + (j + 1 < n ? x[std::size_t(i) * n + j + 1] : 0);
      y[std::size_t(i) * n + j] = (1 + 4 * r) * c - r * sum;
    }
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// Solves (I - dt/2 L) x = b from the guess in x; returns the iterations taken.
int conjugate_gradients(const Grid& g, double dt, const std::vector<double>& b, std::vector<double>& x, double tol) {
  const std::size_t m = b.size();
  std::vector<double> r(m), p(m), q(m);
  apply(g, dt / 2, x, q);
  for (std::size_t k = 0; k < m; ++k) r[k] = b[k] - q[k];
  p = r;
  double rr = dot(r, r);
  const double stop = tol * tol * dot(b, b);
  int it = 0;
  while (rr > stop && it < 10000) {
    apply(g, dt / 2, p, q);
    const double alpha = rr / dot(p, q);
    for (std::size_t k = 0; k < m; ++k) x[k] += alpha * p[k], r[k] -= alpha * q[k];
    const double next = dot(r, r);
    for (std::size_t k = 0; k < m; ++k) p[k] = r[k] + next / rr * p[k];
    rr = next, ++it;
  }
  return it;
}

// The exact solution of du/dt = L u at time t: u0 in the sine basis, each mode decayed.
std::vector<double> exact(const Grid& g, const std::vector<double>& u0, double t) {
  const int n = g.n;
  std::vector<double> s(std::size_t(n) * n), lambda(n), c(std::size_t(n) * n, 0), tmp(std::size_t(n) * n, 0);
  const double pi = std::acos(-1.0);
  for (int k = 0; k < n; ++k) {
    lambda[k] = 4 / (g.h * g.h) * std::pow(std::sin((k + 1) * pi * g.h / 2), 2);
    for (int i = 0; i < n; ++i) s[std::size_t(k) * n + i] = std::sin((k + 1) * pi * (i + 1) * g.h);
  }
  auto multiply = [&](const std::vector<double>& a, const std::vector<double>& b, std::vector<double>& out, bool ta, bool tb) {
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        double sum = 0;
        for (int k = 0; k < n; ++k)
          sum += (ta ? a[std::size_t(k) * n + i] : a[std::size_t(i) * n + k]) * (tb ? b[std::size_t(j) * n + k] : b[std::size_t(k) * n + j]);
        out[std::size_t(i) * n + j] = sum;
      }
  };
  multiply(s, u0, tmp, false, false);  // S U
  multiply(tmp, s, c, false, true);    // S U S^T
  const double scale = std::pow(2.0 / (n + 1), 2);
  for (int k = 0; k < n; ++k)
    for (int l = 0; l < n; ++l) c[std::size_t(k) * n + l] *= scale * std::exp(-(lambda[k] + lambda[l]) * t);
  multiply(s, c, tmp, true, false);  // S^T C
  std::vector<double> u(std::size_t(n) * n);
  multiply(tmp, s, u, false, false);  // S^T C S
  return u;
}

double option(int argc, char** argv, const char* name, double fallback, bool required = false) {
  for (int i = 1; i < argc; ++i) {
    const std::size_t len = std::strlen(name);
    if (std::strncmp(argv[i], name, len) == 0 && argv[i][len] == '=') return std::atof(argv[i] + len + 1);
    if (std::strcmp(argv[i], name) == 0 && i + 1 < argc) return std::atof(argv[i + 1]);
  }
  if (required) {
    std::fprintf(stderr, "heat_solver: %s is required\n", name);
    std::exit(2);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const double dt = option(argc, argv, "--dt", 0, true), tol = option(argc, argv, "--tol", 0, true);
  const int n = int(option(argc, argv, "--grid", 127));
  const double end = option(argc, argv, "--time", 0.01), accuracy = option(argc, argv, "--accuracy", 1e-3);
  if (!(dt > 0) || !(tol > 0) || n < 3 || !(end > 0)) {
    std::fprintf(stderr, "heat_solver: need --dt > 0, --tol > 0, --grid >= 3, --time > 0\n");
    return 2;
  }
  const Grid g{n, 1.0 / (n + 1)};
  std::vector<double> u(std::size_t(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double x = (i + 1) * g.h - 0.4, y = (j + 1) * g.h - 0.6;
      g.at(u, i, j) = std::exp(-100 * (x * x + y * y));
    }
  const std::vector<double> reference = exact(g, u, end);

  const auto start = std::chrono::steady_clock::now();
  const int steps = int(std::ceil(end / dt - 1e-9));
  const double step = end / steps;  // lands on T exactly
  long iterations = 0;
  std::vector<double> next = u, rhs(u.size());
  for (int s = 0; s < steps; ++s) {
    apply(g, -step / 2, u, rhs);  // (I + dt/2 L) u
    iterations += conjugate_gradients(g, step, rhs, next, tol);
    u = next;
    if ((s + 1) % std::max(1, steps / 4) == 0) std::printf("step %d/%d, %ld CG iterations so far\n", s + 1, steps, iterations);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double error = 0, peak = 0;
  for (std::size_t k = 0; k < u.size(); ++k) error = std::max(error, std::abs(u[k] - reference[k])), peak = std::max(peak, std::abs(reference[k]));
  error /= peak;
  const double cost = error > accuracy ? seconds * (error / accuracy) * (error / accuracy) : seconds;
  std::printf("{\"cost\": %.6g, \"seconds\": %.6g, \"error\": %.4g, \"steps\": %d, \"iterations\": %ld}\n", cost, seconds,
              error, steps, iterations);
  return 0;
}
