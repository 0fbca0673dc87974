// Column selection and train/validation splitting (see kyper/dataset.hpp).
#include <kyper/dataset.hpp>

#include <kyper/error.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_map>

namespace kyper {

namespace {

// Uniform integer in [0, bound) from the raw 64-bit stream. std::uniform_int_distribution and
// std::shuffle are implementation-defined, so they would give a different split with libc++
// than with libstdc++; mt19937_64's output itself is fixed by the standard. Rejection keeps it
// unbiased.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                              std::numeric_limits<std::uint64_t>::max() % bound;
  std::uint64_t x;
  do {
    x = rng();
  } while (x >= limit);
  return x % bound;
}

std::string list_columns(const std::vector<std::string>& columns) {
  std::string out;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    out += (c ? ", '" : "'") + columns[c] + "'";
  }
  return out;
}

void copy_rows(const std::vector<float>& from, std::size_t width,
               const std::vector<std::size_t>& indices, std::vector<float>& to) {
  to.resize(indices.size() * width);
  for (std::size_t i = 0; i < indices.size(); ++i) {
    std::copy_n(from.begin() + static_cast<std::ptrdiff_t>(indices[i] * width), width,
                to.begin() + static_cast<std::ptrdiff_t>(i * width));
  }
}

}  // namespace

Dataset Dataset::subset(const std::vector<std::size_t>& indices) const {
  const std::size_t n = rows();
  for (std::size_t i = 0; i < indices.size(); ++i) {
    KYPER_REQUIRE(indices[i] < n, "Dataset::subset of '" << source << "': index " << indices[i]
                                                         << " (position " << i
                                                         << ") is out of range; the data has "
                                                         << n << " rows");
  }
  Dataset out;
  out.feature_names = feature_names;
  out.target_names = target_names;
  out.source = source;
  copy_rows(features, num_features(), indices, out.features);
  copy_rows(targets, num_targets(), indices, out.targets);
  return out;
}

Dataset select(const Table& table, const std::vector<std::string>& features,
               const std::vector<std::string>& targets) {
  // Where each name is used, to reject a column picked twice (a silent duplicate input would
  // double its weight; a feature that is also a target leaks the answer).
  std::unordered_map<std::string, std::string> role;
  auto claim = [&](const std::string& name, const char* as) {
    auto [it, inserted] = role.emplace(name, as);
    KYPER_REQUIRE(inserted, table.source << ": column '" << name << "' is selected as a " << as
                                         << " but is already a " << it->second);
  };

  std::vector<std::size_t> target_cols;
  for (const std::string& name : targets) {
    claim(name, "target");
    target_cols.push_back(table.column_index(name));
  }
  std::vector<std::size_t> feature_cols;
  if (features.empty()) {
    for (std::size_t c = 0; c < table.cols(); ++c) {
      if (role.count(table.columns[c]) == 0) feature_cols.push_back(c);
    }
    KYPER_REQUIRE(!feature_cols.empty(), table.source << ": no feature columns left: every column ("
                                                      << list_columns(table.columns)
                                                      << ") is a target");
  } else {
    for (const std::string& name : features) {
      claim(name, "feature");
      feature_cols.push_back(table.column_index(name));
    }
  }

  Dataset data;
  data.source = table.source;
  for (std::size_t c : feature_cols) data.feature_names.push_back(table.columns[c]);
  for (std::size_t c : target_cols) data.target_names.push_back(table.columns[c]);

  const std::size_t n = table.rows();
  auto gather = [&](const std::vector<std::size_t>& cols, std::vector<float>& out) {
    out.resize(n * cols.size());
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t j = 0; j < cols.size(); ++j) {
        const double v = table.at(r, cols[j]);
        const float f = static_cast<float>(v);
        // 1e39 is a fine double but inf as a float: catch it here, not as a NaN loss later.
        KYPER_REQUIRE(std::isfinite(f), table.source << ":" << r + 2 << ": column '"
                                                     << table.columns[cols[j]] << "' ("
                                                     << cols[j] + 1 << "): " << v
                                                     << " does not fit in a float (|x| < 3.4e38)");
        out[r * cols.size() + j] = f;
      }
    }
  };
  gather(feature_cols, data.features);
  gather(target_cols, data.targets);
  return data;
}

Split split(const Dataset& data, double validation_fraction, std::uint64_t seed) {
  const std::size_t n = data.rows();
  KYPER_REQUIRE(validation_fraction >= 0.0 && validation_fraction < 1.0,
                "validation fraction must be in [0, 1), got " << validation_fraction);
  std::size_t n_val = static_cast<std::size_t>(std::llround(validation_fraction * static_cast<double>(n)));
  if (validation_fraction > 0.0 && n_val == 0) n_val = 1;  // asked for validation: give some
  KYPER_REQUIRE(n_val < n, "validation fraction " << validation_fraction << " of the " << n
                                                  << " rows in '" << data.source
                                                  << "' leaves no training rows");

  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  for (std::size_t i = n; i > 1; --i) {  // Fisher-Yates
    std::swap(order[i - 1], order[uniform_below(rng, i)]);
  }

  Split out;
  out.validation_indices.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_val));
  out.train_indices.assign(order.begin() + static_cast<std::ptrdiff_t>(n_val), order.end());
  std::sort(out.validation_indices.begin(), out.validation_indices.end());
  std::sort(out.train_indices.begin(), out.train_indices.end());
  out.train = data.subset(out.train_indices);
  out.validation = data.subset(out.validation_indices);
  return out;
}

}  // namespace kyper
