#include <kyper/binary_archive.hpp>
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
#include <cstdlib>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

namespace kyper::search {

Liar parse_liar(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "auto") return Liar::Auto;
  if (lower == "cl_worst" || lower == "cl_max") return Liar::Worst;
  if (lower == "cl_mean") return Liar::Mean;
  if (lower == "cl_best" || lower == "cl_min") return Liar::Best;
  if (lower == "qucb") return Liar::QUCB;
  if (lower == "believer" || lower == "kriging_believer") return Liar::Believer;
  KYPER_FAIL("unknown liar strategy '" << name << "' (expected auto, cl_worst, cl_mean, cl_best, believer or qUCB)");
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

namespace {
std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string checked_surrogate(const CBOOptions& o) {
  const std::string s = upper(o.surrogate);
  KYPER_REQUIRE(s == "AUTO" || s == "ET" || s == "RF" || s == "GP",
                "CBO: unknown surrogate '" << o.surrogate << "' (expected auto, ET, RF or GP)");
  return s;
}

std::string checked_stopped_rule(const CBOOptions& o) {
  const std::string t = lower(o.stopped_trials);
  KYPER_REQUIRE(t == "as_reported" || t == "below_further" || t == "ignore",
                "CBO: unknown stopped_trials '" << o.stopped_trials
                                                << "' (expected as_reported, below_further or ignore)");
  return t;
}

// A stopped trial's budget (what it used), or +infinity for a trial that ran to the end (or
// without a stopper: no metadata).
double budget_used(const Observation& o, bool* stopped) {
  auto flag = o.metadata.find("stopped_early");
  *stopped = flag != o.metadata.end() && flag->second == "true";
  if (!*stopped) return INFINITY;
  auto budget = o.metadata.find("budget");
  if (budget == o.metadata.end()) return 0.0;
  char* end = nullptr;
  const double b = std::strtod(budget->second.c_str(), &end);
  return end != budget->second.c_str() && std::isfinite(b) ? b : 0.0;
}

std::string checked_transform(const CBOOptions& o) {
  if (o.rank_objective) return "rank";
  if (o.log_objective) return "log";
  const std::string t = lower(o.objective_transform);
  KYPER_REQUIRE(t == "auto" || t == "none" || t == "log" || t == "rank",
                "CBO: unknown objective transform '" << o.objective_transform
                                                     << "' (expected auto, none, log or rank)");
  return t;
}

bool mixed_kernel(const CBOOptions& o) {
  const std::string k = lower(o.gp_kernel);
  KYPER_REQUIRE(k == "mixed" || k == "cube", "CBO: unknown GP kernel '" << o.gp_kernel << "' (expected mixed or cube)");
  return k == "mixed";
}

// Candidates one model-based proposal scores (prior draws, local moves, hill-climbing rounds).
double candidates_per_ask(const CBOOptions& o) {
  return o.random_candidates + o.local_candidates + 100.0 * o.refine_rounds;
}

// Columns of the mixed-kernel GP inputs for `space`.
int gp_columns(const CBOOptions& o, const Space& space) {
  if (!mixed_kernel(o)) return static_cast<int>(space.size());
  std::vector<bool> conditional(space.size(), false);
  for (const auto& c : space.conditions()) conditional[space.index(c.child)] = true;
  int columns = 0;
  for (std::size_t i = 0; i < space.size(); ++i) {
    const Parameter& p = space.parameter(i);
    columns += (p.type == ParameterType::Categorical ? static_cast<int>(p.choices.size()) : 1) + (conditional[i] ? 1 : 0);
  }
  return columns;
}

// Floating-point operations of one GP ask at n observations with `columns` input columns: the
// Cholesky factorisation (n^3/3), the predictive variances of the candidates (m n^2), their
// kernel rows (m n (2 columns + 10)), and the hyperparameter refits amortised over the asks
// between two of them (a refit on r <= max_fit_rows rows costs iterations * (7/3 r^3 + r^2 (4
// columns + 20)) and happens every (growth - 1) n asks).
double gp_ask_flops(const CBOOptions& o, double n, double columns) {
  const double m = candidates_per_ask(o);
  double flops = n * n * n / 3 + m * n * n + m * n * (2 * columns + 10);
  const double r = o.gp.max_fit_rows > 0 ? std::min(n, double(o.gp.max_fit_rows)) : n;
  const double refit = o.gp.fit_iterations * (7.0 / 3.0 * r * r * r + r * r * (4 * columns + 20));
  flops += refit / std::max(1.0, (o.gp_refit_growth - 1) * n);
  return flops;
}
}  // namespace

// The GP's ask budget in floating-point operations: 3.8e8 is what the model above gives for a
// 10-D GP ask at 540 observations, which measured 20 ms on one core of the benchmark machine (an
// AVX-512 Xeon; median of 21 asks, benchmarks/search: 17 ms at 500, 25 ms at 600), the latency
// bound Kyper sets for an ask at 5,000 observations. Past it the forest takes over (under 5 ms
// at 1,000 observations).
constexpr double kGpAskBudgetFlops = 3.8e8;

int auto_gp_limit(const CBOOptions& options, const Space& space) {
  if (options.gp_max_observations > 0) return options.gp_max_observations;
  const double columns = gp_columns(options, space);
  int n = 16;
  while (n < 100000 && gp_ask_flops(options, n + 1, columns) <= kGpAskBudgetFlops) ++n;
  return n;
}

std::string describe_defaults(const CBOOptions& o, const Space& space) {
  const std::string s = checked_surrogate(o), t = checked_transform(o);
  std::ostringstream out;
  std::string acquisition = to_string(parse_acquisition(o.acquisition));
  std::ostringstream acq;
  if (acquisition == "UCB") {
    acq << "UCB(kappa " << o.kappa;
    if (o.kappa_decay < 1) acq << ", decay " << o.kappa_decay;
    acq << ")";
  } else {
    acq << acquisition << "(xi " << o.xi << ")";
  }
  auto gp = [&] {
    std::ostringstream g;
    g << "GP(Matern 5/2, ARD";
    if (mixed_kernel(o)) {
      std::size_t categorical = 0;
      for (const auto& p : space.parameters()) categorical += p.type == ParameterType::Categorical;
      std::set<std::string> conditional;
      for (const auto& c : space.conditions()) conditional.insert(c.child);
      if (categorical) g << "; " << categorical << " categorical by equality";
      if (!conditional.empty()) g << "; " << conditional.size() << " conditional with activity flags";
    }
    g << ")";
    return g.str();
  };
  auto forest = [&](bool extra) {
    std::ostringstream f;
    f << (extra ? "ET(" : "RF(") << o.forest.trees << " trees, leaf " << o.forest.min_samples_leaf;
    if (o.forest.max_samples > 0) f << ", " << o.forest.max_samples << " rows/tree";
    f << ")";
    return f.str();
  };
  const std::string transform = t == "auto" ? "log objective (raw while flat-topped; outliers clipped)"
                                : t == "log" ? "log objective"
                                : t == "rank" ? "rank-normalised objective"
                                              : "raw objective";
  out << "cbo: ";
  if (s == "AUTO")
    out << gp() << " + " << acq.str() << " on " << transform << " up to " << auto_gp_limit(o, space)
        << " observations, then " << forest(true);
  else
    out << (s == "GP" ? gp() : forest(s == "ET")) << " + " << acq.str() << " on " << transform;
  out << "; " << o.initial_points << " initial points (" << (o.latin_hypercube ? "LHS" : "random")
      << "), pending trials: ";
  if (parse_liar(o.liar) == Liar::Auto && acquisition == "UCB")
    out << "qUCB, kappa ~ Exponential(mean " << o.pending_kappa << ")";
  else if (parse_liar(o.liar) == Liar::Auto)
    out << "cl_worst (auto with " << acquisition << ": no kappa to draw)";
  else
    out << o.liar;
  return out.str();
}

CBO::CBO(Space space, SearchOptions options, CBOOptions cbo)
    : Search(std::move(space), options), cbo_(std::move(cbo)),
      acquisition_(parse_acquisition(cbo_.acquisition)), liar_(parse_liar(cbo_.liar)),
      surrogate_(checked_surrogate(cbo_)), transform_(checked_transform(cbo_)), stopped_(checked_stopped_rule(cbo_)) {
  KYPER_REQUIRE(std::isfinite(cbo_.kappa) && cbo_.kappa >= 0, "CBO: kappa must be >= 0, got " << cbo_.kappa);
  KYPER_REQUIRE(std::isfinite(cbo_.pending_kappa) && cbo_.pending_kappa >= 0,
                "CBO: pending_kappa must be >= 0, got " << cbo_.pending_kappa);
  KYPER_REQUIRE(cbo_.kappa_decay > 0 && cbo_.kappa_decay <= 1,
                "CBO: kappa_decay must be in (0, 1], got " << cbo_.kappa_decay);
  KYPER_REQUIRE(cbo_.initial_points >= 0, "CBO: initial_points must be >= 0");
  KYPER_REQUIRE(cbo_.random_candidates >= 0 && cbo_.local_candidates >= 0 &&
                    cbo_.random_candidates + cbo_.local_candidates > 0,
                "CBO: no candidates to score");
  KYPER_REQUIRE(cbo_.log_delta > 0, "CBO: log_delta must be > 0, got " << cbo_.log_delta);
  KYPER_REQUIRE(cbo_.gp_max_observations >= 0, "CBO: gp_max_observations must be >= 0");
  const bool mixed = mixed_kernel(cbo_);
  if (surrogate_ == "GP" || surrogate_ == "AUTO") {
    gp_ = std::make_unique<GaussianProcess>(cbo_.gp);
    if (mixed) {
      std::vector<bool> conditional(space_.size(), false);
      for (const auto& c : space_.conditions()) conditional[space_.index(c.child)] = true;
      int column = 0;
      for (std::size_t i = 0; i < space_.size(); ++i) {
        const Parameter& p = space_.parameter(i);
        const int width = (p.type == ParameterType::Categorical ? static_cast<int>(p.choices.size()) : 1) +
                          (conditional[i] ? 1 : 0);
        feature_begin_.push_back(column);
        for (int k = 0; k < width; ++k) feature_group_.push_back(static_cast<int>(i));
        column += width;
      }
      feature_begin_.push_back(column);
      gp_->set_groups(feature_group_);
    }
  }
  if (surrogate_ != "GP") {
    cbo_.forest.extra_trees = surrogate_ != "RF";
    forest_ = std::make_unique<RandomForest>(cbo_.forest);
  }
  gp_limit_ = surrogate_ == "AUTO" ? auto_gp_limit(cbo_, space_) : 0;
  // "auto" spreads a batch by drawing kappa; EI and PI have none, so they take the constant liar.
  if (liar_ == Liar::Auto && acquisition_ != Acquisition::UCB) liar_ = Liar::Worst;
}

bool CBO::use_gp() const {
  if (surrogate_ == "GP") return true;
  if (surrogate_ != "AUTO") return false;
  // Under a constant liar the pending trials are rows of the GP too.
  const std::size_t rows = observations().size() + (lying() ? pending().size() : 0);
  return static_cast<std::int64_t>(rows) <= gp_limit_;
}

std::string CBO::active_surrogate() const {
  if (use_gp()) return "GP";
  return surrogate_ == "RF" ? "RF" : "ET";
}

Eigen::MatrixXd CBO::model_inputs(const Eigen::MatrixXd& U, bool gp) const {
  if (!gp || feature_begin_.empty()) return U;
  const auto columns = static_cast<Eigen::Index>(feature_begin_.back());
  Eigen::MatrixXd F = Eigen::MatrixXd::Zero(U.rows(), columns);
  const double one_hot = std::sqrt(0.5);  // two different categories are 1 apart
  for (std::size_t i = 0; i < space_.size(); ++i) {
    const Parameter& p = space_.parameter(i);
    const int begin = feature_begin_[i], width = feature_begin_[i + 1] - begin;
    const bool categorical = p.type == ParameterType::Categorical;
    const bool conditional = width > (categorical ? static_cast<int>(p.choices.size()) : 1);
    const auto col = static_cast<Eigen::Index>(i);
    for (Eigen::Index r = 0; r < U.rows(); ++r) {
      const double u = U(r, col);
      const bool active = u != kInactive;
      if (categorical) {
        if (active) {
          const auto m = static_cast<double>(p.choices.size());
          const auto k = std::min<Eigen::Index>(static_cast<Eigen::Index>(p.choices.size()) - 1,
                                                static_cast<Eigen::Index>(std::max(0.0, u) * m));
          F(r, begin + k) = one_hot;
        } else {
          F(r, begin + width - 1) = one_hot;  // its own "inactive" category
        }
      } else {
        F(r, begin) = active ? u : 0.5;
        if (conditional) F(r, begin + 1) = active ? 0.0 : 1.0;
      }
    }
  }
  return F;
}

double CBO::proposal_kappa(std::size_t in_flight) {
  double mean = current_kappa();
  if (liar_ == Liar::Auto) {
    if (in_flight == 0) return mean;
    // kappa_decay shrinks the pending mean as it shrinks kappa.
    mean = cbo_.pending_kappa * (cbo_.kappa > 0 ? mean / cbo_.kappa : 1.0);
  } else if (liar_ != Liar::QUCB) {
    return mean;
  }
  return mean > 0 ? std::exponential_distribution<double>(1.0 / mean)(rng_) : 0.0;
}

double CBO::current_kappa() const {
  const std::int64_t t = cbo_.kappa_decay_period > 0 ? model_proposals_ % cbo_.kappa_decay_period
                                                      : model_proposals_;
  return cbo_.kappa * std::pow(cbo_.kappa_decay, static_cast<double>(t));
}

void CBO::push_unique_random(std::unordered_set<std::string>& batch, std::vector<Configuration>& out) {
  out.push_back(draw_new([&] { return sample(space_, rng_); }, batch));
}

void CBO::take_initial_design(int n, std::unordered_set<std::string>& batch, std::vector<Configuration>& out) {
  // Drawn once so asks of any size walk through the same points. A resumed or warm-started
  // search counts its loaded results towards the design.
  if (!design_drawn_) {
    design_drawn_ = true;
    // A first ask for more points than the design (many workers at once) gets them all from it:
    // before two results are in, the alternative is prior draws, which cover the space worse.
    const int wanted = cbo_.initial_points > 0 ? std::max(cbo_.initial_points, n) : 0;
    const int size = wanted - static_cast<int>(observations().size() + pending().size());
    if (size > 0)
      design_ = cbo_.latin_hypercube ? latin_hypercube(space_, size, rng_) : sample(space_, size, rng_);
  }
  while (static_cast<int>(out.size()) < n && design_used_ < design_.size()) {
    Configuration c = design_[design_used_++];
    if (!is_new(key(c), batch)) {
      push_unique_random(batch, out);
    } else {
      batch.insert(key(c));
      out.push_back(std::move(c));
    }
  }
}

namespace {
// Normal scores of the ranks; ties share their mean rank so equal objectives stay equal.
Eigen::VectorXd rank_scores(const Eigen::VectorXd& y) {
  const Eigen::Index m = y.size();
  std::vector<Eigen::Index> order(static_cast<std::size_t>(m));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return y[a] < y[b]; });
  Eigen::VectorXd scores(m);
  for (Eigen::Index i = 0; i < m;) {
    Eigen::Index j = i;
    while (j + 1 < m && y[order[static_cast<std::size_t>(j + 1)]] == y[order[static_cast<std::size_t>(i)]]) ++j;
    const double q = (0.5 * static_cast<double>(i + j) + 0.5) / static_cast<double>(m);
    const double z = normal_quantile(q);
    for (Eigen::Index k = i; k <= j; ++k) scores[order[static_cast<std::size_t>(k)]] = z;
    i = j + 1;
  }
  return scores;
}

}  // namespace

void cap_stopped_targets(const std::vector<Observation>& obs, Eigen::VectorXd& targets) {
  std::vector<std::pair<double, double>> by_budget;  // (budget used, target) of successes
  std::vector<double> budgets(obs.size());
  std::vector<bool> stopped(obs.size());
  for (std::size_t i = 0; i < obs.size(); ++i) {
    bool s = false;
    budgets[i] = budget_used(obs[i], &s);
    stopped[i] = s;
    if (!obs[i].failed()) by_budget.emplace_back(budgets[i], targets[static_cast<Eigen::Index>(i)]);
  }
  std::sort(by_budget.begin(), by_budget.end());
  // lowest_from[k]: the lowest target among by_budget[k..end).
  std::vector<double> lowest_from(by_budget.size() + 1, std::numeric_limits<double>::infinity());
  for (std::size_t k = by_budget.size(); k-- > 0;) lowest_from[k] = std::min(lowest_from[k + 1], by_budget[k].second);
  for (std::size_t i = 0; i < obs.size(); ++i) {
    if (!stopped[i] || obs[i].failed()) continue;
    const auto further = std::upper_bound(by_budget.begin(), by_budget.end(), budgets[i],
                                          [](double b, const std::pair<double, double>& e) { return b < e.first; });
    const double cap = lowest_from[static_cast<std::size_t>(further - by_budget.begin())];
    auto& target = targets[static_cast<Eigen::Index>(i)];
    target = std::min(target, cap);
  }
}

std::vector<bool> rows_without_stopped(const std::vector<Observation>& obs) {
  std::vector<bool> rows(obs.size(), true);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < obs.size(); ++i) {
    bool stopped = false;
    budget_used(obs[i], &stopped);
    rows[i] = !stopped;
    kept += !stopped && !obs[i].failed();
  }
  if (kept < 2) rows.assign(obs.size(), true);  // too few trials ran to the end to learn from alone
  return rows;
}

Eigen::VectorXd CBO::surrogate_targets() const {
  Eigen::VectorXd y = transformed_objectives();
  // The transform is monotone, so capping targets caps objectives.
  if (stopped_ == "below_further") cap_stopped_targets(observations(), y);
  return y;
}

std::vector<bool> CBO::model_rows() const {
  if (stopped_ == "ignore") return rows_without_stopped(observations());
  return std::vector<bool>(observations().size(), true);
}

Eigen::VectorXd CBO::transformed_objectives() const {
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
  // A range that overflows a double (objectives near +-1e308) leaves only the ranks usable.
  if (transform_ == "rank") return rank_scores(y_obs);
  if (!(top > worst)) return Eigen::VectorXd::Zero(y_obs.size());  // constant objective
  double range = top - worst, clip = worst;
  bool raw = transform_ == "none";
  if (transform_ == "auto") {
    // Outliers: the values past the first break in the sorted gaps to the best (from the median
    // on) where a gap exceeds 1000 times the next smaller one. The log transform then takes its
    // delta from the regular values' range and sees the outliers at ten times that range: huge
    // losses neither flatten the rest nor dominate the model. Without such a break it is "log".
    std::vector<double> gaps(static_cast<std::size_t>(y_obs.size()));
    for (std::size_t i = 0; i < gaps.size(); ++i) gaps[i] = top - y_obs[static_cast<Eigen::Index>(i)];
    std::sort(gaps.begin(), gaps.end());
    for (std::size_t i = std::max<std::size_t>(gaps.size() / 2, 1) - 1; i + 1 < gaps.size(); ++i)
      if (gaps[i] > 0 && gaps[i + 1] > 1000.0 * gaps[i]) {
        range = gaps[i];
        clip = top - 10.0 * range;
        break;
      }
    // The log pays off for objectives with a long tail of bad values; when even the worst
    // regular value is within twice the median gap to the best (a flat-topped objective, most
    // values about equally bad), the objective itself is the better target.
    raw = range <= 2.0 * gaps[gaps.size() / 2];
  }
  // Ranges near the largest double would overflow below.
  if (!(top - clip < 1e300)) return rank_scores(y_obs);
  if (raw) return y_obs.cwiseMax(clip);
  const double delta = cbo_.log_delta * range + 1e-12;
  return -((top - y_obs.array().max(clip)) + delta).log();
}

double CBO::lie_value(const Eigen::VectorXd& targets) const {
  switch (liar_) {
    case Liar::Worst: return targets.minCoeff();
    case Liar::Mean: return targets.mean();
    case Liar::Best:
    case Liar::Auto:
    case Liar::QUCB: return targets.maxCoeff();
    case Liar::Believer: return targets.mean();  // replaced by the model's mean at each point
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
  const bool lying = this->lying();
  const bool gp = use_gp();

  // Rows (unit-cube coordinates): observations, then (constant liar) pending trials and this
  // batch's earlier points.
  const std::size_t d = space_.size();
  const std::size_t lies = lying ? pending().size() + static_cast<std::size_t>(n) : 0;
  const std::vector<bool> in_model = model_rows();
  const auto observed = static_cast<Eigen::Index>(std::count(in_model.begin(), in_model.end(), true));
  Eigen::MatrixXd U(observed + static_cast<Eigen::Index>(lies), static_cast<Eigen::Index>(d));
  Eigen::VectorXd y(U.rows());
  Eigen::Index rows = 0;
  // Observations only ever append, so their encodings are cached across asks.
  for (std::size_t i = encoded_.size(); i < obs.size(); ++i) encoded_.push_back(space_.encode(obs[i].config));
  for (std::size_t i = 0; i < obs.size(); ++i) {
    if (!in_model[i]) continue;
    U.row(rows) = encoded_[i].transpose();
    y[rows++] = y_obs[static_cast<Eigen::Index>(i)];
  }
  if (lying)
    for (const auto& p : pending()) {
      U.row(rows) = space_.encode(p.second.config).transpose();
      y[rows++] = lie;
    }

  Surrogate& model = gp ? static_cast<Surrogate&>(*gp_) : static_cast<Surrogate&>(*forest_);
  if (gp) gp_->set_row_noise({});
  if (gp) schedule_gp_refit();
  const bool believer = liar_ == Liar::Believer;
  // The model's mean at rows [from, rows), for the believer's lies.
  auto believe = [&](Eigen::Index from) {
    Eigen::VectorXd mean, std;
    model.predict(model_inputs(U.middleRows(from, rows - from), gp), mean, std);
    y.segment(from, rows - from) = mean;
  };
  if (believer && rows > observed) {
    model.fit(model_inputs(U.topRows(observed), gp), y.head(observed), rng_);
    if (gp) gp_->options().fit_hyperparameters = false;
    believe(observed);
  }
  // The GP takes the lies as noisy observations (see set_row_noise): they neither set its
  // hyperparameters nor its target scale, and one next to an observation bends the mean smoothly.
  Eigen::VectorXd noise;
  if (gp && lying) noise = Eigen::VectorXd::Constant(U.rows(), cbo_.gp_lie_noise).eval();
  bool fitted = false;
  while (static_cast<int>(out.size()) < n) {
    if (!fitted || lying) {
      if (gp && lying) {
        noise.head(observed).setZero();
        gp_->set_row_noise(noise.head(rows));
      }
      model.fit(model_inputs(U.topRows(rows), gp), y.head(rows), rng_);
      if (gp) gp_->options().fit_hyperparameters = false;
      fitted = true;
    }
    const double kappa = proposal_kappa(pending().size() + out.size());
    Configuration c = optimize_acquisition(model, gp, y_obs, kappa, batch);
    ++model_proposals_;
    batch.insert(key(c));
    if (lying) {
      U.row(rows) = space_.encode(c).transpose();
      y[rows++] = lie;
      if (believer) believe(rows - 1);
    }
    out.push_back(std::move(c));
  }
  return out;
}

Configuration CBO::optimize_acquisition(const Surrogate& model, bool gp, const Eigen::VectorXd& y_obs,
                                        double kappa, const std::unordered_set<std::string>& batch) {
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
    model.predict(model_inputs(C, gp), mean, std);
    Eigen::VectorXd s = acquisition_scores(acquisition_, mean, std, best, kappa, cbo_.xi);
    for (Eigen::Index i = 0; i < s.size(); ++i)
      if (!std::isfinite(s[i])) s[i] = -INFINITY;  // never prefer a point the model cannot score
    return s;
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
    if (is_new(key(candidates[i]), batch)) return candidates[i];
  // Every candidate is known (or another rank's): fall back to a fresh prior draw.
  std::unordered_set<std::string> scratch = batch;  // the caller adds the key to its batch
  return draw_new([&] { return sample(space_, rng_); }, scratch);
}

void CBO::save_state(cereal::BinaryOutputArchive& ar) const {
  std::vector<std::vector<Value>> design;
  for (const auto& c : design_) design.push_back(c.values());
  std::vector<double> theta;
  if (gp_) theta.assign(gp_->hyperparameters().data(), gp_->hyperparameters().data() + gp_->hyperparameters().size());
  ar(design_drawn_, design, static_cast<std::uint64_t>(design_used_), model_proposals_, gp_fit_count_, theta);
}

void CBO::load_state(CheckedBinaryInputArchive& ar) {
  std::vector<std::vector<Value>> design;
  std::uint64_t used = 0;
  std::vector<double> theta;
  ar(design_drawn_, design, used, model_proposals_, gp_fit_count_, theta);
  // A damaged checkpoint must not hand out points outside the space (Search checks the rest).
  KYPER_REQUIRE(used <= design.size(), "search checkpoint: " << used << " of " << design.size()
                                                             << " initial design points used");
  std::vector<Configuration> checked;
  for (auto& v : design) {
    checked.emplace_back(space_.names(), std::move(v));
    try {
      space_.validate(checked.back());
    } catch (const Error& e) {
      KYPER_FAIL("search checkpoint: holds an initial design point outside the space (" << e.what() << ")");
    }
  }
  design_.clear();
  encoded_.clear();
  design_ = std::move(checked);
  design_used_ = used;
  if (gp_) gp_->set_hyperparameters(Eigen::Map<const Eigen::VectorXd>(theta.data(), static_cast<Eigen::Index>(theta.size())));
}

}  // namespace kyper::search
