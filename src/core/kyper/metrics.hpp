// Host-side evaluation metrics on row-major float or double arrays: regression errors and R²
// (per target column, then averaged uniformly, as scikit-learn's multioutput="uniform_average"),
// classification accuracy and binary ROC AUC. Sums are accumulated in double; each function is
// instantiated for T = float and T = double.
#pragma once

#include <cstddef>
#include <vector>

namespace kyper {

// prediction and target are rows x cols, row-major. Throw kyper::Error when rows or cols is 0.
// A NaN prediction (a diverged model) gives a NaN result rather than an exception.
template <class T>
double mse(const T* prediction, const T* target, std::size_t rows, std::size_t cols);
template <class T>
double rmse(const T* prediction, const T* target, std::size_t rows, std::size_t cols);
template <class T>
double mae(const T* prediction, const T* target, std::size_t rows, std::size_t cols);
// 1 - SS_res / SS_tot per column. A constant target column scores 1 if predicted exactly and
// 0 otherwise (scikit-learn's convention), so one such column cannot make the mean infinite.
template <class T>
double r2(const T* prediction, const T* target, std::size_t rows, std::size_t cols);

// The same metrics, one value per target column.
template <class T>
std::vector<double> mse_per_target(const T* prediction, const T* target, std::size_t rows,
                                   std::size_t cols);
template <class T>
std::vector<double> rmse_per_target(const T* prediction, const T* target, std::size_t rows,
                                    std::size_t cols);
template <class T>
std::vector<double> mae_per_target(const T* prediction, const T* target, std::size_t rows,
                                   std::size_t cols);
template <class T>
std::vector<double> r2_per_target(const T* prediction, const T* target, std::size_t rows,
                                  std::size_t cols);

// Fraction of rows classified correctly.
// classes >= 2: `probabilities` is rows x classes; the prediction is the arg-max (first on ties)
//   and `labels` holds one class index per row (0 .. classes-1, stored as a whole number).
// classes == 1: binary; `probabilities` holds P(class 1) per row, predicted 1 when p > 0.5
//   (as Keras and scikit-learn), and `labels` holds 0 or 1.
// Throws kyper::Error naming the row of a bad label; NaN if any probability is NaN.
template <class T>
double accuracy(const T* probabilities, const T* labels, std::size_t rows, std::size_t classes);

// Binary ROC AUC (probability a random positive scores above a random negative) via the rank
// sum, with tied scores given their average rank. labels are 0 or 1. Throws kyper::Error if a
// label is not 0/1 (naming the row) or only one class is present; NaN if any score is NaN.
template <class T>
double roc_auc(const T* scores, const T* labels, std::size_t n);

}  // namespace kyper
