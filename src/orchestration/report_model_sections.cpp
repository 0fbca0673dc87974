// The report's sections about models: the best architecture of a NAS, and each ensemble built from
// the search's catalogue (AutoDEUQ) scored and drawn on the validation rows.
#include "report_data.hpp"

#include <kyper/error.hpp>
#include <kyper/graph.hpp>
#include <kyper/model.hpp>
#include <kyper/plot_scale.hpp>
#include <kyper/search_job.hpp>
#include <kyper/svg_chart.hpp>
#include <kyper/uq/catalogue.hpp>
#include <kyper/uq/ensemble.hpp>
#include <kyper/uq/mixture.hpp>
#include <kyper/uq/scores.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace kyper::report_detail {

namespace {

using plot::format_number;
using plot::format_value;
using plot::Scale;
using plot::SvgChart;
using plot::xml_escape;

std::string node_label(const NodeSpec& n) {
  std::string s = to_string(n.kind);
  if (n.kind == NodeKind::Input || n.kind == NodeKind::Dense) s += " " + std::to_string(n.units);
  if (n.kind == NodeKind::Dense && n.activation != Activation::Identity) s += " " + std::string(to_string(n.activation));
  if (n.kind == NodeKind::Activation) s += " " + std::string(to_string(n.activation));
  if (n.kind == NodeKind::Dropout) s += " " + format_value(n.rate);
  return s;
}

// The graph in columns by depth (the longest path from an input), edges from left to right.
std::string graph_svg(const GraphSpec& graph) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) index[graph.nodes[i].name] = i;
  std::vector<int> depth(graph.nodes.size(), -1);
  // Relaxation: at most one pass per node in a DAG (the model file was validated when loaded).
  for (std::size_t pass = 0; pass <= graph.nodes.size(); ++pass) {
    bool changed = false;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
      int d = 0;
      for (const auto& in : graph.nodes[i].inputs) {
        auto it = index.find(in);
        if (it != index.end()) d = std::max(d, depth[it->second] + 1);
      }
      if (d != depth[i]) depth[i] = d, changed = true;
    }
    if (!changed) break;
  }
  const int columns = 1 + *std::max_element(depth.begin(), depth.end());
  std::vector<int> row(graph.nodes.size()), per_column(std::size_t(columns), 0);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) row[i] = per_column[std::size_t(depth[i])]++;
  const int rows = *std::max_element(per_column.begin(), per_column.end());
  const double box_w = 132, box_h = 30, gap_x = 40, gap_y = 18;
  SvgChart chart(int(columns * (box_w + gap_x) + gap_x), int(rows * (box_h + gap_y) + gap_y + 10), plot::Margins{0, 0, 0, 0});
  auto box_x = [&](std::size_t i) { return gap_x / 2 + depth[i] * (box_w + gap_x); };
  auto box_y = [&](std::size_t i) {
    const double column_height = per_column[std::size_t(depth[i])] * (box_h + gap_y);
    return gap_y + (rows * (box_h + gap_y) - column_height) / 2 + row[i] * (box_h + gap_y);
  };
  for (std::size_t i = 0; i < graph.nodes.size(); ++i)
    for (const auto& in : graph.nodes[i].inputs) {
      auto it = index.find(in);
      if (it == index.end()) continue;
      const std::size_t j = it->second;
      chart.segment(box_x(j) + box_w, box_y(j) + box_h / 2, box_x(i), box_y(i) + box_h / 2,
                    depth[i] - depth[j] > 1 ? "edge skip" : "edge");
    }
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    const auto& n = graph.nodes[i];
    chart.rect(box_x(i), box_y(i), box_w, box_h, std::string("node ") + to_string(n.kind), n.name + ": " + node_label(n));
    chart.text(box_x(i) + box_w / 2, box_y(i) + box_h / 2 + 4, node_label(n), "node-label", "middle");
  }
  return chart.str("best architecture");
}

std::optional<Section> architecture(const FolderData& data, std::vector<std::string>& notes) {
  const bool nas = std::any_of(data.trials.begin(), data.trials.end(),
                               [](const search::Observation& t) { return t.metadata.count("architecture") > 0; });
  if (!nas) return std::nullopt;
  const fs::path best = fs::path(data.folder) / "best.kyper";
  if (!fs::exists(best)) {
    notes.push_back("architecture: " + best.string() + " is missing (the search did not finish)");
    return std::nullopt;
  }
  try {
    const Model model = Model::load(best.string());
    Section s{"architecture", "Best architecture", ""};
    std::ostringstream html;
    html << figure(graph_svg(model.graph()), "The best trial's network (" + std::to_string(model.parameter_count()) +
                                                 " parameters), read from " + best.string() +
                                                 "; dashed: skip connections across layers.");
    s.html = html.str();
    return s;
  } catch (const Error& e) {
    notes.push_back(std::string("architecture: ") + e.what());
    return std::nullopt;
  }
}

std::string scores_table(const uq::RegressionScores& s) {
  std::ostringstream html;
  html << "<table class=\"small\"><tr><th>NLL (mixture)</th><th>Gaussian NLL</th><th>RMSE</th><th>CRPS</th><th>coverage "
          "68%</th><th>coverage 95%</th><th>width 95%</th></tr><tr><td>"
       << format_value(s.nll) << "</td><td>" << format_value(s.gaussian_nll) << "</td><td>" << format_value(s.rmse)
       << "</td><td>" << format_value(s.crps) << "</td><td>" << format_value(s.coverage68) << "</td><td>"
       << format_value(s.coverage95) << "</td><td>" << format_value(s.width95) << "</td></tr></table>";
  return html.str();
}

// Predicted vs true for one target with the 95% intervals: total (the mixture's central interval)
// and aleatoric (mean ± 1.96 sqrt(E[σ²]), the noise alone).
std::string predicted_vs_true(const uq::MemberPredictions& p, const std::vector<float>& targets, int target) {
  std::vector<double> truth, mean;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  std::vector<uq::Interval> total;
  std::vector<double> aleatoric;
  for (long r = 0; r < p.rows; ++r) {
    const auto mixture = p.mixture(r, target);
    const auto d = uq::decompose(mixture);
    const double y = targets[std::size_t(r) * std::size_t(p.outputs) + std::size_t(target)];
    truth.push_back(y), mean.push_back(d.mean);
    total.push_back(uq::central_interval(0.95, mixture));
    aleatoric.push_back(1.959963984540054 * std::sqrt(std::max(0.0, d.aleatoric)));
    for (double v : {y, total.back().lower, total.back().upper})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  SvgChart chart(560, 420);
  const Scale x = chart.x_linear(lo, hi), y = chart.y_linear(lo, hi);
  chart.axes(x, y, "true " + p.names[std::size_t(target)], "predicted (mixture mean)");
  chart.line({x.lo(), x.hi()}, {x.lo(), x.hi()}, x, y, "diagonal", "predicted = true");
  for (std::size_t r = 0; r < truth.size(); ++r) {
    chart.segment(x(truth[r]), y(total[r].lower), x(truth[r]), y(total[r].upper), "total-band");
    chart.segment(x(truth[r]), y(mean[r] - aleatoric[r]), x(truth[r]), y(mean[r] + aleatoric[r]), "aleatoric-band");
  }
  std::vector<std::string> titles;
  for (std::size_t r = 0; r < truth.size(); ++r)
    titles.push_back("true " + format_value(truth[r]) + ", predicted " + format_value(mean[r]) + ", 95% [" +
                     format_value(total[r].lower) + ", " + format_value(total[r].upper) + "]");
  chart.points(truth, mean, x, y, "trial", titles, 2.5);
  chart.legend(1, "aleatoric-band", "aleatoric 95%", true);
  chart.legend(0, "total-band", "total 95%", true);
  return figure(chart.str("predicted vs true"),
                "Validation rows: the mixture mean against the truth, with the total 95% interval (the mixture's central "
                "interval; thin) and the aleatoric part alone (mean ± 1.96 √E[σ²]; thick).");
}

// Observed coverage of the mixture's central intervals against their nominal level.
std::string reliability_regression(const uq::MemberPredictions& p, const std::vector<float>& targets) {
  std::vector<double> nominal, observed;
  for (double level : {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95, 0.99}) {
    long inside = 0, n = 0;
    for (long r = 0; r < p.rows; ++r)
      for (int t = 0; t < p.outputs; ++t) {
        const auto interval = uq::central_interval(level, p.mixture(r, t));
        const double y = targets[std::size_t(r) * std::size_t(p.outputs) + std::size_t(t)];
        inside += (y >= interval.lower && y <= interval.upper), ++n;
      }
    nominal.push_back(level), observed.push_back(n ? double(inside) / double(n) : 0.0);
  }
  SvgChart chart(420, 380);
  const Scale x = chart.x_linear(0, 1), y = chart.y_linear(0, 1);
  chart.axes(x, y, "nominal level of the central interval", "observed coverage");
  chart.line({0, 1}, {0, 1}, x, y, "diagonal", "perfect calibration");
  chart.line(nominal, observed, x, y, "best");
  std::vector<std::string> titles;
  for (std::size_t i = 0; i < nominal.size(); ++i)
    titles.push_back(format_number(100 * nominal[i], 1) + "% interval holds " + format_number(100 * observed[i], 0.1) + "%");
  chart.points(nominal, observed, x, y, "trial", titles);
  return figure(chart.str("reliability diagram"),
                "Reliability: the fraction of validation targets inside the mixture's central interval of each level. "
                "Above the diagonal: intervals too wide; below: too narrow.");
}

// Where the data has one feature: the epistemic share of the variance against the distance to the
// nearest training point (it should grow away from the data).
std::optional<std::string> epistemic_by_distance(const FolderData& data, const uq::MemberPredictions& p,
                                                 std::vector<std::string>& notes) {
  if (data.job_path.empty() || p.outputs != 1) return std::nullopt;
  try {
    const SearchJob job = load_search_job(data.job_path);
    if (!job.problem || job.problem->train.num_features() != 1) return std::nullopt;
    const Dataset& train = job.problem->train;
    const Dataset& validation = job.problem->validation;
    if (long(validation.rows()) != p.rows) {
      notes.push_back("ensembles: " + data.job_path + " splits off " + std::to_string(validation.rows()) +
                      " validation rows, the catalogue has " + std::to_string(p.rows) + ": no epistemic view");
      return std::nullopt;
    }
    std::vector<float> xs(train.features);
    std::sort(xs.begin(), xs.end());
    std::vector<double> distance, share;
    std::vector<std::string> titles;
    for (long r = 0; r < p.rows; ++r) {
      const float v = validation.features[std::size_t(r)];
      auto it = std::lower_bound(xs.begin(), xs.end(), v);
      double d = std::numeric_limits<double>::infinity();
      if (it != xs.end()) d = std::min(d, double(*it - v));
      if (it != xs.begin()) d = std::min(d, double(v - *(it - 1)));
      const auto decomposition = uq::decompose(p.mixture(r, 0));
      distance.push_back(d);
      share.push_back(decomposition.total() > 0 ? decomposition.epistemic / decomposition.total() : 0.0);
      titles.push_back(validation.feature_names[0] + " = " + format_value(v) + ": epistemic " +
                       format_number(100 * share.back(), 0.1) + "% of the variance");
    }
    SvgChart chart(560, 340);
    const Scale x = chart.x_linear(0, std::max(1e-12, *std::max_element(distance.begin(), distance.end())));
    const Scale y = chart.y_linear(0, 1);
    chart.axes(x, y, "distance to the nearest training " + validation.feature_names[0], "epistemic share of the variance");
    chart.points(distance, share, x, y, "trial", titles);
    return figure(chart.str("epistemic share against distance"),
                  "The members' disagreement (Var[μ]) as a share of the total variance, against how far each validation "
                  "point lies from the training data (the one feature, " + validation.feature_names[0] + ").");
  } catch (const Error& e) {
    notes.push_back(std::string("ensembles: epistemic view: ") + e.what());
    return std::nullopt;
  }
}

std::string classification_views(const uq::MemberPredictions& p, const std::vector<float>& labels) {
  const auto s = uq::score_classification(p, labels.data());
  std::ostringstream html;
  html << "<table class=\"small\"><tr><th>accuracy</th><th>NLL</th><th>Brier</th><th>ECE</th></tr><tr><td>"
       << format_value(s.accuracy) << "</td><td>" << format_value(s.nll) << "</td><td>" << format_value(s.brier)
       << "</td><td>" << format_value(s.ece) << "</td></tr></table>";
  // The mixture's class probabilities (rows x classes).
  const Predictions table = uq::ensemble_table(p, false);
  const int classes = p.outputs;
  auto prob = [&](long r, int c) { return double(table.values[std::size_t(r) * table.columns.size() + std::size_t(c)]); };
  // Reliability: accuracy against confidence in 10 equal bins of the top-class probability.
  std::vector<double> confidence(10, 0), correct(10, 0), count(10, 0);
  for (long r = 0; r < p.rows; ++r) {
    int top = 0;
    for (int c = 1; c < classes; ++c) if (prob(r, c) > prob(r, top)) top = c;
    const int bin = std::min(9, int(prob(r, top) * 10));
    confidence[std::size_t(bin)] += prob(r, top), correct[std::size_t(bin)] += (top == int(labels[std::size_t(r)])), ++count[std::size_t(bin)];
  }
  std::vector<double> bx, by;
  std::vector<std::string> titles;
  for (std::size_t b = 0; b < 10; ++b)
    if (count[b] > 0) {
      bx.push_back(confidence[b] / count[b]), by.push_back(correct[b] / count[b]);
      titles.push_back(format_number(count[b], 1) + " rows: confidence " + format_number(bx.back(), 0.01) + ", accuracy " +
                       format_number(by.back(), 0.01));
    }
  SvgChart reliability(420, 380);
  const Scale rx = reliability.x_linear(0, 1), ry = reliability.y_linear(0, 1);
  reliability.axes(rx, ry, "confidence (top-class probability)", "accuracy");
  reliability.line({0, 1}, {0, 1}, rx, ry, "diagonal", "perfect calibration");
  reliability.line(bx, by, rx, ry, "best");
  reliability.points(bx, by, rx, ry, "trial", titles);
  html << figure(reliability.str("reliability diagram"),
                 "Reliability: accuracy against confidence in ten bins of the top-class probability (ECE " +
                     format_value(s.ece) + " from the scores, 15 bins).");
  // ROC: one curve per class, that class against the rest.
  SvgChart roc(480, 420);
  const Scale x = roc.x_linear(0, 1), y = roc.y_linear(0, 1);
  roc.axes(x, y, "false positive rate", "true positive rate");
  roc.line({0, 1}, {0, 1}, x, y, "diagonal", "chance");
  // Two classes: one curve (the second class as the positive one; the other is its mirror image).
  for (int c = classes == 2 ? 1 : 0; c < classes && c < 10; ++c) {
    std::vector<long> order(std::size_t(p.rows));
    for (long r = 0; r < p.rows; ++r) order[std::size_t(r)] = r;
    std::stable_sort(order.begin(), order.end(), [&](long a, long b) { return prob(a, c) > prob(b, c); });
    double positives = 0;
    for (long r = 0; r < p.rows; ++r) positives += int(labels[std::size_t(r)]) == c;
    const double negatives = double(p.rows) - positives;
    if (positives == 0 || negatives == 0) continue;
    std::vector<double> fpr{0}, tpr{0};
    double tp = 0, fp = 0, auc = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      (int(labels[std::size_t(order[k])]) == c ? tp : fp) += 1;
      // Ties share one point of the curve.
      if (k + 1 < order.size() && prob(order[k + 1], c) == prob(order[k], c)) continue;
      const double f = fp / negatives, t = tp / positives;
      auc += (f - fpr.back()) * (t + tpr.back()) / 2;
      fpr.push_back(f), tpr.push_back(t);
    }
    const std::string& name = table.columns[std::size_t(c)];
    roc.line(fpr, tpr, x, y, "curve c" + std::to_string(c), name + " vs rest, AUC " + format_number(auc, 0.001));
    roc.legend(classes == 2 ? 0 : c, "curve c" + std::to_string(c), name + " AUC " + format_number(auc, 0.001), true);
  }
  html << figure(roc.str("ROC curves"), classes == 2 ? "ROC curve of the second class against the first, on the validation rows."
                                                     : "ROC curve of each class against the rest, on the validation rows.");
  return html.str();
}

}  // namespace

std::vector<Section> model_sections(const FolderData& data, const ReportOptions& options, std::vector<std::string>& notes) {
  (void)options;
  std::vector<Section> out;
  if (auto s = architecture(data, notes)) out.push_back(*s);
  std::vector<fs::path> manifests;
  for (const auto& entry : fs::directory_iterator(data.folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ensemble_", 0) == 0 && entry.path().extension() == ".json") manifests.push_back(entry.path());
  }
  std::sort(manifests.begin(), manifests.end());
  if (manifests.empty()) return out;
  std::optional<uq::Catalogue> catalogue;
  try {
    catalogue = uq::load_catalogue(data.folder);
  } catch (const Error& e) {
    notes.push_back(std::string("ensembles: ") + e.what());
    return out;
  }
  std::map<std::int64_t, int> member_index;
  for (std::size_t i = 0; i < catalogue->entries.size(); ++i) member_index[catalogue->entries[i].trial] = int(i);
  Section s{"ensembles", "Ensembles (AutoDEUQ)", ""};
  std::ostringstream html;
  for (const auto& path : manifests) {
    try {
      const uq::Ensemble ensemble = uq::Ensemble::load(path.string());
      std::vector<int> which;
      std::vector<double> weights;
      for (const auto& m : ensemble.members()) {
        auto it = member_index.find(m.trial);
        KYPER_REQUIRE(it != member_index.end(), "member trial " << m.trial << " has no validation predictions in "
                                                                 << catalogue->folder << " (a retrained member?)");
        which.push_back(it->second), weights.push_back(m.weight);
      }
      const uq::MemberPredictions p = catalogue->validation.pick(which, weights);
      html << "<h3>" << xml_escape(path.filename().string()) << "</h3><p>" << ensemble.members().size()
           << " members, method " << xml_escape(ensemble.method()) << ", scored on " << p.rows
           << " validation rows (the same scores as <code>kyper predict</code>).</p>";
      if (p.kind == uq::PredictionKind::Gaussian) {
        html << scores_table(uq::score_regression(p, catalogue->targets.data()));
        for (int t = 0; t < p.outputs && t < 3; ++t) html << predicted_vs_true(p, catalogue->targets, t);
        html << reliability_regression(p, catalogue->targets);
        if (auto view = epistemic_by_distance(data, p, notes)) html << *view;
      } else {
        html << classification_views(p, catalogue->targets);
      }
    } catch (const Error& e) {
      notes.push_back("ensembles: " + path.filename().string() + ": " + e.what());
    }
  }
  s.html = html.str();
  if (!s.html.empty()) out.push_back(s);
  return out;
}

}  // namespace kyper::report_detail
