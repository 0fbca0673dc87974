// What each member of an ensemble predicted for the same rows, in the targets' own units, and the
// ensemble's combined prediction. Members are models trained with the Gaussian NLL (a mean and a
// variance per target) or classifiers (softmax probabilities; a one-target sigmoid counts as two
// classes). Everything downstream (selection, scores, the CSV a user reads) works from this.
#pragma once

#include <string>
#include <vector>

#include <kyper/model.hpp>
#include <kyper/uq/mixture.hpp>

namespace kyper::uq {

enum class PredictionKind : int { Gaussian = 0, Classes };

struct MemberPredictions {
  PredictionKind kind = PredictionKind::Gaussian;
  int members = 0;
  long rows = 0;
  int outputs = 0;                 // Gaussian: targets; Classes: classes
  std::vector<std::string> names;  // Gaussian: target names; Classes: probability column names
  std::vector<double> weights;     // one per member
  std::vector<double> mean, variance;  // Gaussian: members x rows x outputs
  std::vector<double> probabilities;   // Classes: members x rows x outputs

  // Appends a member from its model's predictions. Throws when it predicts no distribution (a
  // plain MSE/MAE regression) or does not match the members already added (rows, columns).
  void add(const Predictions& predictions, double weight);

  // The given members (indices into this one) with new weights.
  MemberPredictions pick(const std::vector<int>& which, const std::vector<double>& new_weights) const;

  std::vector<Component> mixture(long row, int target) const;
  std::size_t at(int member, long row, int output) const {
    return (std::size_t(member) * std::size_t(rows) + std::size_t(row)) * std::size_t(outputs) + std::size_t(output);
  }
};

// True when the predictions are a distribution (Gaussian mean + variance, or class probabilities).
bool is_distribution(const Predictions& predictions);
// The kind and column names a Predictions table has (error naming the columns if neither).
PredictionKind kind_of(const Predictions& predictions);

// log p_m(y_r | x_r) per member and row (members x rows): the Gaussian log density summed over
// targets, or the log probability of the observed class. Targets are rows x outputs (Gaussian)
// or one class index per row (Classes). Non-finite for a diverged member.
std::vector<double> member_log_likelihood(const MemberPredictions& predictions, const float* targets);

// log Σ_m w_m p_m(y_r | x_r) per row from member_log_likelihood's matrix.
std::vector<double> mixture_log_likelihood(const std::vector<double>& member_log_likelihood,
                                           const std::vector<double>& weights, long rows);

// The ensemble's prediction as a table, named as `kyper predict` writes it. Gaussian: per target
// "<t>_mean" (mixture mean) and "<t>_variance" (total predictive variance, target units squared);
// with `uncertainty` also "<t>_aleatoric" and "<t>_epistemic" (the two variances that add up to the
// total) and "<t>_lower95", "<t>_upper95" (the mixture's 2.5% and 97.5% quantiles). Classes: the mixture's class
// probabilities; with `uncertainty` also "entropy_total", "entropy_aleatoric", "entropy_epistemic"
// (the mutual information).
Predictions ensemble_table(const MemberPredictions& predictions, bool uncertainty);

}  // namespace kyper::uq
