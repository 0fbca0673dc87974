// Training data as the model sees it: float32 feature and target matrices picked out of a
// Table by column name, plus a seeded, platform-independent train/validation split.
#pragma once

#include <kyper/csv.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kyper {

struct Dataset {
  std::vector<float> features;  // rows() x num_features(), row-major
  std::vector<float> targets;   // rows() x num_targets(), row-major; empty when predicting
  std::vector<std::string> feature_names;
  std::vector<std::string> target_names;
  std::string source;  // file the rows came from (error messages)

  std::size_t rows() const {
    return feature_names.empty() ? 0 : features.size() / feature_names.size();
  }
  std::size_t num_features() const { return feature_names.size(); }
  std::size_t num_targets() const { return target_names.size(); }

  // The rows at `indices` (0-based, in that order; repeats allowed, e.g. for bootstraps).
  // Throws kyper::Error on an index >= rows().
  Dataset subset(const std::vector<std::size_t>& indices) const;
};

// Picks `features` and `targets` out of `table` (in the order given) and converts to float.
// Empty `features` means every column that is not a target. Targets may be empty (prediction
// input). Throws kyper::Error naming the file and column for a missing, repeated or
// feature-and-target column, and for values that overflow float.
Dataset select(const Table& table, const std::vector<std::string>& features,
               const std::vector<std::string>& targets);

struct Split {
  Dataset train;
  Dataset validation;
  // Rows of the input each part holds, ascending: lets predictions be matched to file lines.
  std::vector<std::size_t> train_indices;
  std::vector<std::size_t> validation_indices;
};

// Shuffles rows with std::mt19937_64(seed) and puts round(validation_fraction * rows) of them
// (at least one when the fraction is > 0) in validation. Each part keeps the input's row order.
// The same seed gives the same split on every platform and standard library.
// validation_fraction must be in [0, 1) and leave at least one training row.
Split split(const Dataset& data, double validation_fraction, std::uint64_t seed);

}  // namespace kyper
