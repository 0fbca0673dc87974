#include <kyper/search/importance.hpp>

#include <kyper/error.hpp>
#include <kyper/search/random_forest.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

namespace kyper::search {

namespace {

double mean_squared_error(const Eigen::VectorXd& predicted, const Eigen::VectorXd& actual) {
  return (predicted - actual).squaredNorm() / double(std::max<Eigen::Index>(1, actual.size()));
}

}  // namespace

Importance permutation_importance(const Space& space, const std::vector<Observation>& observations,
                                  const ImportanceOptions& options) {
  KYPER_REQUIRE(options.folds >= 2 && options.shuffles >= 1 && options.trees >= 1,
                "importance: folds >= 2, shuffles >= 1 and trees >= 1 are needed");
  std::vector<const Observation*> usable;
  for (const auto& o : observations)
    if (o.objective && std::isfinite(*o.objective)) usable.push_back(&o);
  KYPER_REQUIRE(usable.size() >= std::size_t(2 * options.folds),
                "importance needs at least " << 2 * options.folds << " successful trials with finite objectives, got "
                                             << usable.size());
  std::mt19937_64 rng(options.seed);
  if (usable.size() > options.max_rows) {
    std::shuffle(usable.begin(), usable.end(), rng);
    usable.resize(options.max_rows);
  }
  const auto n = Eigen::Index(usable.size()), d = Eigen::Index(space.size());
  Eigen::MatrixXd X(n, d);
  Eigen::VectorXd y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    X.row(i) = space.encode(usable[std::size_t(i)]->config).transpose();
    y[i] = *usable[std::size_t(i)]->objective;
  }
  // Standardised objective: the increases are in units of its variance, whatever its scale.
  const double mean = y.mean();
  const double sd = std::sqrt((y.array() - mean).square().sum() / double(n));
  y = sd > 0 ? Eigen::VectorXd((y.array() - mean) / sd) : Eigen::VectorXd(y.array() - mean);

  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index(0));
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<double> increase(std::size_t(d), 0.0);
  double held_out_error = 0;
  ForestOptions forest_options;
  forest_options.trees = options.trees;
  for (int fold = 0; fold < options.folds; ++fold) {
    std::vector<Eigen::Index> train, test;
    for (std::size_t k = 0; k < order.size(); ++k)
      (int(k % std::size_t(options.folds)) == fold ? test : train).push_back(order[k]);
    Eigen::MatrixXd X_train(Eigen::Index(train.size()), d), X_test(Eigen::Index(test.size()), d);
    Eigen::VectorXd y_train(Eigen::Index(train.size())), y_test(Eigen::Index(test.size()));
    for (std::size_t k = 0; k < train.size(); ++k)
      X_train.row(Eigen::Index(k)) = X.row(train[k]), y_train[Eigen::Index(k)] = y[train[k]];
    for (std::size_t k = 0; k < test.size(); ++k)
      X_test.row(Eigen::Index(k)) = X.row(test[k]), y_test[Eigen::Index(k)] = y[test[k]];
    RandomForest forest(forest_options);
    forest.fit(X_train, y_train, rng);
    Eigen::VectorXd predicted, spread;
    forest.predict(X_test, predicted, spread);
    const double base = mean_squared_error(predicted, y_test);
    held_out_error += base * double(test.size());
    for (Eigen::Index j = 0; j < d; ++j) {
      for (int s = 0; s < options.shuffles; ++s) {
        Eigen::MatrixXd shuffled = X_test;
        std::vector<Eigen::Index> perm(test.size());
        std::iota(perm.begin(), perm.end(), Eigen::Index(0));
        std::shuffle(perm.begin(), perm.end(), rng);
        for (std::size_t k = 0; k < perm.size(); ++k) shuffled(Eigen::Index(k), j) = X_test(perm[k], j);
        forest.predict(shuffled, predicted, spread);
        increase[std::size_t(j)] += (mean_squared_error(predicted, y_test) - base) * double(test.size());
      }
    }
  }
  Importance out;
  out.rows = usable.size();
  // y has unit variance (or is constant): R² = 1 - MSE.
  out.cv_r2 = sd > 0 ? 1.0 - held_out_error / double(n) : 0.0;
  double total = 0;
  for (Eigen::Index j = 0; j < d; ++j) {
    ParameterImportance p;
    p.name = space.parameter(std::size_t(j)).name;
    p.increase = std::max(0.0, increase[std::size_t(j)] / (double(n) * options.shuffles));
    total += p.increase;
    out.parameters.push_back(p);
  }
  for (auto& p : out.parameters) p.share = total > 0 ? p.increase / total : 0.0;
  std::stable_sort(out.parameters.begin(), out.parameters.end(),
                   [](const ParameterImportance& a, const ParameterImportance& b) { return a.share > b.share; });
  std::ostringstream method;
  method << "permutation importance: the growth of the held-out mean squared error when a parameter's values are "
            "shuffled, "
         << options.folds << "-fold cross-validated extra-trees forest of " << options.trees << " trees (the CBO surrogate), "
         << options.shuffles << " shuffles per fold, on " << out.rows << " successful trials";
  if (observations.size() > out.rows && out.rows == options.max_rows) method << " (a seeded sample)";
  out.method = method.str();
  return out;
}

}  // namespace kyper::search
