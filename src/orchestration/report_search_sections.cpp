// The report's sections about the search itself: trajectory, utilisation, top trials, importance,
// training curves.
#include "report_data.hpp"

#include <kyper/error.hpp>
#include <kyper/plot_scale.hpp>
#include <kyper/search/importance.hpp>
#include <kyper/svg_chart.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace kyper::report_detail {

namespace {

using plot::format_value;
using plot::Scale;
using plot::SvgChart;
using plot::xml_escape;
using search::Observation;

constexpr int kWidth = 760, kHeight = 320;

bool finite_objective(const Observation& t) { return t.objective && std::isfinite(*t.objective); }

std::string trial_title(const Observation& t) {
  std::string s = "trial " + std::to_string(t.id) + ": ";
  if (!t.objective) return s + "failed: " + t.reason;
  s += "objective " + format_value(*t.objective);
  return s + "  " + t.config.to_string();
}

// Time axis unit for a span in seconds.
std::pair<double, const char*> time_unit(double span) {
  if (span > 3 * 3600) return {3600.0, "h"};
  if (span > 600) return {60.0, "min"};
  return {1.0, "s"};
}

// The objective axis: the range of the finite objectives, cut at the worst 10% when those few would
// squash the rest (one diverged trial at -1e6 beside thousands near -0.3). Returns the cut too.
std::pair<double, double> objective_range(const std::vector<double>& values, bool maximize, bool& cut) {
  std::vector<double> v(values);
  std::sort(v.begin(), v.end());
  cut = false;
  double lo = v.front(), hi = v.back();
  if (v.size() >= 10) {
    const double q_worst = maximize ? v[v.size() / 10] : v[v.size() - 1 - v.size() / 10];
    if (maximize && q_worst - lo > 3 * (hi - q_worst) && hi > q_worst) lo = q_worst - 0.1 * (hi - q_worst), cut = true;
    if (!maximize && hi - q_worst > 3 * (q_worst - lo) && q_worst > lo) hi = q_worst + 0.1 * (q_worst - lo), cut = true;
  }
  return {lo, hi};
}

// Objective and best so far against x (time or trial index) for every trial; failed and non-finite
// ones as crosses along the bottom, with the reason on hover.
std::string trajectory_chart(const FolderData& data, const std::vector<double>& x, const std::string& x_label,
                             const std::string& caption) {
  std::vector<double> ok_x, ok_y, finite;
  std::vector<std::string> titles;
  for (std::size_t i = 0; i < data.trials.size(); ++i)
    if (finite_objective(data.trials[i]) && std::isfinite(x[i])) finite.push_back(*data.trials[i].objective);
  SvgChart chart(kWidth, kHeight);
  double x_lo = 0, x_hi = 1;
  bool any_x = false;
  for (double v : x)
    if (std::isfinite(v)) x_lo = any_x ? std::min(x_lo, v) : v, x_hi = any_x ? std::max(x_hi, v) : v, any_x = true;
  const Scale xs = chart.x_linear(x_lo, x_hi);
  bool cut = false;
  const auto range = finite.empty() ? std::make_pair(0.0, 1.0) : objective_range(finite, data.maximize, cut);
  const Scale ys = chart.y_linear(range.first, range.second);
  chart.axes(xs, ys, x_label, data.maximize ? "objective (higher is better)" : "objective (lower is better)");
  // Best so far, in the order of x.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < data.trials.size(); ++i)
    if (std::isfinite(x[i])) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return x[a] < x[b]; });
  std::vector<double> best_x, best_y;
  double best = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t i : order) {
    const Observation& t = data.trials[i];
    if (!finite_objective(t)) {
      const std::string why = t.objective ? "objective " + format_value(*t.objective) : "failed: " + t.reason;
      chart.cross(xs(x[i]), chart.bottom() - 6, "failed", "trial " + std::to_string(t.id) + " " + why);
      continue;
    }
    const double v = *t.objective;
    const bool clipped = v < ys.lo() || v > ys.hi();
    ok_x.push_back(x[i]);
    ok_y.push_back(std::clamp(v, ys.lo(), ys.hi()));
    titles.push_back(trial_title(t) + (clipped ? "  (off the axis, drawn at its edge)" : ""));
    if (std::isnan(best) || (data.maximize ? v > best : v < best)) {
      if (!std::isnan(best)) best_x.push_back(x[i]), best_y.push_back(best);
      best = v;
      best_x.push_back(x[i]), best_y.push_back(std::clamp(best, ys.lo(), ys.hi()));
    }
  }
  if (!best_x.empty()) best_x.push_back(xs.hi()), best_y.push_back(best_y.back());
  chart.points(ok_x, ok_y, xs, ys, "trial", titles);
  chart.line(best_x, best_y, xs, ys, "best", "best so far");
  chart.legend(0, "best", "best so far");
  std::string full = caption;
  if (cut) full += " The objective axis leaves out the worst 10% of the trials, drawn at its edge.";
  return figure(chart.str(x_label + " trajectory"), full);
}

Section trajectory(const FolderData& data, long& failed) {
  Section s{"trajectory", "Search trajectory", ""};
  double t0 = std::numeric_limits<double>::infinity();
  for (const auto& t : data.trials)
    if (std::isfinite(t.timestamp_start)) t0 = std::min(t0, t.timestamp_start);
  std::vector<double> wall(data.trials.size(), std::numeric_limits<double>::quiet_NaN()), index(data.trials.size());
  double span = 0;
  for (std::size_t i = 0; i < data.trials.size(); ++i) {
    const auto& t = data.trials[i];
    index[i] = double(t.id);
    if (std::isfinite(t0) && std::isfinite(t.timestamp_end)) wall[i] = t.timestamp_end - t0, span = std::max(span, wall[i]);
    if (!t.objective) ++failed;
  }
  const auto unit = time_unit(span);
  for (double& w : wall) w /= unit.first;
  std::map<std::string, long> reasons;
  long non_finite = 0;
  for (const auto& t : data.trials) {
    if (!t.objective) ++reasons[t.reason.substr(0, t.reason.find(':'))];
    else if (!std::isfinite(*t.objective)) ++non_finite;
  }
  std::ostringstream html;
  html << "<p>" << data.trials.size() << " trials: " << (long(data.trials.size()) - failed - non_finite) << " successful, "
       << failed << " failed";
  if (non_finite) html << ", " << non_finite << " with a non-finite objective (left out of the best)";
  html << ".</p>";
  if (std::any_of(wall.begin(), wall.end(), [](double w) { return std::isfinite(w); }))
    html << trajectory_chart(data, wall, std::string("wall time (") + unit.second + ")",
                             "Objective of each trial when it ended, and the best so far. Crosses along the bottom: "
                             "failed trials (hover for the reason).");
  html << trajectory_chart(data, index, "trial id",
                           "Objective against trial id (the order trials were proposed in), and the best so far.");
  if (!reasons.empty()) {
    html << "<table class=\"small\"><tr><th>failure</th><th>trials</th></tr>";
    for (const auto& r : reasons) html << "<tr><td>" << xml_escape(r.first) << "</td><td>" << r.second << "</td></tr>";
    html << "</table>";
  }
  s.html = html.str();
  return s;
}

struct Interval {
  double start, end;
  int rank;
  const Observation* trial;
};

std::optional<Section> utilisation(const FolderData& data, std::vector<std::string>& notes) {
  std::vector<Interval> runs;
  for (const auto& t : data.trials)
    if (std::isfinite(t.timestamp_start) && std::isfinite(t.timestamp_end) && t.timestamp_end >= t.timestamp_start)
      runs.push_back({t.timestamp_start, t.timestamp_end, trial_rank(t), &t});
  if (runs.empty()) {
    notes.push_back("utilisation: no trial has start and end timestamps");
    return std::nullopt;
  }
  double t0 = runs.front().start, t1 = runs.front().end;
  for (const auto& r : runs) t0 = std::min(t0, r.start), t1 = std::max(t1, r.end);
  const auto unit = time_unit(t1 - t0);
  // Busy ranks over time: +1 at each start, -1 at each end, as a step line.
  std::vector<std::pair<double, int>> events;
  for (const auto& r : runs) events.push_back({r.start, +1}), events.push_back({r.end, -1});
  std::sort(events.begin(), events.end());
  std::vector<double> xs{0}, ys{0};
  int busy = 0, peak = 0;
  double area = 0, last = t0;
  for (const auto& e : events) {
    area += busy * (e.first - last);
    last = e.first;
    xs.push_back((e.first - t0) / unit.first), ys.push_back(busy);
    busy += e.second;
    peak = std::max(peak, busy);
    xs.push_back((e.first - t0) / unit.first), ys.push_back(busy);
  }
  std::set<int> ranks;
  for (const auto& r : runs) ranks.insert(r.rank);
  const bool ranks_known = !ranks.count(-1);
  const int lanes = ranks_known ? int(ranks.size()) : peak;
  Section s{"utilisation", "Worker utilisation", ""};
  std::ostringstream html;
  html << "<p>";
  if (data.has_summary)
    html << "Utilisation " << plot::format_number(100 * data.utilisation, 0.1) << "% over " << data.ranks
         << " rank(s) in " << plot::format_number(data.seconds, 0.1)
         << " s: the scheduler's figure (busy time of the ranks that run trials over their wall time). ";
  const double from_timestamps = lanes > 0 && t1 > t0 ? area / (lanes * (t1 - t0)) : 0;
  html << "From the trials' timestamps: " << plot::format_number(100 * from_timestamps, 0.1) << "% of " << lanes
       << (ranks_known ? " rank(s) that ran trials" : " concurrent slots (the ranks are not recorded)")
       << " busy between the first start and the last end; at most " << peak << " trials ran at once.</p>";
  SvgChart chart(kWidth, kHeight);
  const Scale x = chart.x_linear(0, (t1 - t0) / unit.first);
  const Scale y = chart.y_linear(0, std::max(1, std::max(lanes, peak)));
  chart.axes(x, y, std::string("wall time (") + unit.second + ")", "trials running");
  chart.line(xs, ys, x, y, "busy", "trials running");
  chart.line({x.lo(), x.hi()}, {double(lanes), double(lanes)}, x, y, "capacity", "ranks that ran trials");
  chart.legend(0, "busy", "trials running");
  chart.legend(1, "capacity", ranks_known ? "ranks that ran trials" : "peak concurrency");
  html << figure(chart.str("busy ranks over time"), "Trials running at each moment.");
  if (ranks_known) {
    const int height = std::clamp(int(ranks.size()) * 14 + 70, 120, 900);
    SvgChart lanes_chart(kWidth, height, plot::Margins{70, 16, 16, 44});
    const Scale lx = lanes_chart.x_linear(0, (t1 - t0) / unit.first);
    const Scale ly = Scale::linear(-0.5, double(ranks.size()) - 0.5, lanes_chart.top(), lanes_chart.bottom());
    lanes_chart.x_axis(lx, std::string("wall time (") + unit.second + ")");
    std::map<int, int> row;
    for (int r : ranks) row.emplace(r, int(row.size()));
    // Row labels are the ranks themselves (in centralized mode rank 0 runs no trials); at most 32.
    const int every = std::max(1, int(ranks.size() + 31) / 32);
    for (const auto& [rank, i] : row)
      if (i % every == 0) lanes_chart.text(lanes_chart.left() - 4, ly(i) + 4, "rank " + std::to_string(rank), "tick", "end");
    const double lane_height = std::max(1.0, (lanes_chart.bottom() - lanes_chart.top()) / double(ranks.size()) - 2);
    for (const auto& r : runs) {
      const double left = lx((r.start - t0) / unit.first), right = lx((r.end - t0) / unit.first);
      lanes_chart.rect(left, ly(row[r.rank]) - lane_height / 2, std::max(0.5, right - left), lane_height,
                       r.trial->objective ? "run" : "run failed",
                       "rank " + std::to_string(r.rank) + ", " + trial_title(*r.trial) + ", " +
                           format_value(r.end - r.start) + " s");
    }
    html << figure(lanes_chart.str("per-rank timeline"),
                   "One row per rank (top: the lowest rank), one bar per trial; red: failed. Gaps are time a rank "
                   "waited for work or for the scheduler.");
  } else {
    notes.push_back("utilisation: the trials carry no rank (a results.csv from before Kyper recorded it): no "
                    "per-rank timeline");
  }
  s.html = html.str();
  return s;
}

// Position of a value on a parallel-coordinates axis, in [0, 1], or NaN (inactive / unknown).
double axis_position(const search::Parameter& p, const search::Value& v) {
  if (!search::is_active(v)) return std::numeric_limits<double>::quiet_NaN();
  if (p.type == search::ParameterType::Categorical || p.type == search::ParameterType::Ordinal) {
    const int i = p.choice_index(v);
    if (i < 0) return std::numeric_limits<double>::quiet_NaN();
    return p.choices.size() < 2 ? 0.5 : double(i) / double(p.choices.size() - 1);
  }
  const double x = std::get<double>(v);
  if (p.high <= p.low) return 0.5;
  if (p.log && p.low > 0) return (std::log(x) - std::log(p.low)) / (std::log(p.high) - std::log(p.low));
  return (x - p.low) / (p.high - p.low);
}

std::optional<Section> top_trials(const FolderData& data, const ReportOptions& options) {
  const auto ranked = ranked_trials(data);
  if (ranked.empty()) return std::nullopt;
  const std::size_t k = std::min<std::size_t>(std::size_t(std::max(1, options.top)), ranked.size());
  const auto& params = data.space.parameters();
  Section s{"top", "Top " + std::to_string(k) + " trials", ""};
  std::ostringstream html;
  html << "<table><tr><th>#</th><th>trial</th><th>objective</th>";
  for (const auto& p : params) html << "<th>" << xml_escape(p.name) << "</th>";
  html << "<th>epochs</th></tr>";
  for (std::size_t r = 0; r < k; ++r) {
    const Observation& t = data.trials[ranked[r]];
    html << "<tr><td>" << r + 1 << "</td><td>" << t.id << "</td><td>" << format_value(*t.objective) << "</td>";
    for (std::size_t j = 0; j < params.size(); ++j) {
      const auto& v = t.config.at(j);
      html << "<td>" << (search::is_active(v) ? xml_escape(std::holds_alternative<double>(v) ? format_value(std::get<double>(v)) : search::value_to_string(v)) : "—") << "</td>";
    }
    auto epochs = t.metadata.find("epochs");
    html << "<td>" << (epochs == t.metadata.end() ? "" : xml_escape(epochs->second)) << "</td></tr>";
  }
  html << "</table>";
  // Parallel coordinates: one vertical axis per parameter plus the objective; inactive values sit
  // on a row below the axes.
  const int axes = int(params.size()) + 1;
  SvgChart chart(std::max(kWidth, 110 * axes), 380, plot::Margins{60, 60, 40, 20});
  const double top = chart.top(), bottom = chart.bottom() - 30, inactive_y = chart.bottom() - 6;
  auto axis_x = [&](int a) { return chart.left() + (chart.right() - chart.left()) * (axes == 1 ? 0.5 : double(a) / (axes - 1)); };
  auto to_y = [&](double u) { return std::isnan(u) ? inactive_y : bottom - std::clamp(u, 0.0, 1.0) * (bottom - top); };
  std::vector<double> objectives;
  for (std::size_t r = 0; r < k; ++r) objectives.push_back(*data.trials[ranked[r]].objective);
  const Scale objective_axis = Scale::linear(*std::min_element(objectives.begin(), objectives.end()),
                                             *std::max_element(objectives.begin(), objectives.end()), bottom, top);
  for (int a = 0; a < axes; ++a) {
    const double x = axis_x(a);
    chart.segment(x, top, x, bottom, "pc-axis");
    if (a < int(params.size())) {
      const auto& p = params[std::size_t(a)];
      chart.text(x, top - 16, p.name, "label", "middle");
      if (p.type == search::ParameterType::Categorical || p.type == search::ParameterType::Ordinal) {
        for (std::size_t c = 0; c < p.choices.size(); ++c)
          chart.text(x + 4, to_y(p.choices.size() < 2 ? 0.5 : double(c) / double(p.choices.size() - 1)) + 4,
                     search::value_to_string(p.choices[c]), "tick");
      } else {
        const Scale scale = p.log && p.low > 0 ? Scale::log(p.low, p.high, bottom, top) : Scale::linear(p.low, p.high, bottom, top);
        for (double t : scale.ticks(4)) chart.text(x + 4, scale(t) + 4, scale.label(t, 4), "tick");
        if (p.log) chart.text(x, top - 2, "(log)", "tick", "middle");
      }
      chart.text(x, inactive_y + 4, "inactive", "tick", "middle");
    } else {
      chart.text(x, top - 16, "objective", "label", "middle");
      for (double t : objective_axis.ticks(4)) chart.text(x + 4, objective_axis(t) + 4, objective_axis.label(t, 4), "tick");
    }
  }
  // Worst first, so the best line is drawn on top.
  for (std::size_t r = k; r-- > 0;) {
    const Observation& t = data.trials[ranked[r]];
    std::vector<double> px, py;
    for (std::size_t j = 0; j < params.size(); ++j) px.push_back(axis_x(int(j))), py.push_back(to_y(axis_position(params[j], t.config.at(j))));
    px.push_back(axis_x(axes - 1)), py.push_back(objective_axis(*t.objective));
    const Scale identity_x = Scale::linear(0, chart.width(), 0, chart.width());
    const Scale identity_y = Scale::linear(0, chart.height(), 0, chart.height());
    chart.line(px, py, identity_x, identity_y, r == 0 ? "pc best" : "pc", "#" + std::to_string(r + 1) + " " + trial_title(t));
  }
  html << figure(chart.str("parallel coordinates of the top trials"),
                 "Parallel coordinates of the top " + std::to_string(k) +
                     " trials (the best in bold). Numeric axes span the parameter's range, on a log scale where the "
                     "space says so; categorical axes list the choices in the space's order.");
  s.html = html.str();
  return s;
}

std::optional<Section> importance(const FolderData& data, std::vector<std::string>& notes) {
  search::Importance result;
  try {
    result = search::permutation_importance(data.space, data.trials);
  } catch (const Error& e) {
    notes.push_back(std::string("importance: ") + e.what());
    return std::nullopt;
  }
  Section s{"importance", "Hyperparameter importance", ""};
  const int height = 40 + 22 * int(result.parameters.size()) + 40;
  SvgChart chart(kWidth, height, plot::Margins{160, 60, 20, 40});
  const Scale x = chart.x_linear(0, 1);
  const Scale y = Scale::linear(0, double(result.parameters.size()), chart.top(), chart.bottom());
  chart.x_axis(x, "share of the held-out error increase");
  for (std::size_t i = 0; i < result.parameters.size(); ++i) {
    const auto& p = result.parameters[i];
    chart.rect(x(0), y(double(i)) + 3, x(p.share) - x(0), 16, "bar", p.name + ": " + format_value(100 * p.share) + "%");
    chart.text(x(0) - 6, y(double(i)) + 15, p.name, "label", "end");
    chart.text(x(p.share) + 4, y(double(i)) + 15, plot::format_number(100 * p.share, 0.1) + "%", "tick");
  }
  std::ostringstream html;
  html << figure(chart.str("hyperparameter importance"), "Method: " + result.method + ".");
  html << "<p>Cross-validated R² of the forest: " << plot::format_number(result.cv_r2, 0.01)
       << (result.cv_r2 < 0.2 ? " — low: the forest explains little of the objective, so read the ranking with care."
                              : ".")
       << "</p>";
  s.html = html.str();
  return s;
}

std::optional<Section> curves(const FolderData& data, const ReportOptions& options) {
  const auto ranked = ranked_trials(data);
  std::vector<std::size_t> shown;
  for (std::size_t i : ranked) {
    if (shown.size() >= std::size_t(std::max(1, options.top))) break;
    if (data.curves.count(data.trials[i].id)) shown.push_back(i);
  }
  if (shown.empty()) return std::nullopt;
  double last_x = 1;
  bool has_train = false;
  std::vector<double> all;
  for (std::size_t i : shown) {
    const Curve& c = data.curves.at(data.trials[i].id);
    for (double v : c.validation) if (std::isfinite(v)) all.push_back(v);
    for (double v : c.train) if (std::isfinite(v)) all.push_back(v), has_train = true;
    if (!c.x.empty()) last_x = std::max(last_x, c.x.back());
  }
  if (all.empty()) return std::nullopt;
  // Early epochs can be orders of magnitude above the rest: the axis goes to the 95th percentile.
  std::sort(all.begin(), all.end());
  SvgChart chart(kWidth, 360);
  const std::string source = data.curves.at(data.trials[shown[0]].id).source;
  const Scale x = chart.x_linear(source == "epochs" ? 1 : 0, last_x);
  const Scale y = chart.y_linear(all.front(), all[std::min(all.size() - 1, all.size() * 95 / 100)]);
  chart.axes(x, y, source == "epochs" ? "epoch" : "budget", "loss");
  for (std::size_t r = shown.size(); r-- > 0;) {
    const Observation& t = data.trials[shown[r]];
    const Curve& c = data.curves.at(t.id);
    auto clip = [&](std::vector<double> v) {
      for (double& e : v) if (std::isfinite(e)) e = std::min(e, y.hi());
      return v;
    };
    const std::string colour = "c" + std::to_string(r % 10);
    chart.line(c.x, clip(c.validation), x, y, "curve " + colour, "#" + std::to_string(r + 1) + " trial " + std::to_string(t.id) + " validation loss");
    if (!c.train.empty())
      chart.line(std::vector<double>(c.x.begin(), c.x.begin() + std::ptrdiff_t(std::min(c.x.size(), c.train.size()))),
                 clip(c.train), x, y, "curve train " + colour, "#" + std::to_string(r + 1) + " trial " + std::to_string(t.id) + " training loss");
    if (r < 6) chart.legend(int(r), "curve " + colour, "#" + std::to_string(r + 1) + " trial " + std::to_string(t.id));
  }
  Section s{"curves", "Training curves of the top trials", ""};
  s.html = figure(chart.str("training curves"),
                  std::string("Validation loss (solid)") + (has_train ? " and training loss (dashed)" : "") + " per " +
                      (source == "epochs" ? "epoch" : "budget step (the trials' progress reports)") + " of the top " +
                      std::to_string(shown.size()) +
                      " trials with a recorded curve. The loss axis stops at the 95th percentile of the values.");
  return s;
}

}  // namespace

std::vector<Section> search_sections(const FolderData& data, const ReportOptions& options, std::vector<std::string>& notes) {
  std::vector<Section> out;
  long failed = 0;
  out.push_back(trajectory(data, failed));
  if (auto s = utilisation(data, notes)) out.push_back(*s);
  if (auto s = top_trials(data, options)) out.push_back(*s);
  else notes.push_back("top trials: no successful trial");
  if (auto s = importance(data, notes)) out.push_back(*s);
  if (auto s = curves(data, options)) out.push_back(*s);
  else notes.push_back("training curves: no trial recorded a learning curve");
  return out;
}

}  // namespace kyper::report_detail
