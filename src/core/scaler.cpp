// Per-column scaling (see kyper/scaler.hpp).
#include <kyper/scaler.hpp>

#include <kyper/enum_names.hpp>
#include <kyper/error.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kyper {

namespace {
const EnumNames<ScalerKind> kScalerNames("scaler", {{ScalerKind::none, "none"},
                                                   {ScalerKind::standard, "standard"},
                                                   {ScalerKind::minmax, "minmax"}});
}  // namespace

ScalerKind parse_scaler_kind(const std::string& name) { return kScalerNames.parse(name); }
const char* to_string(ScalerKind kind) { return kScalerNames.name(kind); }

Scaler Scaler::identity(std::size_t cols) {
  Scaler s(ScalerKind::none);
  s.offset_.assign(cols, 0.0);
  s.scale_.assign(cols, 1.0);
  s.fitted_ = true;
  return s;
}

Scaler Scaler::from_statistics(ScalerKind kind, std::vector<double> offset, std::vector<double> scale) {
  Scaler s(kind);
  s.offset_ = std::move(offset);
  s.scale_ = std::move(scale);
  s.fitted_ = true;
  KYPER_REQUIRE(s.offset_.size() == s.scale_.size(), "Scaler::from_statistics: " << s.offset_.size()
                                                                                << " offsets but " << s.scale_.size()
                                                                                << " scales");
  for (std::size_t c = 0; c < s.scale_.size(); ++c) {
    KYPER_REQUIRE(std::isfinite(s.offset_[c]) && std::isfinite(s.scale_[c]) && s.scale_[c] > 0.0,
                  "Scaler::from_statistics: column " << c + 1 << " has offset " << s.offset_[c] << " and scale "
                                                     << s.scale_[c] << "; the scale must be finite and > 0");
  }
  return s;
}

Scaler Scaler::repeat(std::size_t times) const {
  KYPER_REQUIRE(fitted_, "Scaler::repeat called before fit");
  Scaler s(kind_);
  s.fitted_ = true;
  for (std::size_t i = 0; i < times; ++i) {
    s.offset_.insert(s.offset_.end(), offset_.begin(), offset_.end());
    s.scale_.insert(s.scale_.end(), scale_.begin(), scale_.end());
  }
  return s;
}

void Scaler::fit(const float* data, std::size_t rows, std::size_t cols) {
  KYPER_REQUIRE(rows > 0, "Scaler::fit: no rows to fit on");
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      KYPER_REQUIRE(std::isfinite(data[r * cols + c]),
                    "Scaler::fit: element [" << r << ", " << c << "] (0-based row, column) is "
                                             << data[r * cols + c] << "; the data must be finite");
    }
  }
  std::vector<double> offset(cols, 0.0), scale(cols, 1.0);
  if (kind_ == ScalerKind::standard) {
    // Two passes: the one-pass sum-of-squares formula cancels catastrophically for columns
    // with a large mean and small spread.
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) offset[c] += data[r * cols + c];
    }
    for (double& m : offset) m /= static_cast<double>(rows);
    std::vector<double> ss(cols, 0.0);
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        const double d = data[r * cols + c] - offset[c];
        ss[c] += d * d;
      }
    }
    for (std::size_t c = 0; c < cols; ++c) scale[c] = std::sqrt(ss[c] / static_cast<double>(rows));
  } else if (kind_ == ScalerKind::minmax) {
    std::vector<double> hi(cols);
    for (std::size_t c = 0; c < cols; ++c) offset[c] = hi[c] = data[c];
    for (std::size_t r = 1; r < rows; ++r) {
      for (std::size_t c = 0; c < cols; ++c) {
        offset[c] = std::min<double>(offset[c], data[r * cols + c]);
        hi[c] = std::max<double>(hi[c], data[r * cols + c]);
      }
    }
    for (std::size_t c = 0; c < cols; ++c) scale[c] = hi[c] - offset[c];
  }
  // A constant column (exactly: a two-pass mean of equal floats is exact) would divide by zero;
  // a subnormal spread would overflow float. Either way leave the column unscaled.
  for (double& s : scale) {
    if (!(s >= std::numeric_limits<float>::min())) s = 1.0;
  }
  offset_ = std::move(offset);
  scale_ = std::move(scale);
  fitted_ = true;
}

void Scaler::check_shape(const char* what, std::size_t cols) const {
  KYPER_REQUIRE(fitted_, "Scaler::" << what << " called before fit");
  KYPER_REQUIRE(cols == offset_.size(), "Scaler::" << what << ": the scaler was fitted on "
                                                   << offset_.size() << " columns, got " << cols);
}

void Scaler::transform(float* data, std::size_t rows, std::size_t cols) const {
  check_shape("transform", cols);
  if (kind_ == ScalerKind::none) return;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      float& x = data[r * cols + c];
      x = static_cast<float>((x - offset_[c]) / scale_[c]);
    }
  }
}

void Scaler::inverse_transform(float* data, std::size_t rows, std::size_t cols) const {
  check_shape("inverse_transform", cols);
  if (kind_ == ScalerKind::none) return;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      float& x = data[r * cols + c];
      x = static_cast<float>(x * scale_[c] + offset_[c]);
    }
  }
}

void Scaler::inverse_transform_variance(float* data, std::size_t rows, std::size_t cols) const {
  check_shape("inverse_transform_variance", cols);
  if (kind_ == ScalerKind::none) return;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      float& v = data[r * cols + c];
      v = static_cast<float>(v * scale_[c] * scale_[c]);
    }
  }
}

void Scaler::check_loaded() const {
  KYPER_REQUIRE(offset_.size() == scale_.size(), "Scaler checkpoint: " << offset_.size()
                                                                       << " offsets but "
                                                                       << scale_.size()
                                                                       << " scales");
  KYPER_REQUIRE(fitted_ || offset_.empty(), "Scaler checkpoint: unfitted but has statistics");
  for (std::size_t c = 0; c < scale_.size(); ++c) {
    KYPER_REQUIRE(std::isfinite(offset_[c]) && std::isfinite(scale_[c]) && scale_[c] > 0.0,
                  "Scaler checkpoint: column " << c + 1 << " has offset " << offset_[c]
                                               << " and scale " << scale_[c]
                                               << "; the scale must be finite and > 0");
  }
}

}  // namespace kyper
