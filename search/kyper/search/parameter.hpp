// One hyperparameter: its domain and the map between that domain and the unit interval. Every
// sampler and surrogate works on [0, 1] per parameter, so scales (log), steps (arithmetic,
// geometric) and categories are all handled here, in one place.
#pragma once

#include <kyper/search/configuration.hpp>

#include <string>
#include <vector>

namespace kyper::search {

enum class ParameterType { Float, Int, Categorical, Ordinal };

const char* to_string(ParameterType type);

struct Parameter {
  std::string name;
  ParameterType type = ParameterType::Float;
  double low = 0.0, high = 1.0;  // Float / Int bounds, inclusive
  bool log = false;              // log-uniform between low and high
  double step = 0.0;             // arithmetic grid low, low+step, ... <= high (0: none)
  double ratio = 0.0;            // geometric grid low, low*ratio, ... <= high (0: none)
  std::vector<Value> choices;    // Categorical (unordered) and Ordinal (ordered) values
  Value default_value;           // monostate: the middle of the domain / first choice

  static Parameter real(std::string name, double low, double high, bool log = false);
  static Parameter integer(std::string name, double low, double high, bool log = false);
  static Parameter categorical(std::string name, std::vector<Value> choices);
  static Parameter ordinal(std::string name, std::vector<Value> sequence);

  Parameter& with_step(double s) { step = s; return *this; }
  Parameter& with_ratio(double r) { ratio = r; return *this; }
  Parameter& with_default(Value v) { default_value = std::move(v); return *this; }

  // Throws kyper::Error naming this parameter when the domain is empty or malformed.
  void validate() const;

  // Number of distinct values (0 for a continuous domain).
  std::size_t levels() const;
  bool is_discrete() const { return levels() > 0; }
  bool contains(const Value& value) const;
  // Unit-interval coordinate of a value, and the value at a coordinate (snapped to the
  // domain: integers, grid points, choices). decode(encode(v)) == v for every valid v.
  double encode(const Value& value) const;
  Value decode(double u) const;
  Value default_or_middle() const;
  // Index of `value` among the choices, or -1.
  int choice_index(const Value& value) const;

 private:
  std::size_t step_levels() const;
  std::vector<double> grid() const;  // geometric grid (short: log(high/low)/log(ratio) points)
};

}  // namespace kyper::search
