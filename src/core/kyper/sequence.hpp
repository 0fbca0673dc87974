// Time series as training data: a CSV series read in time order, cut into sliding windows of past
// input steps and future target steps (the layout of a sequence_input node), split by time without
// leakage, with scalers fitted on the training part only and repeated for every step of a window.
#pragma once

#include <kyper/csv.hpp>
#include <kyper/dataset.hpp>
#include <kyper/scaler.hpp>
#include <kyper/sequence_spec.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace kyper {

// Throws kyper::Error, prefixed by `where` (a file, or "file: key 'sequence'"), unless window,
// horizon and stride are >= 1, targets are given, and no column is empty or named twice in inputs
// or in targets (a column may be both an input and a target: its past predicts its future).
void check_sequence_spec(const SequenceSpec& spec, const std::string& where);

// Column names of a window: inputs step-major, oldest first ("temp@t-7", ..., "temp@t0"), and
// targets step-major ("temp@t+1", ..., "temp@t+<horizon>").
std::vector<std::string> sequence_feature_names(const SequenceSpec& spec);
std::vector<std::string> sequence_target_names(const SequenceSpec& spec);

// Reads a time series from a CSV file: the columns `required` in that order, then those of
// `optional` the file has (skipping ones already read). Both empty: every column, in file order.
// Only the columns read must hold numbers (others, e.g. a timestamp, may hold anything). Data row r
// is line r + 2 of the file. Throws kyper::Error naming the file, line and column for a missing
// column, a missing or non-numeric cell, or a value that does not fit in a float.
Table read_series(const std::string& path, const std::vector<std::string>& required,
                  const std::vector<std::string>& optional = {});

// Windows cut from a series: Dataset rows plus, per row, the 0-based series row of its last input
// step (the forecast's origin; its file line is origin + 2).
struct SequenceWindows {
  Dataset data;  // features: window x inputs; targets: horizon x targets (empty when predicting)
  std::vector<std::size_t> origins;
};

// Every window with its inputs and targets inside the series, starting at row 0 and every
// `stride` rows after it. Throws when the series is shorter than window + horizon.
SequenceWindows make_windows(const Table& series, const SequenceSpec& spec);
// Inputs only, at every row where a whole window of inputs exists (stride 1: one forecast per
// origin, including the last rows, whose future is unknown). Targets need not be in the series.
SequenceWindows make_prediction_windows(const Table& series, const SequenceSpec& spec);

// A split by time. Row `split_row` = rows - round(validation_fraction x rows) (at least one row) is
// the first row of the validation part. Training windows have all their rows (inputs and targets)
// before it; validation windows have their first target row at or after it (their inputs may
// reach back into the training part, which is known at forecast time). Both follow the stride
// grid of make_windows.
struct SequenceSplit {
  SequenceWindows train, validation;
  std::size_t split_row = 0;
  // Fitted per column on the series rows before split_row only, then repeated for every step of a
  // window: widths window x inputs and horizon x targets. Hand them to Model::set_scalers.
  Scaler feature_scaler, target_scaler;
};

// Throws naming the file when no training or no validation window is left.
SequenceSplit split_sequence(const Table& series, const SequenceSpec& spec, double validation_fraction,
                             ScalerKind feature_scaling = ScalerKind::standard,
                             ScalerKind target_scaling = ScalerKind::standard);

}  // namespace kyper
