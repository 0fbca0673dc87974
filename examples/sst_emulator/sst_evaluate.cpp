// Scores forecasts of the SST emulator (examples/sst_emulator) in field space: the forecast POD
// coefficients are turned back into fields (mean + sum a_k phi_k) and compared with the simulated
// snapshots, per horizon step. Three forecasters on the same forecast origins:
//   model        the CSV `kyper predict` writes for a sequence model: per window `origin` (the
//                file line of the window's last input step, the header being line 1) and the
//                forecasts `a<k>@t+<s>_mean` (or `a<k>@t+<s>`)
//   persistence  the last input week's coefficients, repeated
//   AR           linear autoregression: least squares from the previous `window` coefficient
//                vectors (plus a constant, and the origin week's season_sin/season_cos when the
//                series has them, as the model does) to each future step, fitted on the training years
// plus the POD floor: the error of the true coefficients' reconstruction (what truncating to the
// kept modes costs, the best any coefficient forecaster can do).
//
//   sst_evaluate --data DIR [--series DIR/test.csv] [--forecast F.csv] [--window 8] [--horizon 8]
//                [--svg F.svg] [--table F.csv] [--check]
//                [--origin auto|line|row] [--write-forecast persistence|ar F.csv]
// --write-forecast writes a baseline's forecast of the series in predict's format (to test the
// scoring without a search). --origin: what the forecast's origin counts: the file line (predict),
// the 0-based data row, or auto (predict forecasts from every window: the first origin is
// window + 1 as a line, window - 1 as a row).
// --check exits 1 unless the model's field RMSE is below persistence's at every horizon step.
#include <kyper/csv.hpp>
#include <kyper/error.hpp>
#include <kyper/svg_chart.hpp>

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "sst_files.hpp"

namespace {

namespace fs = std::filesystem;
using Matrix = Eigen::MatrixXd;

struct Options {
  std::string data, series, forecast, svg, table, write_method, write_path, origin = "auto";
  int window = 8, horizon = 8;
  bool check = false;
};

[[noreturn]] void usage(const std::string& message) {
  std::fprintf(stderr,
               "sst_evaluate: %s\nusage: sst_evaluate --data DIR [--series CSV] [--forecast CSV] [--window 8] "
               "[--horizon 8]\n                    [--svg FILE] [--table FILE] [--check] [--write-forecast "
               "persistence|ar FILE]\n",
               message.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage("missing value after " + a);
      return argv[++i];
    };
    if (a == "--data") o.data = value();
    else if (a == "--series") o.series = value();
    else if (a == "--forecast") o.forecast = value();
    else if (a == "--window") o.window = std::stoi(value());
    else if (a == "--horizon") o.horizon = std::stoi(value());
    else if (a == "--svg") o.svg = value();
    else if (a == "--table") o.table = value();
    else if (a == "--check") o.check = true;
    else if (a == "--origin") {
      o.origin = value();
      if (o.origin != "auto" && o.origin != "line" && o.origin != "row") usage("--origin takes auto, line or row");
    }
    else if (a == "--write-forecast") {
      o.write_method = value();
      o.write_path = value();
      if (o.write_method != "persistence" && o.write_method != "ar") usage("--write-forecast takes persistence or ar");
    } else usage("unknown option " + a);
  }
  if (o.data.empty()) usage("--data DIR is required");
  if (o.series.empty()) o.series = (fs::path(o.data) / "test.csv").string();
  if (o.window < 1 || o.horizon < 1) usage("--window and --horizon must be at least 1");
  if (o.check && o.forecast.empty()) usage("--check needs --forecast");
  return o;
}

// The named numeric columns of a CSV file (other columns may hold anything), row-major.
struct Columns {
  std::vector<std::string> names;
  std::vector<std::vector<double>> rows;
};

// A name may be given as "a|b": the first of the two the file has.
Columns read_columns(const std::string& path, const std::vector<std::string>& names) {
  kyper::CsvReader reader = kyper::CsvReader::from_file(path);
  kyper::CsvRecord record;
  KYPER_REQUIRE(reader.next(record), path << ": empty file");
  std::unordered_map<std::string, std::size_t> header;
  for (std::size_t c = 0; c < record.cells.size(); ++c) header.emplace(record.cells[c], c);
  std::vector<std::size_t> index;
  for (const auto& name : names) {
    const std::size_t bar = name.find('|');
    auto it = header.find(name.substr(0, bar));
    if (it == header.end() && bar != std::string::npos) it = header.find(name.substr(bar + 1));
    KYPER_REQUIRE(it != header.end(), path << ": no column '" << (bar == std::string::npos ? name : name.substr(0, bar))
                                           << "'" << (bar == std::string::npos ? "" : " nor '" + name.substr(bar + 1) + "'"));
    index.push_back(it->second);
  }
  Columns out{names, {}};
  while (reader.next(record)) {
    if (record.blank()) continue;
    std::vector<double> row;
    for (std::size_t k = 0; k < index.size(); ++k) {
      double v = 0;
      KYPER_REQUIRE(index[k] < record.cells.size() &&
                        kyper::parse_number(record.cells[index[k]], v) == kyper::NumberParse::ok,
                    path << ":" << record.line << ": column '" << names[k] << "' is not a number");
      row.push_back(v);
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

std::vector<std::string> coefficient_names(int modes) {
  std::vector<std::string> names;
  for (int k = 0; k < modes; ++k) names.push_back("a" + std::to_string(k));
  return names;
}

// A coefficient series: weeks, coefficients (rows x modes) and, when the file has them, the
// calendar columns season_sin, season_cos (rows x 2; else 0 columns).
struct Series {
  std::vector<int> weeks;
  Matrix a, calendar;
};

bool has_column(const std::string& path, const std::string& name) {
  kyper::CsvReader reader = kyper::CsvReader::from_file(path);
  kyper::CsvRecord record;
  return reader.next(record) && std::find(record.cells.begin(), record.cells.end(), name) != record.cells.end();
}

Series read_series(const std::string& path, int modes) {
  std::vector<std::string> names = {"week"};
  for (const auto& n : coefficient_names(modes)) names.push_back(n);
  const bool calendar = has_column(path, "season_sin") && has_column(path, "season_cos");
  if (calendar) names.push_back("season_sin"), names.push_back("season_cos");
  const Columns c = read_columns(path, names);
  Series s;
  s.a.resize(long(c.rows.size()), modes);
  s.calendar.resize(long(c.rows.size()), calendar ? 2 : 0);
  for (std::size_t r = 0; r < c.rows.size(); ++r) {
    s.weeks.push_back(int(std::lround(c.rows[r][0])));
    for (int k = 0; k < modes; ++k) s.a(long(r), k) = c.rows[r][std::size_t(k) + 1];
    for (int k = 0; k < s.calendar.cols(); ++k) s.calendar(long(r), k) = c.rows[r][std::size_t(modes + k) + 1];
  }
  return s;
}

// Forecasts by origin (series row of the last input): horizon x modes each.
using Forecasts = std::map<long, Matrix>;

// Linear autoregression: [a(t-window+1) .. a(t), calendar(t), 1] -> [a(t+1) .. a(t+horizon)],
// ridge 1e-8 relative.
struct Autoregression {
  Matrix weights;  // (window * modes + calendar + 1) x (horizon * modes)
  int window, horizon, modes, calendar;

  Autoregression(const Series& train, int window_, int horizon_, bool use_calendar)
      : window(window_), horizon(horizon_) {
    modes = int(train.a.cols());
    calendar = use_calendar ? int(train.calendar.cols()) : 0;
    const long n = train.a.rows() - window - horizon + 1;
    KYPER_REQUIRE(n > window * modes + calendar + 1,
                  "the training series is too short for a " << window << "-step autoregression");
    Matrix x(n, window * modes + calendar + 1), y(n, horizon * modes);
    for (long i = 0; i < n; ++i) {
      x.row(i) = features(train, i + window - 1);
      for (int s = 0; s < horizon; ++s) y.block(i, s * modes, 1, modes) = train.a.row(i + window + s);
    }
    Matrix gram = x.transpose() * x;
    gram.diagonal().array() += 1e-8 * gram.diagonal().mean();
    weights = gram.ldlt().solve(x.transpose() * y);
  }
  Eigen::RowVectorXd features(const Series& series, long origin) const {
    Eigen::RowVectorXd f(window * modes + calendar + 1);
    for (int s = 0; s < window; ++s) f.segment(s * modes, modes) = series.a.row(origin - window + 1 + s);
    if (calendar) f.segment(window * modes, calendar) = series.calendar.row(origin);
    f(window * modes + calendar) = 1;
    return f;
  }
  Matrix forecast(const Series& series, long origin) const {
    const Eigen::RowVectorXd out = features(series, origin) * weights;
    Matrix f(horizon, modes);
    for (int s = 0; s < horizon; ++s) f.row(s) = out.segment(s * modes, modes);
    return f;
  }
};

Matrix persistence(const Matrix& a, long origin, int horizon) {
  Matrix f(horizon, a.cols());
  for (int s = 0; s < horizon; ++s) f.row(s) = a.row(origin);
  return f;
}

// In kyper predict's format: origin as a file line (row + 2), then a<k>@t+<s>_mean step-major.
void write_forecast(const std::string& path, const Forecasts& forecasts, int modes, int horizon) {
  std::ofstream out(path);
  KYPER_REQUIRE(out, "cannot write '" << path << "'");
  out << "origin";
  for (int s = 1; s <= horizon; ++s)
    for (int k = 0; k < modes; ++k) out << ",a" << k << "@t+" << s << "_mean";
  out << '\n';
  char buf[32];
  for (const auto& [origin, f] : forecasts) {
    out << origin + 2;
    for (int s = 0; s < horizon; ++s)
      for (int k = 0; k < modes; ++k) std::snprintf(buf, sizeof buf, ",%.9g", f(s, k)), out << buf;
    out << '\n';
  }
}

// Keyed by the series row of the origin.
Forecasts read_forecast(const std::string& path, int modes, int window, int horizon, const std::string& origin) {
  std::vector<std::string> names = {"origin"};
  for (int s = 1; s <= horizon; ++s)
    for (int k = 0; k < modes; ++k) {
      const std::string name = "a" + std::to_string(k) + "@t+" + std::to_string(s);
      names.push_back(name + "_mean|" + name);
    }
  const Columns c = read_columns(path, names);
  KYPER_REQUIRE(!c.rows.empty(), path << ": no forecasts");
  long first = std::lround(c.rows.front()[0]);
  for (const auto& row : c.rows) first = std::min(first, long(std::lround(row[0])));
  long offset = origin == "line" ? 2 : origin == "row" ? 0 : -1;
  if (offset < 0) {
    KYPER_REQUIRE(first == window + 1 || first == window - 1,
                  path << ": the first origin is " << first << ", neither a file line (" << window + 1
                       << ") nor a row (" << window - 1 << ") of a window of " << window
                       << " steps; say which with --origin line|row");
    offset = first == window + 1 ? 2 : 0;
  }
  Forecasts out;
  for (const auto& row : c.rows) {
    Matrix f(horizon, modes);
    for (int s = 0; s < horizon; ++s)
      for (int k = 0; k < modes; ++k) f(s, k) = row[1 + std::size_t(s) * modes + k];
    out[long(std::lround(row[0])) - offset] = f;
  }
  return out;
}

// Squared field error of the reconstruction from `a` against snapshot `week`, summed over cells.
double squared_error(const sst::Pod& pod, const sst::Snapshots& snaps, int week, const Eigen::RowVectorXd& a) {
  const float* truth = snaps.week(week);
  double sum = 0;
  for (std::size_t c = 0; c < pod.cells(); ++c) {
    double v = pod.mean[c];
    for (int k = 0; k < pod.modes; ++k) v += a(k) * pod.mode(k)[c];
    const double e = v - truth[c];
    sum += e * e;
  }
  return sum;
}

std::string coefficient_chart(const Series& series, const std::map<std::string, const Forecasts*>& methods, int mode,
                              int step, long first, long last) {
  kyper::plot::SvgChart chart(900, 260, {64, 16, 28, 44});
  std::vector<double> xs, ys;
  double lo = 1e300, hi = -1e300;
  for (long r = first; r <= last; ++r) {
    xs.push_back(series.weeks[std::size_t(r)]), ys.push_back(series.a(r, mode));
    lo = std::min(lo, ys.back()), hi = std::max(hi, ys.back());
  }
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> lines;
  for (const auto& [name, forecasts] : methods)
    for (const auto& [origin, f] : *forecasts) {
      const long r = origin + step;
      if (r < first || r > last) continue;
      lines[name].first.push_back(series.weeks[std::size_t(r)]);
      lines[name].second.push_back(f(step - 1, mode));
      lo = std::min(lo, f(step - 1, mode)), hi = std::max(hi, f(step - 1, mode));
    }
  const auto x = chart.x_linear(xs.front(), xs.back());
  const auto y = chart.y_linear(lo, hi);
  chart.axes(x, y, "week", "a" + std::to_string(mode));
  chart.line(xs, ys, x, y, "truth", "true a" + std::to_string(mode));
  int row = 1;
  chart.legend(0, "truth", "true a" + std::to_string(mode));
  for (const auto& [name, line] : lines) {
    const std::string css = name == "model" ? "model" : name == "AR" ? "ar" : "persistence";
    chart.line(line.first, line.second, x, y, css, name + " at t+" + std::to_string(step));
    chart.legend(row++, css, name + " (t+" + std::to_string(step) + ")");
  }
  chart.text(chart.left(), 18, "POD coefficient a" + std::to_string(mode) + ": truth and forecasts " +
                                   std::to_string(step) + " weeks ahead",
             "label");
  return chart.str("POD coefficient a" + std::to_string(mode));
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  const sst::Pod pod = sst::read_pod((fs::path(o.data) / "pod.bin").string());
  const sst::Snapshots snaps = sst::read_snapshots((fs::path(o.data) / "snapshots.bin").string());
  KYPER_REQUIRE(snaps.nx == pod.nx && snaps.ny == pod.ny, "pod.bin and snapshots.bin have different grids");
  const int modes = pod.modes, window = o.window, horizon = o.horizon;
  const Series train = read_series((fs::path(o.data) / "train.csv").string(), modes);
  const Series series = read_series(o.series, modes);
  for (int w : series.weeks) KYPER_REQUIRE(w >= 0 && w < snaps.weeks, o.series << ": week " << w << " has no snapshot");
  const long rows = series.a.rows();

  // Origins with a whole window of inputs and a whole horizon of known, held-out weeks (the series
  // may start with training weeks, as inputs of the first windows).
  std::vector<long> origins;
  for (long r = window - 1; r + horizon < rows; ++r)
    if (series.weeks[std::size_t(r) + 1] >= pod.train_weeks) origins.push_back(r);
  KYPER_REQUIRE(!origins.empty(), o.series << " is shorter than a window and a horizon");

  const bool calendar = train.calendar.cols() == 2 && series.calendar.cols() == 2;
  const Autoregression ar(train, window, horizon, calendar);
  Forecasts ar_forecasts, persistence_forecasts, model_forecasts;
  for (long r = window - 1; r < rows; ++r) {
    ar_forecasts[r] = ar.forecast(series, r);
    persistence_forecasts[r] = persistence(series.a, r, horizon);
  }
  if (!o.write_method.empty()) {
    write_forecast(o.write_path, o.write_method == "ar" ? ar_forecasts : persistence_forecasts, modes, horizon);
    std::printf("wrote the %s forecast of %s to %s\n", o.write_method.c_str(), o.series.c_str(), o.write_path.c_str());
  }
  if (!o.forecast.empty()) {
    model_forecasts = read_forecast(o.forecast, modes, window, horizon, o.origin);
    std::vector<long> kept;
    for (long r : origins)
      if (model_forecasts.count(r)) kept.push_back(r);
    KYPER_REQUIRE(!kept.empty(), o.forecast << ": no forecast origin inside " << o.series);
    if (kept.size() < origins.size())
      std::printf("note: %s has %zu of the %zu origins; scoring those\n", o.forecast.c_str(), kept.size(), origins.size());
    origins = kept;
  }

  // Field RMSE per step: over the origins' target weeks and every cell.
  const bool with_model = !o.forecast.empty();
  std::vector<double> rmse_model(horizon), rmse_persist(horizon), rmse_ar(horizon), rmse_floor(horizon);
  double variance = 0;  // of the target fields about the training mean, for scale
  for (int s = 1; s <= horizon; ++s) {
    double em = 0, ep = 0, ea = 0, ef = 0, vv = 0;
    for (long r : origins) {
      const int week = series.weeks[std::size_t(r + s)];
      if (with_model) em += squared_error(pod, snaps, week, model_forecasts[r].row(s - 1));
      ep += squared_error(pod, snaps, week, persistence_forecasts[r].row(s - 1));
      ea += squared_error(pod, snaps, week, ar_forecasts[r].row(s - 1));
      // The truth's own coefficients, projected from the snapshot (not read back from the CSV).
      Eigen::RowVectorXd a(modes);
      for (int k = 0; k < modes; ++k) a(k) = pod.project(k, snaps.week(week));
      ef += squared_error(pod, snaps, week, a);
      if (s == 1)
        for (std::size_t c = 0; c < pod.cells(); ++c) vv += std::pow(snaps.week(week)[c] - pod.mean[c], 2);
    }
    const double n = double(origins.size()) * double(pod.cells());
    rmse_model[s - 1] = std::sqrt(em / n), rmse_persist[s - 1] = std::sqrt(ep / n);
    rmse_ar[s - 1] = std::sqrt(ea / n), rmse_floor[s - 1] = std::sqrt(ef / n);
    if (s == 1) variance = vv / n;
  }

  std::printf("field RMSE per horizon step (%zu forecasts from %s, weeks %d-%d; %d modes, %dx%d grid;\n"
              "anomaly std about the training mean %.3f)\n",
              origins.size(), o.series.c_str(), series.weeks[std::size_t(origins.front()) + 1],
              series.weeks[std::size_t(origins.back()) + horizon], modes, pod.nx, pod.ny, std::sqrt(variance));
  const std::string ar_name = "AR(" + std::to_string(window) + (calendar ? ")+season" : ")");
  std::printf("| step |%s persistence | %s | POD floor |\n", with_model ? " model |" : "", ar_name.c_str());
  std::printf("|---:|%s---:|---:|---:|\n", with_model ? "---:|" : "");
  bool beats_persistence = true, beats_ar = true;
  for (int s = 0; s < horizon; ++s) {
    std::printf("| t+%d |", s + 1);
    if (with_model) std::printf(" %.4f |", rmse_model[s]);
    std::printf(" %.4f | %.4f | %.4f |\n", rmse_persist[s], rmse_ar[s], rmse_floor[s]);
    beats_persistence = beats_persistence && rmse_model[s] < rmse_persist[s];
    beats_ar = beats_ar && rmse_model[s] < rmse_ar[s];
  }
  auto mean_of = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / double(v.size());
  };
  std::printf("| mean |");
  if (with_model) std::printf(" %.4f |", mean_of(rmse_model));
  std::printf(" %.4f | %.4f | %.4f |\n", mean_of(rmse_persist), mean_of(rmse_ar), mean_of(rmse_floor));
  if (with_model) {
    std::printf("model beats persistence at every step: %s\n", beats_persistence ? "yes" : "no");
    std::printf("model beats %s at every step: %s\n", ar_name.c_str(), beats_ar ? "yes" : "no");
  }

  if (!o.table.empty()) {
    std::vector<std::string> columns = {"step", "persistence", "ar", "pod_floor"};
    if (with_model) columns.insert(columns.begin() + 1, "model");
    std::vector<double> values;
    for (int s = 0; s < horizon; ++s) {
      values.push_back(s + 1);
      if (with_model) values.push_back(rmse_model[s]);
      values.push_back(rmse_persist[s]), values.push_back(rmse_ar[s]), values.push_back(rmse_floor[s]);
    }
    kyper::write_csv(o.table, columns, values);
  }

  if (!o.svg.empty()) {
    // Two years of the held-out period (from its first origin), forecasts `horizon` weeks ahead.
    const long first = origins.front() + 1, last = std::min(rows - 1, first + 2 * 52 - 1);
    std::map<std::string, const Forecasts*> methods = {{"AR", &ar_forecasts}};
    if (with_model) methods["model"] = &model_forecasts;
    std::string svg =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"540\" viewBox=\"0 0 900 540\">"
        "<style>text{font:11px sans-serif;fill:#222}.axis line{stroke:#5f6b76;stroke-width:1}.axis .grid{stroke:#e6e9ec}"
        ".label{font-size:12px}.tick{fill:#4a535c}.legend-box{fill:#fff;fill-opacity:.85}"
        "path.truth,line.truth{fill:none;stroke:#222;stroke-width:2}path.model,line.model{fill:none;stroke:#d9480f;stroke-width:1.5}"
        "path.ar,line.ar{fill:none;stroke:#2f6fb3;stroke-width:1.2;stroke-dasharray:5 3}</style>";
    for (int mode = 0; mode < std::min(2, modes); ++mode)
      svg += "<g transform=\"translate(0 " + std::to_string(270 * mode) + ")\">" +
             coefficient_chart(series, methods, mode, horizon, first, last) + "</g>";
    svg += "</svg>\n";
    std::ofstream out(o.svg);
    KYPER_REQUIRE(out << svg, "cannot write '" << o.svg << "'");
    std::printf("wrote %s\n", o.svg.c_str());
  }
  if (o.check && !beats_persistence) {
    std::fprintf(stderr, "sst_evaluate: check failed: the model does not beat persistence at every horizon step\n");
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sst_evaluate: %s\n", e.what());
  return 2;
}
