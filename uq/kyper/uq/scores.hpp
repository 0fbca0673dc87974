// How good an ensemble's predictive distribution is on data with known targets: proper scores
// (NLL, CRPS), accuracy (RMSE) and calibration (interval coverage and width; ECE for classes).
#pragma once

#include <kyper/uq/member_predictions.hpp>

namespace kyper::uq {

struct RegressionScores {
  long points = 0;  // rows x targets
  double nll = 0;   // mean over rows of -log p(y | x) under the mixture, targets jointly
  // The same for the Gaussian with the mixture's mean and total variance (what the CSV a user
  // reads holds); equal to nll for a single model.
  double gaussian_nll = 0;
  double rmse = 0;  // of the mixture mean
  double crps = 0;  // mean over points
  double coverage68 = 0, coverage95 = 0;  // fraction of targets inside the central interval
  double width68 = 0, width95 = 0;        // mean interval width
};
RegressionScores score_regression(const MemberPredictions& predictions, const float* targets);

struct ClassificationScores {
  long points = 0;
  double nll = 0;       // mean -log p(label)
  double accuracy = 0;  // arg-max of the mixture
  double brier = 0;     // mean Σ_c (p_c - [c = label])²
  double ece = 0;       // expected calibration error, equal-width confidence bins
};
ClassificationScores score_classification(const MemberPredictions& predictions, const float* labels, int bins = 15);

// Σ_bins (n_b / n) |accuracy_b - confidence_b| over equal-width bins of the top-class probability.
// probabilities: rows x classes; labels: one class index per row.
double expected_calibration_error(const double* probabilities, const float* labels, long rows, int classes,
                                  int bins = 15);

}  // namespace kyper::uq
