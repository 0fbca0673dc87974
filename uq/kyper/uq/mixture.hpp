// One point's predictive distribution under an ensemble: a weighted mixture of the members'
// Gaussians (regression) or of their class probabilities (classification), and the split of its
// uncertainty into an aleatoric part (what the members agree is noise) and an epistemic part
// (how much the members disagree). Host code, double precision.
#pragma once

#include <vector>

namespace kyper::uq {

// A member's prediction for one target at one point: N(mean, variance), weighted in the mixture.
struct Component {
  double weight = 1;
  double mean = 0;
  double variance = 1;
};

// Law of total variance: total = E[σ²] (aleatoric) + Var[μ] (epistemic), weights normalised.
struct Decomposition {
  double mean = 0;
  double aleatoric = 0;
  double epistemic = 0;
  double total() const { return aleatoric + epistemic; }
};
Decomposition decompose(const std::vector<Component>& mixture);

double mixture_log_density(double y, const std::vector<Component>& mixture);
double mixture_cdf(double y, const std::vector<Component>& mixture);
// Inverse CDF by bisection (to ~1e-12 relative to the mixture's spread); p in (0, 1).
double mixture_quantile(double p, const std::vector<Component>& mixture);
// Central interval holding `level` (e.g. 0.95) of the mixture's mass.
struct Interval {
  double lower = 0, upper = 0;
};
Interval central_interval(double level, const std::vector<Component>& mixture);
// Continuous ranked probability score, closed form for a Gaussian mixture (Grimit et al. 2006):
// Σ w_i A(y-μ_i, σ_i²) - ½ Σ_ij w_i w_j A(μ_i-μ_j, σ_i²+σ_j²), A(μ, s²) = μ(2Φ(μ/s)-1) + 2sφ(μ/s).
double mixture_crps(double y, const std::vector<Component>& mixture);

// Classification: the mixture of the members' class probabilities and the split of its entropy
// H[p̄] (total) = E[H[p_m]] (aleatoric, expected entropy) + mutual information (epistemic). Nats.
struct ClassDecomposition {
  std::vector<double> probabilities;
  double total = 0;
  double aleatoric = 0;
  double epistemic = 0;
};
// probabilities: members x classes, row-major; weights: one per member (normalised here).
ClassDecomposition decompose_classes(const double* probabilities, const double* weights, int members, int classes);

}  // namespace kyper::uq
