// Gaussian-process regression with an ARD Matérn 5/2 kernel whose length scales, signal and
// noise variances are fitted by maximising the log marginal likelihood (Rasmussen & Williams
// 2006, ch. 5). Targets are standardised internally; inputs are unit-cube coordinates.
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
};

class GaussianProcess : public Surrogate {
 public:
  explicit GaussianProcess(GPOptions options = {}) : options_(options) {}

  // Fits hyperparameters (warm-started from the previous fit when the dimension matches)
  // unless fit_hyperparameters is false, then factorises the kernel matrix.
  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng) override;
  // Latent-function mean and standard deviation (no observation noise).
  void predict(const Eigen::MatrixXd& X, Eigen::VectorXd& mean, Eigen::VectorXd& std) const override;

  // Log hyperparameters: d log length scales, then log signal variance, log noise variance.
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

  GPOptions options_;
  Eigen::VectorXd theta_;
  Eigen::MatrixXd X_;
  Eigen::VectorXd y_;  // standardised
  double y_mean_ = 0.0, y_scale_ = 1.0;
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::VectorXd alpha_;
};

}  // namespace kyper::search
