#include <kyper/uq/selection.hpp>

#include <string>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <kyper/enum_names.hpp>
#include <kyper/error.hpp>

namespace kyper::uq {

namespace {
double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  return b == -std::numeric_limits<double>::infinity() ? a : a + std::log1p(std::exp(b - a));
}

// The usable candidates and each one's own validation NLL.
std::vector<double> own_nll(const std::vector<double>& ll, int candidates, long rows) {
  KYPER_REQUIRE(candidates >= 1 && rows >= 1 && ll.size() == size_t(candidates) * size_t(rows),
                "selection needs a candidates x rows log-likelihood matrix (" << candidates << " x " << rows
                                                                              << ", got " << ll.size() << " values)");
  std::vector<double> nll(size_t(candidates), std::numeric_limits<double>::infinity());
  for (int m = 0; m < candidates; ++m) {
    double sum = 0;
    for (long r = 0; r < rows; ++r) sum -= ll[size_t(m) * rows + r];
    if (std::isfinite(sum)) nll[m] = sum / double(rows);
  }
  KYPER_REQUIRE(std::any_of(nll.begin(), nll.end(), [](double v) { return std::isfinite(v); }),
                "no candidate model has finite validation predictions (all " << candidates << " diverged?)");
  return nll;
}

Selection from_counts(const std::vector<int>& order, const std::vector<int>& counts, std::vector<double> trace) {
  Selection s;
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  for (int m : order) {
    s.members.push_back(m);
    s.weights.push_back(counts[m] / total);
  }
  s.nll = std::move(trace);
  return s;
}
}  // namespace

namespace {
const EnumNames<SelectionMethod> kSelectionNames("ensemble selection method",
                                                 {{SelectionMethod::TopK, "topk"},
                                                  {SelectionMethod::Greedy, "greedy"},
                                                  {SelectionMethod::Robust, "robust"}},
                                                 {{SelectionMethod::TopK, "top-k"},
                                                  {SelectionMethod::TopK, "top_k"},
                                                  {SelectionMethod::Greedy, "caruana"}});
}  // namespace

SelectionMethod parse_selection_method(const std::string& name) { return kSelectionNames.parse(name); }
const char* to_string(SelectionMethod method) { return kSelectionNames.name(method); }

Selection select_top_k(const std::vector<double>& ll, int candidates, long rows, int k) {
  KYPER_REQUIRE(k >= 1, "ensemble size k must be >= 1, got " << k);
  const auto nll = own_nll(ll, candidates, rows);
  std::vector<int> order(static_cast<size_t>(candidates));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return nll[a] < nll[b]; });
  order.resize(size_t(std::count_if(nll.begin(), nll.end(), [](double v) { return std::isfinite(v); })));
  if (int(order.size()) > k) order.resize(size_t(k));
  std::vector<int> counts(size_t(candidates), 0);
  std::vector<double> log_sum(size_t(rows), -std::numeric_limits<double>::infinity()), trace;
  for (size_t i = 0; i < order.size(); ++i) {
    counts[order[i]] = 1;
    double sum = 0;
    for (long r = 0; r < rows; ++r) {
      log_sum[r] = log_add(log_sum[r], ll[size_t(order[i]) * rows + r]);
      sum -= log_sum[r] - std::log(double(i + 1));
    }
    trace.push_back(sum / double(rows));
  }
  return from_counts(order, counts, std::move(trace));
}

namespace {
// Greedy forward selection with replacement. With `fill_to_k`, once no addition lowers the NLL,
// the unselected candidate whose addition raises it least joins, until k distinct members are in.
Selection greedy(const std::vector<double>& ll, int candidates, long rows, int k, bool fill_to_k) {
  KYPER_REQUIRE(k >= 1, "ensemble size k must be >= 1, got " << k);
  const auto nll = own_nll(ll, candidates, rows);
  // log Σ_{selected, with multiplicity} p_m(y_r): adding m is one log_add per row.
  std::vector<double> log_sum(size_t(rows), -std::numeric_limits<double>::infinity());
  std::vector<int> counts(size_t(candidates), 0), order;
  std::vector<double> trace;
  double current = std::numeric_limits<double>::infinity();
  const int usable = int(std::count_if(nll.begin(), nll.end(), [](double v) { return std::isfinite(v); }));
  // Re-selections count as steps but not as members (as DeepHyper's greedy_caruana). The cap bounds
  // the work: re-adding a dominant model can lower the NLL a little for ever; past it, filling up
  // to k distinct members (fill_to_k) still takes its turns.
  const int cap = 100 * k;
  for (int step = 0; int(order.size()) < k && (step < cap || fill_to_k) && step < cap + k; ++step) {
    int best = -1, best_new = -1;
    double best_nll = current, best_new_nll = std::numeric_limits<double>::infinity();
    for (int m = 0; m < candidates; ++m) {
      if (!std::isfinite(nll[m])) continue;
      double sum = 0;
      for (long r = 0; r < rows; ++r) sum -= log_add(log_sum[r], ll[size_t(m) * rows + r]);
      const double value = sum / double(rows) + std::log(double(step + 1));
      if (value < best_nll) best = m, best_nll = value;  // first best on ties: deterministic
      if (counts[m] == 0 && value < best_new_nll) best_new = m, best_new_nll = value;
    }
    if (step >= cap) best = -1;  // the greedy budget is spent: only new members from here
    if (best < 0) {  // no addition lowers the NLL
      if (!fill_to_k || best_new < 0 || int(order.size()) >= std::min(k, usable)) break;
      best = best_new, best_nll = best_new_nll;
    }
    for (long r = 0; r < rows; ++r) log_sum[r] = log_add(log_sum[r], ll[size_t(best) * rows + r]);
    if (counts[best]++ == 0) order.push_back(best);
    trace.push_back(current = best_nll);
  }
  return from_counts(order, counts, std::move(trace));
}
}  // namespace

Selection select_greedy(const std::vector<double>& ll, int candidates, long rows, int k) {
  Selection s = greedy(ll, candidates, rows, k, false);
  s.rule = "greedy (Caruana, with replacement) until no addition lowers the validation NLL, at most " +
           std::to_string(k) + " distinct members";
  return s;
}

Selection select_robust(const std::vector<double>& ll, int candidates, long rows, int k) {
  if (rows < kRobustSelectionMinRows) {
    Selection s = select_top_k(ll, candidates, rows, k);
    s.rule = "robust: top " + std::to_string(k) + " by validation NLL (only " + std::to_string(rows) +
             " validation rows, fewer than " + std::to_string(kRobustSelectionMinRows) +
             ": greedy selection would fit their noise)";
    return s;
  }
  Selection s = greedy(ll, candidates, rows, k, true);
  s.rule = "robust: greedy (Caruana, with replacement) on " + std::to_string(rows) +
           " validation rows, continued until " + std::to_string(k) + " distinct members";
  return s;
}

Selection select(SelectionMethod method, const std::vector<double>& ll, int candidates, long rows, int k) {
  switch (method) {
    case SelectionMethod::TopK: {
      Selection s = select_top_k(ll, candidates, rows, k);
      s.rule = "top " + std::to_string(k) + " by validation NLL";
      return s;
    }
    case SelectionMethod::Greedy: return select_greedy(ll, candidates, rows, k);
    case SelectionMethod::Robust: break;
  }
  return select_robust(ll, candidates, rows, k);
}

}  // namespace kyper::uq
