#include <kyper/error.hpp>
#include <kyper/search/random_forest.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <utility>
#include <vector>
#include <thread>

namespace kyper::search {

namespace {
struct Split {
  int feature = -1;
  double threshold = 0.0;
  double score = -INFINITY;
};

// The rows one tree learns from: a bootstrap sample, a subsample without replacement, or all.
std::vector<int> sample_rows(int n, int m, bool bootstrap, std::mt19937_64& rng) {
  std::vector<int> idx(static_cast<std::size_t>(m));
  if (bootstrap) {
    std::uniform_int_distribution<int> pick(0, n - 1);
    for (auto& i : idx) i = pick(rng);
  } else if (m < n) {
    std::vector<int> all(static_cast<std::size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    for (int k = 0; k < m; ++k) {  // partial Fisher-Yates
      const int j = std::uniform_int_distribution<int>(k, n - 1)(rng);
      std::swap(all[static_cast<std::size_t>(k)], all[static_cast<std::size_t>(j)]);
    }
    std::copy(all.begin(), all.begin() + m, idx.begin());
  } else {
    std::iota(idx.begin(), idx.end(), 0);
  }
  return idx;
}

// The rows of one node (idx[begin, end)), their targets gathered in `ys`, and scratch space.
struct NodeRows {
  const Eigen::MatrixXd& X;
  const Eigen::VectorXd& y;
  const std::vector<int>& idx;
  int begin, end;
  double sum;                                   // of the node's targets
  std::vector<double>& ys;                      // the node's targets, contiguous
  std::vector<double>& xs;                      // scratch: one feature's column
  std::vector<std::pair<double, double>>& sorted;  // scratch: (x, y) sorted by x
  int count() const { return end - begin; }
  int row(int k) const { return idx[static_cast<std::size_t>(k)]; }
};

// Maximising sum_L^2/n_L + sum_R^2/n_R minimises the children's squared error.
double split_score(double left_sum, int left_n, double total, int right_n) {
  const double right_sum = total - left_sum;
  return left_sum * left_sum / left_n + right_sum * right_sum / right_n;
}

// Extra-trees: one random threshold on feature f. False when f is constant in the node (it then
// does not count as tried); `best` improves when the split is valid and better.
bool try_random_split(const NodeRows& node, int f, int min_leaf, std::mt19937_64& rng, Split& best) {
  // Gather the node's column once; the split pass then runs branch-free over contiguous memory
  // (a random threshold mispredicts half of all branches).
  double lo = INFINITY, hi = -INFINITY;
  for (int k = node.begin; k < node.end; ++k) {
    const double x = node.X(node.row(k), f);
    node.xs[static_cast<std::size_t>(k - node.begin)] = x;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  if (!(hi > lo)) return false;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double threshold = lo + unit(rng) * (hi - lo);
  if (threshold >= hi) threshold = lo;
  double left_sum = 0.0;
  int left_n = 0;
  const int count = node.count();
  for (int k = 0; k < count; ++k) {
    const bool left = node.xs[static_cast<std::size_t>(k)] <= threshold;
    left_sum += left ? node.ys[static_cast<std::size_t>(k)] : 0.0;
    left_n += left;
  }
  const int right_n = count - left_n;
  if (left_n < min_leaf || right_n < min_leaf) return true;
  const double score = split_score(left_sum, left_n, node.sum, right_n);
  if (score > best.score) best = {f, threshold, score};
  return true;
}

// Random forest: the best threshold on feature f over all midpoints. False when f is constant.
bool try_exhaustive_split(const NodeRows& node, int f, int min_leaf, Split& best) {
  auto& sorted = node.sorted;
  sorted.clear();
  for (int k = node.begin; k < node.end; ++k) sorted.emplace_back(node.X(node.row(k), f), node.y[node.row(k)]);
  std::sort(sorted.begin(), sorted.end());
  if (!(sorted.back().first > sorted.front().first)) return false;
  const int count = node.count();
  double left_sum = 0.0;
  for (int k = 0; k + 1 < count; ++k) {
    left_sum += sorted[static_cast<std::size_t>(k)].second;
    const int left_n = k + 1, right_n = count - left_n;
    const double a = sorted[static_cast<std::size_t>(k)].first, b = sorted[static_cast<std::size_t>(k + 1)].first;
    if (a == b || left_n < min_leaf || right_n < min_leaf) continue;
    const double score = split_score(left_sum, left_n, node.sum, right_n);
    if (score > best.score) {
      double threshold = 0.5 * (a + b);
      if (threshold >= b) threshold = a;
      best = {f, threshold, score};
    }
  }
  return true;
}
}  // namespace

RandomForest::Tree RandomForest::build_tree(const Eigen::MatrixXd& X, const Eigen::VectorXd& y,
                                            std::uint64_t seed) const {
  std::mt19937_64 rng(seed);
  const auto n = static_cast<int>(X.rows());
  const auto d = static_cast<int>(X.cols());
  const bool bootstrap = options_.bootstrap < 0 ? !options_.extra_trees : options_.bootstrap == 1;
  const int max_features = options_.max_features > 0 ? std::min(options_.max_features, d)
                           : options_.extra_trees  ? d
                                                   : std::max(1, d / 3);
  const int min_leaf = std::max(1, options_.min_samples_leaf);
  const int min_split = std::max(2, std::max(options_.min_samples_split, 2 * min_leaf));
  const int m = options_.max_samples > 0 ? std::min(options_.max_samples, n) : n;
  std::vector<int> idx = sample_rows(n, m, bootstrap, rng);

  Tree tree;
  tree.reserve(static_cast<std::size_t>(2 * m));
  struct Task {
    int node, begin, end, depth;
  };
  std::vector<Task> stack;
  tree.emplace_back();
  stack.push_back({0, 0, m, 0});
  std::vector<int> features(static_cast<std::size_t>(d));
  std::iota(features.begin(), features.end(), 0);
  std::vector<std::pair<double, double>> sorted;
  std::vector<double> xs(static_cast<std::size_t>(m)), ys(static_cast<std::size_t>(m));

  while (!stack.empty()) {
    const Task t = stack.back();
    stack.pop_back();
    const int count = t.end - t.begin;
    double sum = 0.0, sum2 = 0.0;
    for (int k = t.begin; k < t.end; ++k) {
      const double v = y[idx[static_cast<std::size_t>(k)]];
      ys[static_cast<std::size_t>(k - t.begin)] = v;
      sum += v;
      sum2 += v * v;
    }
    const double mean = sum / count;
    tree[static_cast<std::size_t>(t.node)].value = mean;
    const bool pure = sum2 / count - mean * mean <= 1e-14 * (1.0 + mean * mean);
    if (count < min_split || pure || (options_.max_depth > 0 && t.depth >= options_.max_depth))
      continue;

    // Try features in random order; like scikit-learn, constant ones do not use up the budget.
    const NodeRows node{X, y, idx, t.begin, t.end, sum, ys, xs, sorted};
    Split best;
    int tried = 0;
    for (int fi = 0; fi < d && tried < max_features; ++fi) {
      if (max_features < d) {  // with every feature tried, the order does not matter
        const int j = std::uniform_int_distribution<int>(fi, d - 1)(rng);
        std::swap(features[static_cast<std::size_t>(fi)], features[static_cast<std::size_t>(j)]);
      }
      const int f = features[static_cast<std::size_t>(fi)];
      const bool varied = options_.extra_trees ? try_random_split(node, f, min_leaf, rng, best)
                                               : try_exhaustive_split(node, f, min_leaf, best);
      tried += varied;
    }
    if (best.feature < 0) continue;

    const auto mid = std::partition(idx.begin() + t.begin, idx.begin() + t.end, [&](int r) {
                       return X(r, best.feature) <= best.threshold;
                     }) - idx.begin();
    const auto left = static_cast<int>(tree.size());
    tree.emplace_back();
    tree.emplace_back();
    Node& parent = tree[static_cast<std::size_t>(t.node)];
    parent.feature = best.feature;
    parent.threshold = best.threshold;
    parent.left = left;
    parent.right = left + 1;
    stack.push_back({left, t.begin, static_cast<int>(mid), t.depth + 1});
    stack.push_back({left + 1, static_cast<int>(mid), t.end, t.depth + 1});
  }
  return tree;
}

void RandomForest::fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, std::mt19937_64& rng) {
  KYPER_REQUIRE(X.rows() == y.size() && X.rows() > 0,
                "forest fit: " << X.rows() << " rows for " << y.size() << " targets");
  KYPER_REQUIRE(options_.trees > 0, "forest needs at least one tree, got " << options_.trees);
  // Seeds are drawn up front so the forest does not depend on the thread count.
  std::vector<std::uint64_t> seeds(static_cast<std::size_t>(options_.trees));
  for (auto& s : seeds) s = rng();
  trees_.assign(seeds.size(), {});
  const int threads = std::max(1, std::min(options_.threads, options_.trees));
  if (threads == 1) {
    for (std::size_t t = 0; t < seeds.size(); ++t) trees_[t] = build_tree(X, y, seeds[t]);
    return;
  }
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      for (std::size_t t = static_cast<std::size_t>(w); t < seeds.size(); t += static_cast<std::size_t>(threads))
        trees_[t] = build_tree(X, y, seeds[t]);
    });
  for (auto& th : pool) th.join();
}

double RandomForest::predict_tree(const Tree& tree, const Eigen::MatrixXd& X, Eigen::Index row) {
  std::size_t node = 0;
  while (tree[node].feature >= 0)
    node = static_cast<std::size_t>(X(row, tree[node].feature) <= tree[node].threshold
                                        ? tree[node].left
                                        : tree[node].right);
  return tree[node].value;
}

Eigen::MatrixXd RandomForest::predict_trees(const Eigen::MatrixXd& X) const {
  KYPER_REQUIRE(!trees_.empty(), "forest predict before fit");
  Eigen::MatrixXd out(static_cast<Eigen::Index>(trees_.size()), X.rows());
  for (std::size_t t = 0; t < trees_.size(); ++t)
    for (Eigen::Index i = 0; i < X.rows(); ++i)
      out(static_cast<Eigen::Index>(t), i) = predict_tree(trees_[t], X, i);
  return out;
}

void RandomForest::predict(const Eigen::MatrixXd& X, Eigen::VectorXd& mean,
                           Eigen::VectorXd& std) const {
  const Eigen::MatrixXd per_tree = predict_trees(X);
  mean = per_tree.colwise().mean().transpose();
  std = ((per_tree.rowwise() - mean.transpose()).array().square().colwise().mean())
            .sqrt()
            .transpose();
}

}  // namespace kyper::search
