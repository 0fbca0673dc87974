// Sliding windows over a time series (see kyper/sequence.hpp).
#include <kyper/sequence.hpp>

#include <kyper/error.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <unordered_map>

namespace kyper {

namespace {

std::string list_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

void check_names(const std::vector<std::string>& names, const char* what, const std::string& where) {
  std::set<std::string> seen;
  for (const std::string& name : names) {
    KYPER_REQUIRE(!name.empty(), where << ": " << what << " has an empty column name");
    KYPER_REQUIRE(seen.insert(name).second, where << ": " << what << " names column '" << name << "' twice");
  }
}

std::string step_name(const std::string& column, long offset) {
  if (offset == 0) return column + "@t0";
  return column + "@t" + (offset > 0 ? "+" : "") + std::to_string(offset);
}

std::vector<std::size_t> column_indices(const Table& series, const std::vector<std::string>& names) {
  std::vector<std::size_t> out;
  for (const auto& name : names) out.push_back(series.column_index(name));
  return out;
}

// Windows starting at `starts` (row of the first input step).
SequenceWindows gather(const Table& series, const SequenceSpec& spec, const std::vector<std::size_t>& starts,
                       bool with_targets) {
  const std::size_t window = std::size_t(spec.window), horizon = std::size_t(spec.horizon);
  const auto in_cols = column_indices(series, spec.inputs);
  const auto out_cols = with_targets ? column_indices(series, spec.targets) : std::vector<std::size_t>{};
  SequenceWindows w;
  w.data.source = series.source;
  w.data.feature_names = sequence_feature_names(spec);
  if (with_targets) w.data.target_names = sequence_target_names(spec);
  w.data.features.reserve(starts.size() * window * in_cols.size());
  w.data.targets.reserve(starts.size() * horizon * out_cols.size());
  for (std::size_t start : starts) {
    for (std::size_t step = 0; step < window; ++step)
      for (std::size_t c : in_cols) w.data.features.push_back(float(series.at(start + step, c)));
    for (std::size_t step = 0; step < horizon && with_targets; ++step)
      for (std::size_t c : out_cols) w.data.targets.push_back(float(series.at(start + window + step, c)));
    w.origins.push_back(start + window - 1);
  }
  return w;
}

void check_length(const Table& series, const SequenceSpec& spec, bool with_targets) {
  const std::size_t need = std::size_t(spec.window) + (with_targets ? std::size_t(spec.horizon) : 0);
  KYPER_REQUIRE(series.rows() >= need,
                series.source << ": the series has " << series.rows() << " rows; a window of " << spec.window
                              << " steps" << (with_targets ? " and a horizon of " + std::to_string(spec.horizon) + " need" : " needs")
                              << " at least " << need);
}

// Per-column statistics of `columns` over rows [0, rows), repeated `steps` times.
Scaler fit_columns(const Table& series, const std::vector<std::string>& columns, std::size_t rows, std::size_t steps,
                   ScalerKind kind) {
  const auto cols = column_indices(series, columns);
  std::vector<float> values;
  values.reserve(rows * cols.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c : cols) values.push_back(float(series.at(r, c)));
  Scaler scaler(kind);
  scaler.fit(values.data(), rows, cols.size());
  return scaler.repeat(steps);
}

}  // namespace

void check_sequence_spec(const SequenceSpec& spec, const std::string& where) {
  KYPER_REQUIRE(spec.window >= 1, where << ": the window must be at least 1 step, got " << spec.window);
  KYPER_REQUIRE(spec.horizon >= 1, where << ": the horizon must be at least 1 step, got " << spec.horizon);
  KYPER_REQUIRE(spec.stride >= 1, where << ": the stride must be at least 1 row, got " << spec.stride);
  KYPER_REQUIRE(!spec.inputs.empty(), where << ": no input columns");
  KYPER_REQUIRE(!spec.targets.empty(), where << ": no target columns: name the columns to forecast");
  check_names(spec.inputs, "inputs", where);
  check_names(spec.targets, "targets", where);
}

std::vector<std::string> sequence_feature_names(const SequenceSpec& spec) {
  std::vector<std::string> names;
  for (long step = 0; step < spec.window; ++step)
    for (const auto& c : spec.inputs) names.push_back(step_name(c, step - (spec.window - 1)));
  return names;
}

std::vector<std::string> sequence_target_names(const SequenceSpec& spec) {
  std::vector<std::string> names;
  for (long step = 1; step <= spec.horizon; ++step)
    for (const auto& c : spec.targets) names.push_back(step_name(c, step));
  return names;
}

Table read_series(const std::string& path, const std::vector<std::string>& required,
                  const std::vector<std::string>& optional) {
  CsvReader reader = CsvReader::from_file(path);
  CsvRecord record;
  KYPER_REQUIRE(reader.next(record) && !record.blank(), path << ":1: expected the header row (column names) on line 1");
  std::unordered_map<std::string, std::size_t> header;
  std::vector<std::string> names;
  for (std::size_t c = 0; c < record.cells.size(); ++c) {
    const std::string& name = record.cells[c];
    KYPER_REQUIRE(!name.empty(), path << ":1: column " << c + 1 << " has an empty name");
    auto [it, inserted] = header.emplace(name, c);
    KYPER_REQUIRE(inserted, path << ":1: column '" << name << "' (" << c + 1 << ") duplicates the name of column "
                                 << it->second + 1);
    names.push_back(name);
  }

  Table table;
  table.source = path;
  std::vector<std::size_t> file_cols;
  auto take = [&](const std::string& name, bool must) {
    if (std::find(table.columns.begin(), table.columns.end(), name) != table.columns.end()) return;
    auto it = header.find(name);
    KYPER_REQUIRE(it != header.end() || !must,
                  path << ": no column named '" << name << "'; available columns: " << list_names(names));
    if (it == header.end()) return;
    table.columns.push_back(name);
    file_cols.push_back(it->second);
  };
  if (required.empty() && optional.empty()) {
    for (const auto& name : names) take(name, true);
  }
  for (const auto& name : required) take(name, true);
  for (const auto& name : optional) take(name, false);

  std::size_t first_blank = 0;
  while (reader.next(record)) {
    if (record.blank()) {
      if (first_blank == 0) first_blank = record.line;
      continue;
    }
    const std::size_t line = record.line;
    KYPER_REQUIRE(first_blank == 0, path << ":" << first_blank << ": blank line between data rows (data continues on line "
                                         << line << ")");
    // Row r is line r + 2: the origins written by kyper predict and every message rely on it.
    KYPER_REQUIRE(line == table.rows() + 2 || table.columns.empty(),
                  path << ":" << line << ": a row of a series must sit on one line (a quoted cell above spans lines)");
    for (std::size_t j = 0; j < file_cols.size(); ++j) {
      const std::size_t c = file_cols[j];
      const std::string& name = table.columns[j];
      KYPER_REQUIRE(c < record.cells.size(), path << ":" << line << ": column '" << name << "' (" << c + 1
                                                  << ") is missing: the row has " << record.cells.size()
                                                  << " cells but the header has " << names.size() << " columns");
      const std::string& cell = record.cells[c];
      double value = 0;
      const NumberParse parsed = parse_number(cell, value);
      KYPER_REQUIRE(parsed == NumberParse::ok && std::isfinite(value) && std::isfinite(float(value)),
                    path << ":" << line << ": column '" << name << "' (" << c + 1 << "): expected a finite number"
                         << " that fits in a float, got " << describe_cell(cell)
                         << (cell.empty() ? " (a series must have no gaps: fill or drop the row first)" : ""));
      table.values.push_back(value);
    }
  }
  KYPER_REQUIRE(!table.columns.empty(), path << ": none of the columns asked for is in the file");
  KYPER_REQUIRE(table.rows() > 0, path << ": has a header (line 1) but no data rows");
  return table;
}

SequenceWindows make_windows(const Table& series, const SequenceSpec& spec) {
  check_sequence_spec(spec, series.source);
  check_length(series, spec, true);
  std::vector<std::size_t> starts;
  const std::size_t span = std::size_t(spec.window + spec.horizon);
  for (std::size_t s = 0; s + span <= series.rows(); s += std::size_t(spec.stride)) starts.push_back(s);
  return gather(series, spec, starts, true);
}

SequenceWindows make_prediction_windows(const Table& series, const SequenceSpec& spec) {
  KYPER_REQUIRE(spec.window >= 1, series.source << ": the window must be at least 1 step, got " << spec.window);
  check_length(series, spec, false);
  std::vector<std::size_t> starts;
  for (std::size_t s = 0; s + std::size_t(spec.window) <= series.rows(); ++s) starts.push_back(s);
  return gather(series, spec, starts, false);
}

SequenceSplit split_sequence(const Table& series, const SequenceSpec& spec, double validation_fraction,
                             ScalerKind feature_scaling, ScalerKind target_scaling) {
  check_sequence_spec(spec, series.source);
  KYPER_REQUIRE(validation_fraction > 0 && validation_fraction < 1,
                series.source << ": the validation fraction must be in (0, 1), got " << validation_fraction);
  check_length(series, spec, true);
  const std::size_t n = series.rows();
  std::size_t n_val = std::size_t(std::llround(validation_fraction * double(n)));
  n_val = std::max<std::size_t>(n_val, 1);
  n_val = std::min(n_val, n);
  const std::size_t s = n - n_val;
  const std::size_t window = std::size_t(spec.window), span = window + std::size_t(spec.horizon);

  std::vector<std::size_t> train, validation;
  for (std::size_t start = 0; start + span <= n; start += std::size_t(spec.stride)) {
    if (start + span <= s) train.push_back(start);
    else if (start + window >= s) validation.push_back(start);
    // else: inputs before s, targets straddling it: neither part may use it without leaking.
  }
  std::ostringstream where_text;
  where_text << series.source << ": the series has " << n << " rows; its last " << n_val << " (validation fraction "
             << validation_fraction << ", from line " << s + 2 << ") are the validation part, ";
  const std::string where = where_text.str();
  KYPER_REQUIRE(!train.empty(), where << "which leaves no training window (a window of " << spec.window
                                      << " steps and a horizon of " << spec.horizon << " need " << span
                                      << " rows before it); use a longer series, a shorter window or horizon, or a "
                                         "smaller validation fraction");
  KYPER_REQUIRE(!validation.empty(), where << "which holds no validation window (its first target row must be in it and "
                                           << "all " << spec.horizon << " target rows inside the series, on the grid "
                                           << "of stride " << spec.stride
                                           << "); use a larger validation fraction or a smaller horizon or stride");
  SequenceSplit out;
  out.split_row = s;
  out.train = gather(series, spec, train, true);
  out.validation = gather(series, spec, validation, true);
  out.feature_scaler = fit_columns(series, spec.inputs, s, window, feature_scaling);
  out.target_scaler = fit_columns(series, spec.targets, s, std::size_t(spec.horizon), target_scaling);
  return out;
}

}  // namespace kyper
