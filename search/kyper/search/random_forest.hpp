// Random forest and extra-trees regressors (Breiman 2001; Geurts et al. 2006), the surrogates
// DeepHyper's CBO uses. The spread of the per-tree predictions is the uncertainty.
#pragma once

#include <kyper/search/surrogate.hpp>

#include <cstdint>
#include <vector>

namespace kyper::search {

struct ForestOptions {
  int trees = 32;
  // Extra-trees draw one random threshold per feature; a random forest searches the best one.
  bool extra_trees = true;
  // Features tried per split: 0 means all for extra-trees and max(1, d/3) for a random forest.
  int max_features = 0;
  int min_samples_split = 2;
  int min_samples_leaf = 1;
  int max_depth = 0;  // 0: unlimited
  // Bootstrap resampling (default for a random forest, not for extra-trees).
  int bootstrap = -1;  // -1: per kind, 0: no, 1: yes
  // Each tree sees at most this many points (drawn without replacement), which bounds the
  // cost of a refit once thousands of observations are in. 0: all.
  int max_samples = 0;
  int threads = 1;  // trees are built in parallel; the result does not depend on this
};

class RandomForest : public Surrogate {
 public:
  explicit RandomForest(ForestOptions options = {}) : options_(options) {}

  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng) override;
  void predict(const Eigen::MatrixXd& X, Eigen::VectorXd& mean, Eigen::VectorXd& std) const override;
  // Per-tree predictions (trees x rows), for tests and diagnostics.
  Eigen::MatrixXd predict_trees(const Eigen::MatrixXd& X) const;

  const ForestOptions& options() const { return options_; }
  std::size_t tree_count() const { return trees_.size(); }

 private:
  struct Node {
    std::int32_t feature = -1;  // -1: leaf
    std::int32_t left = -1, right = -1;
    double threshold = 0.0;  // x[feature] <= threshold goes left
    double value = 0.0;      // leaf mean
  };
  using Tree = std::vector<Node>;

  Tree build_tree(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::uint64_t seed) const;
  static double predict_tree(const Tree& tree, const Eigen::MatrixXd& X, Eigen::Index row);

  ForestOptions options_;
  std::vector<Tree> trees_;
};

}  // namespace kyper::search
