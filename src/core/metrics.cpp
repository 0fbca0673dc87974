// Evaluation metrics (see kyper/metrics.hpp).
#include <kyper/metrics.hpp>

#include <kyper/error.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace kyper {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void require_shape(const char* metric, std::size_t rows, std::size_t cols) {
  KYPER_REQUIRE(rows > 0 && cols > 0,
                metric << ": empty input (" << rows << " rows x " << cols << " columns)");
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Sum over rows of f(prediction - target), per column.
template <class T, class F>
std::vector<double> column_sums(const T* prediction, const T* target, std::size_t rows,
                                std::size_t cols, F f) {
  std::vector<double> sums(cols, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      sums[c] += f(static_cast<double>(prediction[r * cols + c]) -
                   static_cast<double>(target[r * cols + c]));
    }
  }
  return sums;
}

// Labels are stored as floats (they come from CSV columns); a fractional one is a data error.
template <class T>
std::size_t label_at(const char* metric, const T* labels, std::size_t row, std::size_t classes) {
  const double y = static_cast<double>(labels[row]);
  KYPER_REQUIRE(std::isfinite(y) && y >= 0.0 && y < static_cast<double>(classes) &&
                    y == std::floor(y),
                metric << ": label " << y << " at row " << row << " (0-based) is not a class "
                       << "index in 0.." << classes - 1);
  return static_cast<std::size_t>(y);
}

}  // namespace

template <class T>
std::vector<double> mse_per_target(const T* prediction, const T* target, std::size_t rows,
                                   std::size_t cols) {
  require_shape("mse", rows, cols);
  auto sums = column_sums(prediction, target, rows, cols, [](double d) { return d * d; });
  for (double& s : sums) s /= static_cast<double>(rows);
  return sums;
}

template <class T>
std::vector<double> rmse_per_target(const T* prediction, const T* target, std::size_t rows,
                                    std::size_t cols) {
  auto v = mse_per_target(prediction, target, rows, cols);
  for (double& x : v) x = std::sqrt(x);
  return v;
}

template <class T>
std::vector<double> mae_per_target(const T* prediction, const T* target, std::size_t rows,
                                   std::size_t cols) {
  require_shape("mae", rows, cols);
  auto sums = column_sums(prediction, target, rows, cols, [](double d) { return std::fabs(d); });
  for (double& s : sums) s /= static_cast<double>(rows);
  return sums;
}

template <class T>
std::vector<double> r2_per_target(const T* prediction, const T* target, std::size_t rows,
                                  std::size_t cols) {
  require_shape("r2", rows, cols);
  std::vector<double> target_mean(cols, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) target_mean[c] += target[r * cols + c];
  }
  for (double& m : target_mean) m /= static_cast<double>(rows);
  std::vector<double> ss_res(cols, 0.0), ss_tot(cols, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      const double y = target[r * cols + c];
      const double e = static_cast<double>(prediction[r * cols + c]) - y;
      const double d = y - target_mean[c];
      ss_res[c] += e * e;
      ss_tot[c] += d * d;
    }
  }
  std::vector<double> out(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    if (std::isnan(ss_res[c])) {
      out[c] = kNaN;
    } else if (ss_tot[c] == 0.0) {
      out[c] = ss_res[c] == 0.0 ? 1.0 : 0.0;
    } else {
      out[c] = 1.0 - ss_res[c] / ss_tot[c];
    }
  }
  return out;
}

template <class T>
double mse(const T* prediction, const T* target, std::size_t rows, std::size_t cols) {
  return mean(mse_per_target(prediction, target, rows, cols));
}

template <class T>
double rmse(const T* prediction, const T* target, std::size_t rows, std::size_t cols) {
  return mean(rmse_per_target(prediction, target, rows, cols));
}

template <class T>
double mae(const T* prediction, const T* target, std::size_t rows, std::size_t cols) {
  return mean(mae_per_target(prediction, target, rows, cols));
}

template <class T>
double r2(const T* prediction, const T* target, std::size_t rows, std::size_t cols) {
  return mean(r2_per_target(prediction, target, rows, cols));
}

template <class T>
double accuracy(const T* probabilities, const T* labels, std::size_t rows, std::size_t classes) {
  require_shape("accuracy", rows, classes);
  const std::size_t width = classes;
  const std::size_t n_classes = classes == 1 ? 2 : classes;  // binary: one column, two classes
  bool saw_nan = false;
  std::size_t correct = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t label = label_at("accuracy", labels, r, n_classes);
    const T* p = probabilities + r * width;
    std::size_t predicted = 0;
    if (classes == 1) {
      saw_nan = saw_nan || std::isnan(p[0]);
      predicted = p[0] > T(0.5) ? 1 : 0;
    } else {
      for (std::size_t k = 0; k < classes; ++k) {
        saw_nan = saw_nan || std::isnan(p[k]);
        if (p[k] > p[predicted]) predicted = k;
      }
    }
    correct += predicted == label;
  }
  // A NaN comparison silently picks class 0; report the broken model instead of a score.
  if (saw_nan) return kNaN;
  return static_cast<double>(correct) / static_cast<double>(rows);
}

template <class T>
double roc_auc(const T* scores, const T* labels, std::size_t n) {
  require_shape("roc_auc", n, 1);
  std::size_t positives = 0;
  bool saw_nan = false;
  for (std::size_t i = 0; i < n; ++i) {
    positives += label_at("roc_auc", labels, i, 2);
    saw_nan = saw_nan || std::isnan(scores[i]);
  }
  const std::size_t negatives = n - positives;
  KYPER_REQUIRE(positives > 0 && negatives > 0,
                "roc_auc: only one class present (" << positives << " positive, " << negatives
                                                    << " negative labels); AUC is undefined");
  if (saw_nan) return kNaN;  // NaN breaks the sort's ordering; the model is broken anyway

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U: sum of the (1-based, tie-averaged) ranks of the positives.
  double positive_rank_sum = 0.0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);  // mean of i+1 .. j
    for (std::size_t k = i; k < j; ++k) {
      if (labels[order[k]] == T(1)) positive_rank_sum += average_rank;
    }
    i = j;
  }
  const double p = static_cast<double>(positives), q = static_cast<double>(negatives);
  return (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * q);
}

#define KYPER_INSTANTIATE_METRICS(T)                                                          \
  template double mse<T>(const T*, const T*, std::size_t, std::size_t);                     \
  template double rmse<T>(const T*, const T*, std::size_t, std::size_t);                    \
  template double mae<T>(const T*, const T*, std::size_t, std::size_t);                     \
  template double r2<T>(const T*, const T*, std::size_t, std::size_t);                      \
  template std::vector<double> mse_per_target<T>(const T*, const T*, std::size_t, std::size_t); \
  template std::vector<double> rmse_per_target<T>(const T*, const T*, std::size_t,          \
                                                  std::size_t);                             \
  template std::vector<double> mae_per_target<T>(const T*, const T*, std::size_t, std::size_t); \
  template std::vector<double> r2_per_target<T>(const T*, const T*, std::size_t, std::size_t); \
  template double accuracy<T>(const T*, const T*, std::size_t, std::size_t);                \
  template double roc_auc<T>(const T*, const T*, std::size_t);

KYPER_INSTANTIATE_METRICS(float)
KYPER_INSTANTIATE_METRICS(double)
#undef KYPER_INSTANTIATE_METRICS

}  // namespace kyper
