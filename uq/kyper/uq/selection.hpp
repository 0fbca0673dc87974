// Choosing K ensemble members from a catalogue of trained models by their validation predictions,
// with no retraining: top-K by each model's own NLL, or greedy forward selection with replacement
// (Caruana et al. 2004) minimising the ensemble's NLL, as AutoDEUQ does.
#pragma once

#include <string>
#include <vector>

namespace kyper::uq {

enum class SelectionMethod : int { TopK = 0, Greedy, Robust };
SelectionMethod parse_selection_method(const std::string& name);  // "topk" | "greedy" | "robust"
const char* to_string(SelectionMethod method);

struct Selection {
  std::vector<int> members;     // distinct candidate indices, in the order first selected
  std::vector<double> weights;  // per member: times selected / selections
  std::vector<double> nll;      // validation NLL of the ensemble after each selection step
  std::string rule;             // how the members were chosen, in words (for the user)
  double validation_nll() const { return nll.empty() ? 0 : nll.back(); }
};

// Below this many validation rows the robust default takes the top K: on so few rows greedy
// selection fits the noise of the validation set (one model gets half the weight, or it stops at
// a single member and the epistemic variance vanishes).
constexpr long kRobustSelectionMinRows = 100;

// log_likelihood: candidates x rows, log p_m(y_r | x_r) on the validation rows (see
// member_log_likelihood). Candidates with a non-finite value (diverged) are never selected.
// Throws when no candidate is usable or k < 1.
Selection select_top_k(const std::vector<double>& log_likelihood, int candidates, long rows, int k);
// Adds the candidate (possibly one already in, which raises its weight) that lowers the ensemble's
// NLL the most, until k distinct members are in or no addition lowers the NLL; so the NLL trace
// never increases and the ensemble has at most k members (DeepHyper's greedy_caruana).
Selection select_greedy(const std::vector<double>& log_likelihood, int candidates, long rows, int k);
// The default: top-K when the validation set has fewer than kRobustSelectionMinRows rows; else
// greedy selection that goes on until k distinct members are in (once no addition lowers the NLL,
// the distinct candidate that raises it least joins), so the ensemble never collapses to fewer
// members than asked for (when that many candidates are usable).
Selection select_robust(const std::vector<double>& log_likelihood, int candidates, long rows, int k);
Selection select(SelectionMethod method, const std::vector<double>& log_likelihood, int candidates, long rows, int k);

}  // namespace kyper::uq
