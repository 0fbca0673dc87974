// What CBO needs from a model of the objective: fit on unit-cube coordinates (one row per
// observation) and predict a mean and an uncertainty for many candidates at once.
#pragma once

#include <Eigen/Core>

#include <random>

namespace kyper::search {

class Surrogate {
 public:
  virtual ~Surrogate() = default;
  // X: n x d (rows are points), y: n. Randomised models draw from `rng` only.
  virtual void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng) = 0;
  // mean and std (>= 0) for each row of X.
  virtual void predict(const Eigen::MatrixXd& X, Eigen::VectorXd& mean,
                       Eigen::VectorXd& std) const = 0;
};

}  // namespace kyper::search
