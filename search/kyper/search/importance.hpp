// Which hyperparameters matter: permutation importance of the search's own forest surrogate,
// fitted on a search's results. Each fold of a k-fold split fits an extra-trees forest on the
// other folds; a parameter's importance is how much the held-out mean squared error grows when
// that parameter's column is shuffled among the held-out rows (Breiman 2001), averaged over folds
// and shuffles and divided by the total. The cross-validated R² of the forest says how far to
// trust the ranking: near zero, the forest explains nothing and neither does the ranking.
#pragma once

#include <kyper/search/search.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace kyper::search {

struct ImportanceOptions {
  int folds = 5;
  int shuffles = 3;
  int trees = 64;
  std::size_t max_rows = 1000;  // larger results are subsampled (seeded) to bound the cost
  std::uint64_t seed = 0;
};

struct ParameterImportance {
  std::string name;
  double share = 0;     // of the total increase; the shares sum to 1 (all 0 when nothing matters)
  double increase = 0;  // held-out MSE increase, in units of the objective's variance
};

struct Importance {
  std::vector<ParameterImportance> parameters;  // most important first
  std::size_t rows = 0;                          // successful trials used
  double cv_r2 = 0;                              // cross-validated R² of the forest
  std::string method;                            // one sentence: what was computed, how
};

// Needs at least 2 x folds successful trials with finite objectives; otherwise throws kyper::Error
// saying how many there are.
Importance permutation_importance(const Space& space, const std::vector<Observation>& observations,
                                  const ImportanceOptions& options = {});

}  // namespace kyper::search
