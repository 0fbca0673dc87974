#include <kyper/error.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/sampler.hpp>

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

namespace kyper::search {

Liar parse_liar(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "cl_worst" || lower == "cl_max") return Liar::Worst;
  if (lower == "cl_mean") return Liar::Mean;
  if (lower == "cl_best" || lower == "cl_min") return Liar::Best;
  if (lower == "qucb") return Liar::QUCB;
  KYPER_FAIL("unknown liar strategy '" << name << "' (expected cl_worst, cl_mean, cl_best or qUCB)");
}

namespace {
// Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normal_quantile(1 - p);
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
}  // namespace

CBO::CBO(Space space, SearchOptions options, CBOOptions cbo)
    : Search(std::move(space), options), cbo_(std::move(cbo)),
      acquisition_(parse_acquisition(cbo_.acquisition)), liar_(parse_liar(cbo_.liar)) {
  std::string s = cbo_.surrogate;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  KYPER_REQUIRE(s == "ET" || s == "RF" || s == "GP",
                "CBO: unknown surrogate '" << cbo_.surrogate << "' (expected ET, RF or GP)");
  KYPER_REQUIRE(cbo_.kappa >= 0, "CBO: kappa must be >= 0, got " << cbo_.kappa);
  KYPER_REQUIRE(cbo_.kappa_decay > 0 && cbo_.kappa_decay <= 1,
                "CBO: kappa_decay must be in (0, 1], got " << cbo_.kappa_decay);
  KYPER_REQUIRE(cbo_.initial_points >= 0, "CBO: initial_points must be >= 0");
  KYPER_REQUIRE(cbo_.random_candidates + cbo_.local_candidates > 0, "CBO: no candidates to score");
  if (s == "GP") {
    gp_ = std::make_unique<GaussianProcess>(cbo_.gp);
  } else {
    cbo_.forest.extra_trees = s == "ET";
    forest_ = std::make_unique<RandomForest>(cbo_.forest);
  }
}

double CBO::current_kappa() const {
  const std::int64_t t = cbo_.kappa_decay_period > 0 ? model_proposals_ % cbo_.kappa_decay_period
                                                      : model_proposals_;
  return cbo_.kappa * std::pow(cbo_.kappa_decay, static_cast<double>(t));
}

void CBO::push_unique_random(std::unordered_set<std::string>& batch, std::vector<Configuration>& out) {
  auto seen = [&](const std::string& k) { return known_keys().count(k) > 0 || batch.count(k) > 0; };
  Configuration c = sample(space_, rng_);
  for (int attempt = 0; attempt < 100 && seen(key(c)); ++attempt) c = sample(space_, rng_);
  batch.insert(key(c));
  out.push_back(std::move(c));
}

void CBO::take_initial_design(int n, std::unordered_set<std::string>& batch, std::vector<Configuration>& out) {
  // Drawn once so asks of any size walk through the same points. A resumed or warm-started
  // search counts its loaded results towards the design.
  if (!design_drawn_) {
    design_drawn_ = true;
    const int size = cbo_.initial_points - static_cast<int>(observations().size() + pending().size());
    if (size > 0)
      design_ = cbo_.latin_hypercube ? latin_hypercube(space_, size, rng_) : sample(space_, size, rng_);
  }
  while (static_cast<int>(out.size()) < n && design_used_ < design_.size()) {
    Configuration c = design_[design_used_++];
    if (known_keys().count(key(c)) > 0 || batch.count(key(c)) > 0) {
      push_unique_random(batch, out);
    } else {
      batch.insert(key(c));
      out.push_back(std::move(c));
    }
  }
}

Eigen::VectorXd CBO::surrogate_targets() const {
  const auto& obs = observations();
  Eigen::VectorXd y_obs(static_cast<Eigen::Index>(obs.size()));
  double worst = INFINITY, top = -INFINITY;
  for (const auto& o : obs) {
    if (o.failed()) continue;
    const double v = internal(*o.objective);
    worst = std::min(worst, v);
    top = std::max(top, v);
  }
  for (std::size_t i = 0; i < obs.size(); ++i)
    y_obs[static_cast<Eigen::Index>(i)] = obs[i].failed() ? worst : internal(*obs[i].objective);
  if (cbo_.rank_objective) {
    // Normal scores of the ranks; ties share their mean rank so equal objectives stay equal.
    const Eigen::Index m = y_obs.size();
    std::vector<Eigen::Index> order(static_cast<std::size_t>(m));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return y_obs[a] < y_obs[b]; });
    Eigen::VectorXd scores(m);
    for (Eigen::Index i = 0; i < m;) {
      Eigen::Index j = i;
      while (j + 1 < m && y_obs[order[static_cast<std::size_t>(j + 1)]] == y_obs[order[static_cast<std::size_t>(i)]]) ++j;
      const double q = (0.5 * static_cast<double>(i + j) + 0.5) / static_cast<double>(m);
      const double z = normal_quantile(q);
      for (Eigen::Index k = i; k <= j; ++k) scores[order[static_cast<std::size_t>(k)]] = z;
      i = j + 1;
    }
    return scores;
  }
  if (cbo_.log_objective) {
    const double delta = cbo_.log_delta * (top - worst) + 1e-12;
    return -((top - y_obs.array()) + delta).log();
  }
  return y_obs;
}

double CBO::lie_value(const Eigen::VectorXd& targets) const {
  switch (liar_) {
    case Liar::Worst: return targets.minCoeff();
    case Liar::Mean: return targets.mean();
    case Liar::Best:
    case Liar::QUCB: return targets.maxCoeff();
  }
  return 0.0;
}

void CBO::schedule_gp_refit() {
  // Hyperparameters move little once there is data; refitting them every ask would cost
  // O(iterations n^3) for no gain.
  const auto count = static_cast<std::int64_t>(observations().size());
  const bool refit = count <= cbo_.gp_refit_always_below ||
                     static_cast<double>(count) >= cbo_.gp_refit_growth * static_cast<double>(gp_fit_count_);
  gp_->options().fit_hyperparameters = refit;
  if (refit) gp_fit_count_ = count;
}

std::vector<Configuration> CBO::propose(int n) {
  std::unordered_set<std::string> batch;  // keys proposed in this batch; known_keys() has the rest
  std::vector<Configuration> out;
  take_initial_design(n, batch, out);

  const auto& obs = observations();
  const auto successes = std::count_if(obs.begin(), obs.end(), [](const Observation& o) { return !o.failed(); });
  if (successes < 2) {
    while (static_cast<int>(out.size()) < n) push_unique_random(batch, out);
    return out;
  }
  if (static_cast<int>(out.size()) == n) return out;

  const Eigen::VectorXd y_obs = surrogate_targets();
  const double lie = lie_value(y_obs);
  const bool lying = liar_ != Liar::QUCB;

  // Rows: observations, then (constant liar) pending trials and this batch's earlier points.
  const std::size_t d = space_.size();
  const std::size_t lies = lying ? pending().size() + static_cast<std::size_t>(n) : 0;
  Eigen::MatrixXd X(static_cast<Eigen::Index>(obs.size() + lies), static_cast<Eigen::Index>(d));
  Eigen::VectorXd y(X.rows());
  Eigen::Index rows = 0;
  // Observations only ever append, so their encodings are cached across asks.
  for (std::size_t i = encoded_.size(); i < obs.size(); ++i) encoded_.push_back(space_.encode(obs[i].config));
  for (std::size_t i = 0; i < obs.size(); ++i, ++rows) {
    X.row(rows) = encoded_[i].transpose();
    y[rows] = y_obs[static_cast<Eigen::Index>(i)];
  }
  if (lying)
    for (const auto& p : pending()) {
      X.row(rows) = space_.encode(p.second.config).transpose();
      y[rows++] = lie;
    }

  Surrogate& model = gp_ ? static_cast<Surrogate&>(*gp_) : static_cast<Surrogate&>(*forest_);
  if (gp_) schedule_gp_refit();
  bool fitted = false;
  while (static_cast<int>(out.size()) < n) {
    if (!fitted || lying) {
      model.fit(X.topRows(rows), y.head(rows), rng_);
      if (gp_) gp_->options().fit_hyperparameters = false;
      fitted = true;
    }
    double kappa = current_kappa();
    if (liar_ == Liar::QUCB && kappa > 0) kappa = std::exponential_distribution<double>(1.0 / kappa)(rng_);
    Configuration c = optimize_acquisition(model, X.topRows(obs.size()), y_obs, kappa, batch);
    ++model_proposals_;
    batch.insert(key(c));
    if (lying) {
      X.row(rows) = space_.encode(c).transpose();
      y[rows++] = lie;
    }
    out.push_back(std::move(c));
  }
  return out;
}

Configuration CBO::optimize_acquisition(const Surrogate& model, const Eigen::MatrixXd&,
                                        const Eigen::VectorXd& y_obs, double kappa,
                                        const std::unordered_set<std::string>& batch) {
  auto seen = [&](const std::string& k) { return known_keys().count(k) > 0 || batch.count(k) > 0; };
  const auto& obs = observations();
  const double best = y_obs.maxCoeff();
  std::vector<Configuration> candidates = sample(space_, cbo_.random_candidates, rng_);

  // Local moves around the best observations: where the optimum most likely is.
  std::vector<std::size_t> order(obs.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t parents = std::min<std::size_t>(5, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(parents), order.end(),
                    [&](std::size_t a, std::size_t b) {
                      return y_obs[static_cast<Eigen::Index>(a)] > y_obs[static_cast<Eigen::Index>(b)];
                    });
  const double scales[] = {0.1, 0.03, 0.01};
  for (int j = 0; j < cbo_.local_candidates; ++j) {
    const Configuration& parent = obs[order[static_cast<std::size_t>(j) % parents]].config;
    const double scale = scales[j % 3];
    candidates.push_back(j % 2 == 0 ? perturb(space_, parent, rng_, scale)
                                    : mutate(space_, parent, rng_, scale));
  }

  auto score = [&](const std::vector<Configuration>& configs, std::size_t from) {
    Eigen::MatrixXd C(static_cast<Eigen::Index>(configs.size() - from), static_cast<Eigen::Index>(space_.size()));
    for (std::size_t i = from; i < configs.size(); ++i)
      C.row(static_cast<Eigen::Index>(i - from)) = space_.encode(configs[i]).transpose();
    Eigen::VectorXd mean, std;
    model.predict(C, mean, std);
    return acquisition_scores(acquisition_, mean, std, best, kappa, cbo_.xi);
  };
  Eigen::VectorXd scores = score(candidates, 0);

  // Hill-climb from the best few candidates with shrinking steps.
  const std::size_t starts = std::min<std::size_t>(5, candidates.size());
  for (int round = 0; round < cbo_.refine_rounds; ++round) {
    std::vector<std::size_t> idx(candidates.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(starts), idx.end(),
                      [&](std::size_t a, std::size_t b) {
                        return scores[static_cast<Eigen::Index>(a)] > scores[static_cast<Eigen::Index>(b)];
                      });
    const std::size_t before = candidates.size();
    const double scale = 0.02 / (1 << round);
    for (std::size_t s = 0; s < starts; ++s)
      for (int k = 0; k < 20; ++k)
        candidates.push_back(k % 4 == 3 ? mutate(space_, candidates[idx[s]], rng_, scale)
                                        : perturb(space_, candidates[idx[s]], rng_, scale));
    const Eigen::VectorXd more = score(candidates, before);
    Eigen::VectorXd all(static_cast<Eigen::Index>(candidates.size()));
    all << scores, more;
    scores = std::move(all);
  }

  std::vector<std::size_t> idx(candidates.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
    return scores[static_cast<Eigen::Index>(a)] > scores[static_cast<Eigen::Index>(b)];
  });
  for (std::size_t i : idx)
    if (!seen(key(candidates[i]))) return candidates[i];
  // Every candidate is a known point: fall back to a fresh prior draw.
  Configuration c = sample(space_, rng_);
  for (int attempt = 0; attempt < 100 && seen(key(c)); ++attempt) c = sample(space_, rng_);
  return c;
}

void CBO::save_state(cereal::BinaryOutputArchive& ar) const {
  std::vector<std::vector<Value>> design;
  for (const auto& c : design_) design.push_back(c.values());
  std::vector<double> theta;
  if (gp_) theta.assign(gp_->hyperparameters().data(), gp_->hyperparameters().data() + gp_->hyperparameters().size());
  ar(design_drawn_, design, static_cast<std::uint64_t>(design_used_), model_proposals_, gp_fit_count_, theta);
}

void CBO::load_state(cereal::BinaryInputArchive& ar) {
  std::vector<std::vector<Value>> design;
  std::uint64_t used = 0;
  std::vector<double> theta;
  ar(design_drawn_, design, used, model_proposals_, gp_fit_count_, theta);
  design_.clear();
  encoded_.clear();
  for (auto& v : design) design_.emplace_back(space_.names(), std::move(v));
  design_used_ = used;
  if (gp_) gp_->set_hyperparameters(Eigen::Map<const Eigen::VectorXd>(theta.data(), static_cast<Eigen::Index>(theta.size())));
}

}  // namespace kyper::search
