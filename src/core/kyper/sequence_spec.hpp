// How a model reads a time series: sliding windows of `window` past steps of the input columns,
// forecasting `horizon` future steps of the target columns, a window starting every `stride` rows.
// Saved with the model so `kyper predict` can cut the same windows from a new series.
#pragma once

#include <string>
#include <vector>

#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

namespace kyper {

struct SequenceSpec {
  int window = 0;
  int horizon = 1;
  int stride = 1;
  std::vector<std::string> inputs;   // columns read at every past step
  std::vector<std::string> targets;  // columns forecast at every future step

  bool enabled() const { return window > 0; }

  template <class Archive>
  void serialize(Archive& ar) {
    ar(cereal::make_nvp("window", window), cereal::make_nvp("horizon", horizon), cereal::make_nvp("stride", stride),
       cereal::make_nvp("inputs", inputs), cereal::make_nvp("targets", targets));
  }
};

}  // namespace kyper
