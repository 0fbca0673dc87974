// Choosing K ensemble members from a catalogue of trained models by their validation predictions,
// with no retraining: top-K by each model's own NLL, or greedy forward selection with replacement
// (Caruana et al. 2004) minimising the ensemble's NLL, as AutoDEUQ does.
#pragma once

#include <string>
#include <vector>

namespace kyper::uq {

enum class SelectionMethod : int { TopK = 0, Greedy };
SelectionMethod parse_selection_method(const std::string& name);  // "topk" | "greedy"
const char* to_string(SelectionMethod method);

struct Selection {
  std::vector<int> members;     // distinct candidate indices, in the order first selected
  std::vector<double> weights;  // per member: times selected / selections
  std::vector<double> nll;      // validation NLL of the ensemble after each selection step
  double validation_nll() const { return nll.empty() ? 0 : nll.back(); }
};

// log_likelihood: candidates x rows, log p_m(y_r | x_r) on the validation rows (see
// member_log_likelihood). Candidates with a non-finite value (diverged) are never selected.
// Throws when no candidate is usable or k < 1.
Selection select_top_k(const std::vector<double>& log_likelihood, int candidates, long rows, int k);
// Adds the candidate (possibly one already in, which raises its weight) that lowers the ensemble's
// NLL the most, until k distinct members are in or no addition lowers the NLL; so the NLL trace
// never increases and the ensemble has at most k members (DeepHyper's greedy_caruana).
Selection select_greedy(const std::vector<double>& log_likelihood, int candidates, long rows, int k);
Selection select(SelectionMethod method, const std::vector<double>& log_likelihood, int candidates, long rows, int k);

}  // namespace kyper::uq
