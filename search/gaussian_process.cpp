#include <kyper/error.hpp>
#include <kyper/search/gaussian_process.hpp>

#include <cmath>

namespace kyper::search {

namespace {
const double kSqrt5 = std::sqrt(5.0);
constexpr double kJitter = 1e-8;

// Squared distances between the rows of A and B.
Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  Eigen::MatrixXd D = (-2.0 * A * B.transpose()).eval();
  D.colwise() += A.rowwise().squaredNorm();
  D.rowwise() += B.rowwise().squaredNorm().transpose();
  return D.cwiseMax(0.0);
}
}  // namespace

Eigen::VectorXd GaussianProcess::default_theta(Eigen::Index d) const {
  Eigen::VectorXd theta(d + 2);
  theta.head(d).setConstant(std::log(options_.initial_length_scale));
  theta[d] = 0.0;                  // signal variance 1 (targets are standardised)
  theta[d + 1] = std::log(1e-3);   // noise variance
  return theta;
}

void GaussianProcess::clamp(Eigen::VectorXd& theta) const {
  const Eigen::Index d = theta.size() - 2;
  theta.head(d) = theta.head(d)
                      .cwiseMax(std::log(options_.min_length_scale))
                      .cwiseMin(std::log(options_.max_length_scale));
  theta[d] = std::min(std::max(theta[d], std::log(0.05)), std::log(20.0));
  theta[d + 1] = std::min(std::max(theta[d + 1], std::log(options_.min_noise)), std::log(options_.max_noise));
}

Eigen::MatrixXd GaussianProcess::kernel(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B,
                                        const Eigen::VectorXd& theta) const {
  const Eigen::Index d = A.cols();
  const Eigen::RowVectorXd inv_ls = (-theta.head(d)).array().exp().matrix().transpose();
  const Eigen::MatrixXd r =
      squared_distances(A.array().rowwise() * inv_ls.array(), B.array().rowwise() * inv_ls.array())
          .array()
          .sqrt()
          .matrix();
  const double sf2 = std::exp(theta[d]);
  return (sf2 * (1.0 + kSqrt5 * r.array() + (5.0 / 3.0) * r.array().square()) *
          (-kSqrt5 * r.array()).exp())
      .matrix();
}

double GaussianProcess::log_marginal_likelihood(const Eigen::VectorXd& theta,
                                                Eigen::VectorXd* gradient) const {
  const Eigen::Index n = X_.rows(), d = X_.cols();
  const double sn2 = std::exp(theta[d + 1]);
  const double sf2 = std::exp(theta[d]);
  Eigen::MatrixXd K = kernel(X_, X_, theta);
  const Eigen::MatrixXd Kf = K;
  K.diagonal().array() += sn2 + kJitter;
  Eigen::LLT<Eigen::MatrixXd> llt(K);
  if (llt.info() != Eigen::Success) return -INFINITY;
  const Eigen::VectorXd alpha = llt.solve(y_);
  const double log_det = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  const double lml = -0.5 * y_.dot(alpha) - 0.5 * log_det - 0.5 * n * std::log(2.0 * M_PI);
  if (gradient) {
    // d lml / d theta = 1/2 tr(W dK/dtheta), W = alpha alpha^T - K^{-1}.
    Eigen::MatrixXd W = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    gradient->resize(d + 2);
    (*gradient)[d] = 0.5 * (W.array() * Kf.array()).sum();
    (*gradient)[d + 1] = 0.5 * sn2 * W.trace();
    // dk/dlog(l_k) = sf2 (5/3)(1 + sqrt5 r) exp(-sqrt5 r) (x_k - x'_k)^2 / l_k^2.
    const Eigen::RowVectorXd inv_ls = (-theta.head(d)).array().exp().matrix().transpose();
    const Eigen::MatrixXd Z = X_.array().rowwise() * inv_ls.array();
    const Eigen::ArrayXXd r = squared_distances(Z, Z).array().sqrt();
    const Eigen::MatrixXd A =
        (W.array() * (sf2 * (5.0 / 3.0)) * (1.0 + kSqrt5 * r) * (-kSqrt5 * r).exp()).matrix();
    // sum_ij A_ij (z_ik - z_jk)^2 = 2 sum_i z_ik^2 (A 1)_i - 2 z_k^T A z_k for symmetric A.
    const Eigen::VectorXd row_sums = A.rowwise().sum();
    const Eigen::MatrixXd AZ = A * Z;
    for (Eigen::Index k = 0; k < d; ++k)
      (*gradient)[k] = 0.5 * (2.0 * Z.col(k).array().square().matrix().dot(row_sums) -
                              2.0 * Z.col(k).dot(AZ.col(k)));
  }
  return lml;
}

void GaussianProcess::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64&) {
  KYPER_REQUIRE(X.rows() == y.size() && X.rows() > 0,
                "GP fit: " << X.rows() << " rows for " << y.size() << " targets");
  X_ = X;
  y_mean_ = y.mean();
  const double var = (y.array() - y_mean_).square().mean();
  y_scale_ = var > 1e-24 ? std::sqrt(var) : 1.0;
  y_ = (y.array() - y_mean_) / y_scale_;
  if (theta_.size() != X.cols() + 2) theta_ = default_theta(X.cols());

  if (options_.fit_hyperparameters && X.rows() >= 2) {
    // Adam on the log hyperparameters, keeping the best point seen (the surface is not convex).
    Eigen::VectorXd theta = theta_, m = Eigen::VectorXd::Zero(theta.size()),
                    v = Eigen::VectorXd::Zero(theta.size()), grad;
    Eigen::VectorXd best = theta;
    double best_lml = -INFINITY;
    const double b1 = 0.9, b2 = 0.999;
    for (int it = 1; it <= options_.fit_iterations; ++it) {
      const double lml = log_marginal_likelihood(theta, &grad);
      if (!std::isfinite(lml)) break;
      if (lml > best_lml) {
        best_lml = lml;
        best = theta;
      }
      m = b1 * m + (1 - b1) * grad;
      v = b2 * v + (1 - b2) * grad.cwiseProduct(grad);
      const Eigen::VectorXd mhat = m / (1 - std::pow(b1, it));
      const Eigen::VectorXd vhat = v / (1 - std::pow(b2, it));
      theta += options_.learning_rate * (mhat.array() / (vhat.array().sqrt() + 1e-8)).matrix();
      clamp(theta);
    }
    if (std::isfinite(log_marginal_likelihood(theta, nullptr)) &&
        log_marginal_likelihood(theta, nullptr) > best_lml)
      best = theta;
    theta_ = best;
  }

  const Eigen::Index d = X.cols();
  Eigen::MatrixXd K = kernel(X_, X_, theta_);
  K.diagonal().array() += std::exp(theta_[d + 1]) + kJitter;
  llt_.compute(K);
  for (double jitter = 1e-6; llt_.info() != Eigen::Success && jitter < 1.0; jitter *= 10) {
    K.diagonal().array() += jitter;
    llt_.compute(K);
  }
  KYPER_REQUIRE(llt_.info() == Eigen::Success, "GP fit: kernel matrix is not positive definite");
  alpha_ = llt_.solve(y_);
}

void GaussianProcess::predict(const Eigen::MatrixXd& X, Eigen::VectorXd& mean,
                              Eigen::VectorXd& std) const {
  KYPER_REQUIRE(alpha_.size() > 0, "GP predict before fit");
  const Eigen::Index d = X_.cols();
  const Eigen::MatrixXd Ks = kernel(X, X_, theta_);  // m x n
  mean = (Ks * alpha_).array() * y_scale_ + y_mean_;
  const Eigen::MatrixXd V = llt_.matrixL().solve(Ks.transpose());  // n x m
  const Eigen::ArrayXd var =
      (std::exp(theta_[d]) - V.colwise().squaredNorm().transpose().array()).cwiseMax(1e-12);
  std = var.sqrt() * y_scale_;
}

}  // namespace kyper::search
