// Draws configurations from a Space: independent prior draws, Latin-hypercube designs and
// one-parameter mutations. All of them honour scales, steps, conditions and forbidden clauses
// (forbidden draws are rejected and redrawn), and all randomness comes from the caller's RNG.
#pragma once

#include <kyper/search/space.hpp>

#include <random>
#include <vector>

namespace kyper::search {

// One draw from the prior: uniform in every parameter's unit coordinate (so log-uniform for
// log parameters, uniform over choices and grid points).
Configuration sample(const Space& space, std::mt19937_64& rng);
std::vector<Configuration> sample(const Space& space, int n, std::mt19937_64& rng);

// n configurations whose unit coordinates stratify every parameter into n equal bins, one
// point per bin (McKay et al. 1979). A point that lands on a forbidden combination is
// replaced by a prior draw.
std::vector<Configuration> latin_hypercube(const Space& space, int n, std::mt19937_64& rng);

// Changes one active parameter of `config` (chosen uniformly among those that can change).
// scale <= 0 redraws it from the prior; scale > 0 moves its unit coordinate by N(0, scale).
// Children that become active get prior draws. Returns `config` unchanged only when no
// parameter can change.
Configuration mutate(const Space& space, const Configuration& config, std::mt19937_64& rng,
                     double scale = 0.0);

// Moves every active unit coordinate by N(0, scale) (clamped to [0, 1]) and snaps back to the
// domain: a local move in the whole space, for optimising an acquisition function. Returns
// `config` when every attempt lands on a forbidden combination.
Configuration perturb(const Space& space, const Configuration& config, std::mt19937_64& rng,
                      double scale);

}  // namespace kyper::search
