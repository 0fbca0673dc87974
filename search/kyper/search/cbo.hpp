// Centralized Bayesian optimisation (DeepHyper's CBO/AMBS): an initial design, then each
// proposal maximises an acquisition function of a surrogate (extra-trees, random forest or
// Gaussian process) over the mixed space by sampled candidates plus local moves. Pending
// trials are handled by a constant liar or by qUCB so that many workers never receive the
// same point; failed trials are imputed with the worst observed objective.
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
  Worst,  // "cl_worst" (DeepHyper's cl_max): pending points lie with the worst objective
  Mean,   // "cl_mean"
  Best,   // "cl_best" (DeepHyper's cl_min)
  QUCB,   // "qUCB": no lie; each point draws its own kappa ~ Exponential(mean kappa)
};
Liar parse_liar(const std::string& name);

inline ForestOptions default_forest() {
  ForestOptions f;
  f.trees = 20;
  f.min_samples_leaf = 3;
  f.max_samples = 256;
  return f;
}

struct CBOOptions {
  std::string surrogate = "ET";     // "ET", "RF" or "GP"
  std::string acquisition = "UCB";  // "UCB", "LCB", "EI" or "PI"
  double kappa = 1.96;
  double kappa_decay = 1.0;        // kappa is multiplied by this after each model proposal
  int kappa_decay_period = 0;      // the decay restarts every this many proposals (0: never)
  double xi = 0.001;               // EI / PI improvement margin (objective units)
  std::string liar = "cl_worst";   // "cl_worst" ("cl_max"), "cl_mean", "cl_best" ("cl_min"), "qUCB"
  int initial_points = 10;         // initial design size
  bool latin_hypercube = true;     // initial design: LHS (true) or prior draws
  // Model log(best - y + delta) instead of y: helps objectives spanning orders of magnitude.
  bool log_objective = false;
  // delta as a fraction of the observed range: small values turn the best point into a spike
  // the model cannot follow, large ones undo the log (0.1 measured best on the benchmark).
  double log_delta = 0.1;
  // Model the normal scores of the ranks instead of y (a copula transform; Salinas et al.
  // 2020): robust to any monotone distortion of the objective. Takes precedence over the log.
  bool rank_objective = false;
  int random_candidates = 500;     // prior draws scored per proposal
  int local_candidates = 250;      // local moves around the best observations
  int refine_rounds = 3;           // hill-climbing rounds from the best candidates
  // ET / RF settings (extra_trees is set from `surrogate`). Leaves of 3 as in scikit-optimize;
  // each tree learns from at most 256 points so an ask stays within a few milliseconds at
  // thousands of observations (the trees still cover all points between them).
  ForestOptions forest = default_forest();
  GPOptions gp{};
  // GP hyperparameters are refitted while there are at most this many observations, then
  // only when the count has grown by gp_refit_growth since the last refit.
  int gp_refit_always_below = 40;
  double gp_refit_growth = 1.1;
};

class CBO : public Search {
 public:
  CBO(Space space, SearchOptions options = {}, CBOOptions cbo = {});
  std::string name() const override { return "CBO"; }
  const CBOOptions& cbo_options() const { return cbo_; }
  // kappa for the next model-based proposal (after decay).
  double current_kappa() const;

 protected:
  std::vector<Configuration> propose(int n) override;
  void save_state(cereal::BinaryOutputArchive& ar) const override;
  void load_state(cereal::BinaryInputArchive& ar) override;

 private:
  // The steps of propose(). Appends the initial design's next points (or random ones where a
  // design point is already known) to `out`, up to n.
  void take_initial_design(int n, std::unordered_set<std::string>& batch, std::vector<Configuration>& out);
  // A random configuration not yet observed, pending or in `batch`, appended to `out`.
  void push_unique_random(std::unordered_set<std::string>& batch, std::vector<Configuration>& out);
  // The surrogate's targets, one per observation, maximised, after the objective transform;
  // failures take the worst success.
  Eigen::VectorXd surrogate_targets() const;
  // The value told for pending trials under the constant-liar strategy.
  double lie_value(const Eigen::VectorXd& targets) const;
  // Marks the GP's hyperparameters for refitting when the data has grown enough.
  void schedule_gp_refit();
  Configuration optimize_acquisition(const Surrogate& model, const Eigen::MatrixXd& X,
                                     const Eigen::VectorXd& y, double kappa,
                                     const std::unordered_set<std::string>& batch);

  CBOOptions cbo_;
  Acquisition acquisition_;
  Liar liar_;
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
