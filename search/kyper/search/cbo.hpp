// Centralized Bayesian optimisation (DeepHyper's CBO/AMBS): an initial design, then each
// proposal maximises an acquisition function of a surrogate (extra-trees, random forest or
// Gaussian process with a mixed-variable kernel; by default chosen from the space and the
// number of observations, see describe_defaults) over the mixed space by sampled candidates
// plus local moves. Pending trials are handled by qUCB (default "auto"), a constant liar or the
// kriging believer so that many workers never receive the same point; failed trials are imputed with the worst observed
// objective.
#pragma once

#include <kyper/search/acquisition.hpp>
#include <kyper/search/gaussian_process.hpp>
#include <kyper/search/random_forest.hpp>
#include <kyper/search/search.hpp>

#include <memory>
#include <string>
#include <unordered_set>

namespace kyper::search {

enum class Liar {
  Auto,   // "auto" (the default): no lies; a proposal made while trials are pending (or earlier in
          // the same ask) is a qUCB one with kappa ~ Exponential(mean pending_kappa); a sequential
          // ask (nothing pending) is a plain UCB one with kappa. With EI or PI (no kappa to draw)
          // it is cl_worst
  Worst,  // "cl_worst" (DeepHyper's cl_max): pending points lie with the worst objective
  Mean,   // "cl_mean"
  Best,   // "cl_best" (DeepHyper's cl_min)
  QUCB,   // "qUCB": no lie; each point draws its own kappa ~ Exponential(mean kappa)
  Believer,  // "believer" (kriging believer, GP-BUCB): each pending point lies with the model's
             // own mean there, so only the uncertainty around it shrinks
};
Liar parse_liar(const std::string& name);

inline GPOptions default_gp() {
  GPOptions g;
  g.max_fit_rows = 128;
  return g;
}

inline ForestOptions default_forest() {
  ForestOptions f;
  f.trees = 20;
  f.min_samples_leaf = 3;
  f.max_samples = 256;
  return f;
}

struct CBOOptions {
  // The surrogate model. "auto" (the default) picks it from the space and the number of
  // observations (describe_defaults() says what it picked): the GP with the mixed-variable kernel
  // while its ask stays affordable (up to auto_gp_limit() observations), then extra-trees.
  // "ET", "RF" or "GP" use that model for the whole search.
  std::string surrogate = "auto";
  std::string acquisition = "UCB";  // "UCB", "LCB", "EI" or "PI"
  double kappa = 1.96;
  double kappa_decay = 1.0;        // kappa is multiplied by this after each model proposal
  int kappa_decay_period = 0;      // the decay restarts every this many proposals (0: never)
  double xi = 0.001;               // EI / PI improvement margin (objective units)
  // Pending trials: "auto", "cl_worst" ("cl_max"), "cl_mean", "cl_best" ("cl_min"), "believer" or
  // "qUCB" (see Liar). "auto" measured best with 8 and 64 simulated workers (README: the default
  // search) and leaves a sequential search exactly as plain UCB would run it.
  std::string liar = "auto";
  // "auto": the mean kappa of a proposal made while trials are pending (kappa_decay applies to it
  // as to kappa; kappa itself is used only when nothing is pending). Below `kappa` because the
  // batch spreads itself: each point draws its own kappa, and 63 points in flight already explore.
  double pending_kappa = 1.0;
  int initial_points = 10;         // initial design size (a first ask for more points gets them all
                                   // from the design)
  bool latin_hypercube = true;     // initial design: LHS (true) or prior draws
  // What the surrogate learns instead of the objective y (maximised internally):
  //   "none"  y itself;
  //   "log"   -log(best - y + delta), delta = log_delta * (best - worst): objectives spanning
  //           orders of magnitude become smooth, and the model resolves the region near the best;
  //   "rank"  the normal scores of the ranks (a copula transform; Salinas et al. 2020), robust to
  //           any monotone distortion;
  //   "auto"  (the default) chosen from the data at each ask: outliers are the values past a
  //           break in the sorted gaps to the best (from the median on, a gap over 1000 times the
  //           next smaller one); they are clipped at ten times the regular values' range, which
  //           alone sets delta, so huge losses neither flatten the rest nor dominate the model.
  //           Then "log" when the regular values have a long tail (the worst gap to the best is
  //           more than twice the median gap, the ratio of uniformly spread values), else "none"
  //           (a flat-topped objective, most values about equally bad).
  // Each falls back to "rank" when the range it would subtract exceeds 1e300 (objectives near
  // the limits of a double).
  std::string objective_transform = "auto";
  // Legacy switches: true forces "log" (log_objective) or "rank" (rank_objective; takes precedence).
  bool log_objective = false;
  bool rank_objective = false;
  // delta as a fraction of the observed range: small values turn the best point into a spike
  // the model cannot follow, large ones undo the log (0.1 measured best on the benchmark).
  double log_delta = 0.1;
  int random_candidates = 500;     // prior draws scored per proposal
  int local_candidates = 250;      // local moves around the best observations
  int refine_rounds = 3;           // hill-climbing rounds from the best candidates
  // ET / RF settings (extra_trees is set from `surrogate`). Leaves of 3 as in scikit-optimize;
  // each tree learns from at most 256 points so an ask stays within a few milliseconds at
  // thousands of observations (the trees still cover all points between them).
  ForestOptions forest = default_forest();
  GPOptions gp = default_gp();
  // GP inputs: "mixed" (default): numeric parameters by their unit coordinate, a categorical
  // parameter one-hot (its columns share one length scale: equal or not, whatever the order of
  // the choices), a conditional parameter with an activity flag (two points where it is inactive
  // agree on it); "cube": the unit-cube coordinates as they are (inactive = -1).
  std::string gp_kernel = "mixed";
  // The GP takes a constant liar's lies as observations with this much noise variance (a
  // fraction of its signal variance): a lie next to an observation then bends the mean instead of
  // forcing a spike between them.
  double gp_lie_noise = 0.1;
  // "auto": the GP is used while there are at most this many observations (pending trials
  // included under a constant liar; 0: auto_gp_limit() decides from the space), then the forest.
  int gp_max_observations = 0;
  // GP hyperparameters are refitted while there are at most this many observations, then
  // only when the count has grown by gp_refit_growth since the last refit.
  int gp_refit_always_below = 40;
  double gp_refit_growth = 1.1;
  // Trials a stopper ended early (metadata stopped_early = "true", budget = what they used) report
  // a value at a smaller budget than the trials that ran on. What the surrogate learns from them:
  //   "as_reported"    their value as if it were a full-budget one;
  //   "below_further"  (the default) their value, but never above the lowest value of a trial
  //                    that ran to a larger budget: the stopper's verdict (worse than those it let
  //                    go on) holds in the model, while a stopped trial that was far worse keeps
  //                    its distance;
  //   "ignore"         left out of the model (they still count as known, never proposed again).
  // benchmarks/multifidelity (README: Multi-fidelity search) measures the three.
  std::string stopped_trials = "below_further";
};

// Observations up to which surrogate "auto" uses the GP on `space` (gp_max_observations when it
// is set): the largest count whose GP ask, by its operation count (Cholesky factorisation,
// predictive variances of the candidates, amortised hyperparameter refits), stays within the
// budget of a 10-D ask at 540 observations, 20 ms on one core of the benchmark machine. Under
// a constant liar, pending trials count as observations. Deterministic: it depends on the space
// and the options only.
int auto_gp_limit(const CBOOptions& options, const Space& space);

// The search CBOOptions give on `space`, in one line, for a start-up message, e.g.
// "cbo: GP(Matern 5/2, ARD) + UCB(kappa 1.96) on log objective (raw while flat-topped; outliers
// clipped) up to 540 observations, then ET(20 trees, leaf 3, 256 rows/tree); 10 initial points (LHS), pending
// trials: qUCB, kappa ~ Exponential(mean 1)".
std::string describe_defaults(const CBOOptions& options, const Space& space);

// stopped_trials "below_further": each stopped trial's target (observation i's in `targets`)
// becomes at most the lowest target of the successful trials that used a larger budget (a trial
// that ran to the end counts as an infinite budget). Failed trials are left as they are.
void cap_stopped_targets(const std::vector<Observation>& observations, Eigen::VectorXd& targets);
// stopped_trials "ignore": which observations are rows of the model (all but the stopped ones;
// all of them while fewer than two successful trials ran to the end).
std::vector<bool> rows_without_stopped(const std::vector<Observation>& observations);

class CBO : public Search {
 public:
  CBO(Space space, SearchOptions options = {}, CBOOptions cbo = {});
  std::string name() const override { return "CBO"; }
  const CBOOptions& cbo_options() const { return cbo_; }
  // kappa for the next model-based proposal (after decay).
  double current_kappa() const;
  // The surrogate the next model-based proposal uses: "GP", "ET" or "RF".
  std::string active_surrogate() const;
  // The objective transform in use: "none", "log", "rank" or "auto".
  const std::string& objective_transform() const { return transform_; }

 protected:
  std::vector<Configuration> propose(int n) override;
  void save_state(cereal::BinaryOutputArchive& ar) const override;
  void load_state(CheckedBinaryInputArchive& ar) override;

 private:
  // The steps of propose(). Appends the initial design's next points (or random ones where a
  // design point is already known) to `out`, up to n.
  void take_initial_design(int n, std::unordered_set<std::string>& batch, std::vector<Configuration>& out);
  // A random configuration not yet observed, pending or in `batch`, appended to `out`.
  void push_unique_random(std::unordered_set<std::string>& batch, std::vector<Configuration>& out);
  // The surrogate's targets, one per observation, maximised, after the objective transform;
  // failures take the worst success; stopped trials as stopped_trials says.
  Eigen::VectorXd surrogate_targets() const;
  Eigen::VectorXd transformed_objectives() const;
  // Whether observation i is a row of the model (not with stopped_trials "ignore" when stopped).
  std::vector<bool> model_rows() const;
  // The value told for pending trials under the constant-liar strategy.
  double lie_value(const Eigen::VectorXd& targets) const;
  // Whether pending trials are rows of the model (a constant liar or the believer).
  bool lying() const { return liar_ != Liar::QUCB && liar_ != Liar::Auto; }
  // kappa for one model-based proposal made while `in_flight` trials are pending (this ask's
  // earlier points included): qUCB and "auto" with trials in flight draw it at random.
  double proposal_kappa(std::size_t in_flight);
  // Marks the GP's hyperparameters for refitting when the data has grown enough.
  void schedule_gp_refit();
  // Whether the next proposal uses the GP (by the surrogate option and the observation count).
  bool use_gp() const;
  // The model's inputs for unit-cube rows U: U for forests, the mixed-kernel features for the GP.
  Eigen::MatrixXd model_inputs(const Eigen::MatrixXd& U, bool gp) const;
  Configuration optimize_acquisition(const Surrogate& model, bool gp, const Eigen::VectorXd& y,
                                     double kappa, const std::unordered_set<std::string>& batch);

  CBOOptions cbo_;
  Acquisition acquisition_;
  Liar liar_;
  std::string surrogate_;   // "AUTO", "ET", "RF" or "GP"
  std::string transform_;   // "none", "log", "rank" or "auto"
  std::string stopped_;     // "as_reported", "below_further" or "ignore"
  int gp_limit_ = 0;        // "AUTO": the GP while observations <= this
  // Mixed-kernel GP inputs: for each parameter, its first feature column; columns' groups.
  std::vector<int> feature_begin_;
  std::vector<int> feature_group_;
  std::unique_ptr<RandomForest> forest_;
  std::unique_ptr<GaussianProcess> gp_;
  std::vector<Eigen::VectorXd> encoded_;  // unit-cube rows of observations()[0..size)
  // Checkpointed state beyond the base class.
  bool design_drawn_ = false;
  std::vector<Configuration> design_;
  std::size_t design_used_ = 0;
  std::int64_t model_proposals_ = 0;
  std::int64_t gp_fit_count_ = 0;  // observations at the last hyperparameter refit
};

}  // namespace kyper::search
