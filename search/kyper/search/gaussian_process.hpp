// Gaussian-process regression with an ARD Matérn 5/2 kernel whose length scales, signal and
// noise variances are fitted by maximising the log marginal likelihood (Rasmussen & Williams
// 2006, ch. 5). Targets are standardised internally; inputs are unit-cube coordinates.
// Columns may share a length scale (set_groups): CBO's mixed-variable kernel one-hot encodes a
// categorical parameter into columns of one group, so two points differ by one length scale
// when their categories differ and not at all when they agree (a Hamming distance inside the
// Matérn kernel), whatever the order of the choices.
#pragma once

#include <kyper/search/surrogate.hpp>

#include <Eigen/Cholesky>

#include <vector>

namespace kyper::search {

struct GPOptions {
  int fit_iterations = 40;     // Adam steps on the log hyperparameters per fit
  double learning_rate = 0.1;  // Adam step size in log space
  bool fit_hyperparameters = true;
  double min_length_scale = 0.01, max_length_scale = 20.0;
  double min_noise = 1e-6, max_noise = 0.5;  // as a fraction of the standardised variance
  double initial_length_scale = 0.3;
  // Hyperparameters are fitted on at most this many rows (a random subset drawn from the fit's
  // RNG), which bounds a refit at O(iterations * max_fit_rows^3); 0: all rows.
  int max_fit_rows = 0;
};

class GaussianProcess : public Surrogate {
 public:
  explicit GaussianProcess(GPOptions options = {}) : options_(options) {}

  // Fits hyperparameters (warm-started from the previous fit when the dimension matches)
  // unless fit_hyperparameters is false, then factorises the kernel matrix.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng) override;
  // Extra noise variance per row of the next fits, as a fraction of the signal variance (0: an
  // exact observation). Rows with extra noise neither standardise the targets nor take part in
  // the hyperparameter fit: CBO tells the lies for pending trials this way, so that a lie next to
  // an observation bends the mean smoothly instead of forcing a spike. Empty: none.
  void set_row_noise(Eigen::VectorXd noise) { row_noise_ = std::move(noise); }

  // Latent-function mean and standard deviation (no observation noise).
  void predict(const Eigen::MatrixXd& X, Eigen::VectorXd& mean, Eigen::VectorXd& std) const override;

  // Columns sharing a length scale: group[c] in [0, groups) for column c of X. Empty (the
  // default): one length scale per column. Resets the hyperparameters when it changes them.
  void set_groups(std::vector<int> group);
  const std::vector<int>& groups() const { return group_; }

  // Log hyperparameters: one log length scale per group (per column without groups), then log
  // signal variance, log noise variance.
  const Eigen::VectorXd& hyperparameters() const { return theta_; }
  void set_hyperparameters(const Eigen::VectorXd& theta) { theta_ = theta; }
  GPOptions& options() { return options_; }
  // Log marginal likelihood of the standardised targets at `theta` and its gradient.
  double log_marginal_likelihood(const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) const;

 private:
  Eigen::MatrixXd kernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                         const Eigen::VectorXd& theta) const;
  Eigen::VectorXd default_theta(Eigen::Index d) const;
  void clamp(Eigen::VectorXd& theta) const;
  // Number of length scales for `columns` columns, and each column's inverse length scale.
  Eigen::Index length_scales(Eigen::Index columns) const;
  Eigen::RowVectorXd inverse_length_scales(const Eigen::VectorXd& theta, Eigen::Index columns) const;
  double log_marginal_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                 const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) const;

  GPOptions options_;
  std::vector<int> group_;
  int group_count_ = 0;
  Eigen::VectorXd row_noise_;
  Eigen::VectorXd theta_;
  Eigen::MatrixXd X_;
  Eigen::VectorXd y_;  // standardised
  double y_mean_ = 0.0, y_scale_ = 1.0;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;
};

}  // namespace kyper::search
