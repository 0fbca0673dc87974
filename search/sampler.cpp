#include <kyper/error.hpp>
#include <kyper/search/sampler.hpp>

#include <algorithm>
#include <numeric>

namespace kyper::search {

namespace {
constexpr int kMaxRejections = 10000;

double uniform(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

Eigen::VectorXd uniform_vector(std::size_t d, std::mt19937_64& rng) {
  Eigen::VectorXd u(static_cast<Eigen::Index>(d));
  for (Eigen::Index i = 0; i < u.size(); ++i) u[i] = uniform(rng);
  return u;
}
}  // namespace

Configuration sample(const Space& space, std::mt19937_64& rng) {
  for (int attempt = 0; attempt < kMaxRejections; ++attempt) {
    Configuration c = space.decode(uniform_vector(space.size(), rng));
    if (!space.is_forbidden(c)) return c;
  }
  KYPER_FAIL("could not draw a configuration outside the forbidden clauses in " << kMaxRejections
                                                                                << " draws");
}

std::vector<Configuration> sample(const Space& space, int n, std::mt19937_64& rng) {
  std::vector<Configuration> out;
  out.reserve(static_cast<std::size_t>(std::max(n, 0)));
  for (int i = 0; i < n; ++i) out.push_back(sample(space, rng));
  return out;
}

std::vector<Configuration> latin_hypercube(const Space& space, int n, std::mt19937_64& rng) {
  if (n <= 0) return {};
  const std::size_t d = space.size();
  Eigen::MatrixXd u(static_cast<Eigen::Index>(d), n);
  std::vector<int> perm(static_cast<std::size_t>(n));
  for (std::size_t j = 0; j < d; ++j) {
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    for (int i = 0; i < n; ++i)
      u(static_cast<Eigen::Index>(j), i) = (perm[static_cast<std::size_t>(i)] + uniform(rng)) / n;
  }
  std::vector<Configuration> out;
  for (int i = 0; i < n; ++i) {
    Configuration c = space.decode(u.col(i));
    out.push_back(space.is_forbidden(c) ? sample(space, rng) : std::move(c));
  }
  return out;
}

Configuration mutate(const Space& space, const Configuration& config, std::mt19937_64& rng,
                     double scale) {
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < space.size(); ++i)
    if (is_active(config.at(i)) && space.parameter(i).levels() != 1) candidates.push_back(i);
  if (candidates.empty()) return config;
  const Eigen::VectorXd base = space.encode(config);
  for (int attempt = 0; attempt < 64; ++attempt) {
    const std::size_t i = candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(rng)];
    Eigen::VectorXd u = base;
    const auto k = static_cast<Eigen::Index>(i);
    const Parameter& p = space.parameter(i);
    const std::size_t levels = p.levels();
    if (scale <= 0 || p.type == ParameterType::Categorical) {
      u[k] = uniform(rng);
    } else {
      // A step smaller than one grid cell would never leave the current value.
      const double s = levels > 0 ? std::max(scale, 1.0 / static_cast<double>(levels)) : scale;
      std::normal_distribution<double> move(0.0, s);
      u[k] = std::min(1.0, std::max(0.0, u[k] + move(rng)));
    }
    for (Eigen::Index j = 0; j < u.size(); ++j)
      if (u[j] == kInactive) u[j] = uniform(rng);
    Configuration c = space.decode(u);
    // Keep the untouched parameters bit for bit: a decode(encode(x)) round trip can move the last
    // bits of a log-scaled value (FMA contraction under -march), which would be a second change.
    for (std::size_t j = 0; j < c.size(); ++j)
      if (j != i && is_active(c.at(j)) && is_active(config.at(j))) c.values()[j] = config.at(j);
    if (c.at(i) != config.at(i) && !space.is_forbidden(c)) return c;
  }
  return config;
}

Configuration perturb(const Space& space, const Configuration& config, std::mt19937_64& rng,
                      double scale) {
  const Eigen::VectorXd base = space.encode(config);
  std::normal_distribution<double> move(0.0, scale);
  for (int attempt = 0; attempt < 16; ++attempt) {
    Eigen::VectorXd u = base;
    for (Eigen::Index j = 0; j < u.size(); ++j)
      u[j] = u[j] == kInactive ? uniform(rng) : std::min(1.0, std::max(0.0, u[j] + move(rng)));
    Configuration c = space.decode(u);
    if (!space.is_forbidden(c)) return c;
  }
  return config;
}

}  // namespace kyper::search
