// Per-column feature/target scaling (none, standard, min-max) fitted on training data, with the
// inverse maps needed to report predictions, and Gaussian-head variances, in original units.
// Serializable with cereal so a checkpoint carries the scaling it was trained with.
#pragma once

#include <cereal/cereal.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

namespace kyper {

enum class ScalerKind { none, standard, minmax };

// "none", "standard" or "minmax"; throws kyper::Error naming the bad value and the valid ones.
ScalerKind parse_scaler_kind(const std::string& name);
const char* to_string(ScalerKind kind);

// transform: x' = (x - offset[c]) / scale[c]. standard: offset = mean, scale = population
// standard deviation; minmax: offset = min, scale = max - min (maps to [0, 1]); none: identity.
// A constant column gets scale 1, so it maps to 0 rather than dividing by zero.
class Scaler {
 public:
  Scaler() = default;
  explicit Scaler(ScalerKind kind) : kind_(kind) {}
  // A fitted scaler of kind none for `cols` columns (data that is used as it is).
  static Scaler identity(std::size_t cols);
  // A fitted scaler with the given per-column statistics (e.g. fitted on a series' columns before
  // they are laid out in windows). Throws kyper::Error when the sizes differ or a scale is not
  // finite and > 0.
  static Scaler from_statistics(ScalerKind kind, std::vector<double> offset, std::vector<double> scale);
  // This fitted scaler's columns repeated `times` times, [c0..cn-1, c0..cn-1, ...]: one block per
  // step of a window whose steps hold the same columns.
  Scaler repeat(std::size_t times) const;

  // Learns offset/scale from `data` (rows x cols, row-major). Statistics are accumulated in
  // double. Throws kyper::Error on rows == 0 or a non-finite value (naming row and column).
  void fit(const float* data, std::size_t rows, std::size_t cols);

  // In place. Throw kyper::Error if not fitted or `cols` differs from the fitted width.
  void transform(float* data, std::size_t rows, std::size_t cols) const;
  void inverse_transform(float* data, std::size_t rows, std::size_t cols) const;
  // Variances in scaled units back to original units: var * scale^2 (the offset drops out).
  void inverse_transform_variance(float* data, std::size_t rows, std::size_t cols) const;

  ScalerKind kind() const { return kind_; }
  bool fitted() const { return fitted_; }
  std::size_t cols() const { return offset_.size(); }
  const std::vector<double>& offset() const { return offset_; }
  const std::vector<double>& scale() const { return scale_; }

  template <class Archive>
  void serialize(Archive& archive) {
    // The kind is stored by name: readable in JSON checkpoints and immune to enum reordering.
    std::string kind = to_string(kind_);
    archive(cereal::make_nvp("kind", kind), cereal::make_nvp("fitted", fitted_),
            cereal::make_nvp("offset", offset_), cereal::make_nvp("scale", scale_));
    if constexpr (Archive::is_loading::value) {
      kind_ = parse_scaler_kind(kind);
      check_loaded();
    }
  }

 private:
  void check_loaded() const;  // a corrupt or hand-edited checkpoint must not divide by zero
  void check_shape(const char* what, std::size_t cols) const;

  ScalerKind kind_ = ScalerKind::none;
  bool fitted_ = false;
  std::vector<double> offset_;
  std::vector<double> scale_;
};

}  // namespace kyper
