#include <kyper/error.hpp>
#include <kyper/search/gaussian_process.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace kyper::search {

namespace {
const double kSqrt5 = std::sqrt(5.0);
constexpr double kJitter = 1e-8;

// Squared distances between the rows of A and B.
Eigen::MatrixXd squared_distances(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B) {
  Eigen::MatrixXd D(A.rows(), B.rows());
  D.noalias() = -2.0 * A * B.transpose();
  D.colwise() += A.rowwise().squaredNorm();
  D.rowwise() += B.rowwise().squaredNorm().transpose();
  return D.cwiseMax(0.0);
}
}  // namespace

void GaussianProcess::set_groups(std::vector<int> group) {
  if (group == group_) return;
  int count = 0;
  for (int g : group) {
    KYPER_REQUIRE(g >= 0, "GP: negative length-scale group " << g);
    count = std::max(count, g + 1);
  }
  group_ = std::move(group);
  group_count_ = count;
  theta_.resize(0);  // the old length scales belong to other columns
}

Eigen::Index GaussianProcess::length_scales(Eigen::Index columns) const {
  if (group_.empty()) return columns;
  KYPER_REQUIRE(static_cast<Eigen::Index>(group_.size()) == columns,
                "GP: " << group_.size() << " length-scale groups for " << columns << " columns");
  return group_count_;
}

Eigen::RowVectorXd GaussianProcess::inverse_length_scales(const Eigen::VectorXd& theta, Eigen::Index columns) const {
  Eigen::RowVectorXd inv(columns);
  for (Eigen::Index c = 0; c < columns; ++c)
    inv[c] = std::exp(-theta[group_.empty() ? c : group_[static_cast<std::size_t>(c)]]);
  return inv;
}

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
  const Eigen::Index d = length_scales(A.cols());
  const Eigen::RowVectorXd inv_ls = inverse_length_scales(theta, A.cols());
  // One pass over the squared distances, in place: large candidate sets make every temporary
  // a fresh multi-megabyte allocation.
  Eigen::MatrixXd K =
      squared_distances(A.array().rowwise() * inv_ls.array(), B.array().rowwise() * inv_ls.array());
  const double sf2 = std::exp(theta[d]);
  double* k = K.data();
  for (Eigen::Index i = 0, size = K.size(); i < size; ++i) {
    const double r = std::sqrt(k[i]);
    k[i] = sf2 * (1.0 + kSqrt5 * r + (5.0 / 3.0) * k[i]) * std::exp(-kSqrt5 * r);
  }
  return K;
}

double GaussianProcess::log_marginal_likelihood(const Eigen::VectorXd& theta,
                                                Eigen::VectorXd* gradient) const {
  return log_marginal_likelihood(X_, y_, theta, gradient);
}

double GaussianProcess::log_marginal_likelihood(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                                const Eigen::VectorXd& theta,
                                                Eigen::VectorXd* gradient) const {
  const Eigen::Index n = X.rows(), cols = X.cols(), d = length_scales(cols);
  const double sn2 = std::exp(theta[d + 1]);
  const double sf2 = std::exp(theta[d]);
  Eigen::MatrixXd K = kernel(X, X, theta);
  const Eigen::MatrixXd Kf = K;
  K.diagonal().array() += sn2 + kJitter;
  Eigen::LLT<Eigen::MatrixXd> llt(K);
  if (llt.info() != Eigen::Success) return -INFINITY;
  const Eigen::VectorXd alpha = llt.solve(y);
  const double log_det = 2.0 * llt.matrixLLT().diagonal().array().log().sum();
  const double lml = -0.5 * y.dot(alpha) - 0.5 * log_det - 0.5 * n * std::log(2.0 * M_PI);
  if (gradient) {
    // d lml / d theta = 1/2 tr(W dK/dtheta), W = alpha alpha^T - K^{-1}.
    Eigen::MatrixXd W = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    gradient->setZero(d + 2);
    (*gradient)[d] = 0.5 * (W.array() * Kf.array()).sum();
    (*gradient)[d + 1] = 0.5 * sn2 * W.trace();
    // dk/dlog(l_k) = sf2 (5/3)(1 + sqrt5 r) exp(-sqrt5 r) (x_k - x'_k)^2 / l_k^2, summed over
    // the columns of a group.
    const Eigen::RowVectorXd inv_ls = inverse_length_scales(theta, cols);
    const Eigen::MatrixXd Z = X.array().rowwise() * inv_ls.array();
    const Eigen::ArrayXXd r = squared_distances(Z, Z).array().sqrt();
    const Eigen::MatrixXd A =
        (W.array() * (sf2 * (5.0 / 3.0)) * (1.0 + kSqrt5 * r) * (-kSqrt5 * r).exp()).matrix();
    // sum_ij A_ij (z_ik - z_jk)^2 = 2 sum_i z_ik^2 (A 1)_i - 2 z_k^T A z_k for symmetric A.
    const Eigen::VectorXd row_sums = A.rowwise().sum();
    const Eigen::MatrixXd AZ = A * Z;
    for (Eigen::Index k = 0; k < cols; ++k)
      (*gradient)[group_.empty() ? k : group_[static_cast<std::size_t>(k)]] +=
          0.5 * (2.0 * Z.col(k).array().square().matrix().dot(row_sums) - 2.0 * Z.col(k).dot(AZ.col(k)));
  }
  return lml;
}

void GaussianProcess::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng) {
  KYPER_REQUIRE(X.rows() == y.size() && X.rows() > 0,
                "GP fit: " << X.rows() << " rows for " << y.size() << " targets");
  KYPER_REQUIRE(X.allFinite() && y.allFinite(), "GP fit: inputs and targets must be finite");
  KYPER_REQUIRE(row_noise_.size() == 0 || row_noise_.size() == X.rows(),
                "GP fit: " << row_noise_.size() << " row noise values for " << X.rows() << " rows");
  const Eigen::Index d = length_scales(X.cols());
  X_ = X;
  // The rows without extra noise (all of them unless set_row_noise says otherwise) standardise
  // the targets and carry the hyperparameter fit: lies told for pending points are not data.
  std::vector<Eigen::Index> exact;
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    if (row_noise_.size() == 0 || row_noise_[i] == 0) exact.push_back(i);
  if (exact.empty())
    for (Eigen::Index i = 0; i < X.rows(); ++i) exact.push_back(i);
  double sum = 0, sum2 = 0;
  for (Eigen::Index i : exact) sum += y[i];
  y_mean_ = sum / static_cast<double>(exact.size());
  for (Eigen::Index i : exact) sum2 += (y[i] - y_mean_) * (y[i] - y_mean_);
  const double var = sum2 / static_cast<double>(exact.size());
  y_scale_ = var > 1e-24 && std::isfinite(var) ? std::sqrt(var) : 1.0;
  y_ = (y.array() - y_mean_) / y_scale_;
  if (theta_.size() != d + 2) theta_ = default_theta(d);

  if (options_.fit_hyperparameters && exact.size() >= 2) {
    // On a random subset of the rows when there are many: the hyperparameters of a few hundred
    // points are those of a few thousand, at a fraction of the O(n^3) cost.
    if (options_.max_fit_rows > 0 && static_cast<int>(exact.size()) > options_.max_fit_rows) {
      for (int k = 0; k < options_.max_fit_rows; ++k)  // partial Fisher-Yates
        std::swap(exact[static_cast<std::size_t>(k)],
                  exact[std::uniform_int_distribution<std::size_t>(static_cast<std::size_t>(k), exact.size() - 1)(rng)]);
      exact.resize(static_cast<std::size_t>(options_.max_fit_rows));
      std::sort(exact.begin(), exact.end());
    }
    const bool all = static_cast<Eigen::Index>(exact.size()) == X.rows();
    Eigen::MatrixXd Xs;
    Eigen::VectorXd ys;
    if (!all) {
      Xs.resize(static_cast<Eigen::Index>(exact.size()), X.cols());
      ys.resize(Xs.rows());
      for (Eigen::Index k = 0; k < Xs.rows(); ++k) {
        Xs.row(k) = X_.row(exact[static_cast<std::size_t>(k)]);
        ys[k] = y_[exact[static_cast<std::size_t>(k)]];
      }
    }
    const Eigen::MatrixXd& Xf = all ? X_ : Xs;
    const Eigen::VectorXd& yf = all ? y_ : ys;
    // Adam on the log hyperparameters, keeping the best point seen (the surface is not convex).
    Eigen::VectorXd theta = theta_, m = Eigen::VectorXd::Zero(theta.size()),
                    v = Eigen::VectorXd::Zero(theta.size()), grad;
    Eigen::VectorXd best = theta;
    double best_lml = -INFINITY;
    const double b1 = 0.9, b2 = 0.999;
    for (int it = 1; it <= options_.fit_iterations; ++it) {
      const double lml = log_marginal_likelihood(Xf, yf, theta, &grad);
      if (!std::isfinite(lml) || !grad.allFinite()) break;
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
    const double last = log_marginal_likelihood(Xf, yf, theta, nullptr);
    if (std::isfinite(last) && last > best_lml) best = theta;
    theta_ = best;
  }

  Eigen::MatrixXd K = kernel(X_, X_, theta_);
  K.diagonal().array() += std::exp(theta_[d + 1]) + kJitter;
  if (row_noise_.size() > 0) K.diagonal() += row_noise_ * std::exp(theta_[d]);
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
  const Eigen::Index d = length_scales(X_.cols());
  Eigen::MatrixXd V = kernel(X_, X, theta_);  // n x m: k(x_i, candidate_j)
  mean = (V.transpose() * alpha_).array() * y_scale_ + y_mean_;
  llt_.matrixL().solveInPlace(V);
  const Eigen::ArrayXd var =
      (std::exp(theta_[d]) - V.colwise().squaredNorm().transpose().array()).cwiseMax(1e-12);
  std = var.sqrt() * y_scale_;
}

}  // namespace kyper::search
