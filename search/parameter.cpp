#include <kyper/error.hpp>
#include <kyper/search/parameter.hpp>

#include <algorithm>
#include <cmath>

namespace kyper::search {

namespace {
// Steps and ratios expand to an explicit grid; beyond this a plain range is what was meant.
constexpr std::size_t kMaxGrid = 1u << 22;

std::size_t bucket(double u, std::size_t m) {
  const double clamped = std::min(std::max(u, 0.0), 1.0);
  return std::min(m - 1, static_cast<std::size_t>(clamped * static_cast<double>(m)));
}
double bucket_center(std::size_t i, std::size_t m) {
  return (static_cast<double>(i) + 0.5) / static_cast<double>(m);
}
}  // namespace

const char* to_string(ParameterType type) {
  switch (type) {
    case ParameterType::Float: return "float";
    case ParameterType::Int: return "int";
    case ParameterType::Categorical: return "categorical";
    case ParameterType::Ordinal: return "ordinal";
  }
  return "?";
}

Parameter Parameter::real(std::string name, double low, double high, bool log) {
  Parameter p;
  p.name = std::move(name);
  p.type = ParameterType::Float;
  p.low = low;
  p.high = high;
  p.log = log;
  return p;
}

Parameter Parameter::integer(std::string name, double low, double high, bool log) {
  Parameter p = real(std::move(name), low, high, log);
  p.type = ParameterType::Int;
  return p;
}

Parameter Parameter::categorical(std::string name, std::vector<Value> choices) {
  Parameter p;
  p.name = std::move(name);
  p.type = ParameterType::Categorical;
  p.choices = std::move(choices);
  return p;
}

Parameter Parameter::ordinal(std::string name, std::vector<Value> sequence) {
  Parameter p = categorical(std::move(name), std::move(sequence));
  p.type = ParameterType::Ordinal;
  return p;
}

void Parameter::validate() const {
  KYPER_REQUIRE(!name.empty(), "a parameter has an empty name");
  if (type == ParameterType::Categorical || type == ParameterType::Ordinal) {
    KYPER_REQUIRE(!choices.empty(), "parameter '" << name << "': " << to_string(type)
                                                  << " parameter has no choices");
    for (std::size_t i = 0; i < choices.size(); ++i) {
      KYPER_REQUIRE(is_active(choices[i]), "parameter '" << name << "': choice " << i << " is empty");
      for (std::size_t j = 0; j < i; ++j)
        KYPER_REQUIRE(choices[i] != choices[j], "parameter '" << name << "': choice '"
                                                              << value_to_string(choices[i])
                                                              << "' appears twice");
    }
  } else {
    KYPER_REQUIRE(std::isfinite(low) && std::isfinite(high),
                  "parameter '" << name << "': bounds must be finite");
    KYPER_REQUIRE(low < high, "parameter '" << name << "': lower bound " << low
                                            << " must be < upper bound " << high);
    KYPER_REQUIRE(!log || low > 0, "parameter '" << name << "': log scale needs lower bound > 0, got "
                                                 << low);
    KYPER_REQUIRE(step >= 0, "parameter '" << name << "': step must be > 0, got " << step);
    KYPER_REQUIRE(ratio == 0 || ratio > 1,
                  "parameter '" << name << "': ratio must be > 1, got " << ratio);
    KYPER_REQUIRE(ratio == 0 || low > 0,
                  "parameter '" << name << "': geometric steps need lower bound > 0, got " << low);
    KYPER_REQUIRE(step == 0 || ratio == 0,
                  "parameter '" << name << "': give either step or ratio, not both");
    KYPER_REQUIRE(step == 0 || !log, "parameter '" << name
                                                   << "': an arithmetic step cannot be log-scaled");
    if (type == ParameterType::Int) {
      KYPER_REQUIRE(std::floor(low) == low && std::floor(high) == high,
                    "parameter '" << name << "': integer bounds must be integers");
      KYPER_REQUIRE(step == 0 || std::floor(step) == step,
                    "parameter '" << name << "': integer step must be an integer");
    }
    if (step > 0)
      KYPER_REQUIRE((high - low) / step < static_cast<double>(kMaxGrid),
                    "parameter '" << name << "': step " << step << " gives too many values");
  }
  if (is_active(default_value))
    KYPER_REQUIRE(contains(default_value), "parameter '" << name << "': default "
                                                         << value_to_string(default_value)
                                                         << " is outside the domain");
}

std::size_t Parameter::step_levels() const {
  return static_cast<std::size_t>(std::floor((high - low) / step + 1e-9)) + 1;
}

std::vector<double> Parameter::grid() const {
  std::vector<double> g;
  if (ratio > 0) {
    for (double x = low; x <= high * (1 + 1e-12) && g.size() < kMaxGrid; x *= ratio)
      g.push_back(type == ParameterType::Int ? std::round(x) : x);
    g.erase(std::unique(g.begin(), g.end()), g.end());
  }
  return g;
}

std::size_t Parameter::levels() const {
  switch (type) {
    case ParameterType::Categorical:
    case ParameterType::Ordinal: return choices.size();
    case ParameterType::Float:
      if (step > 0) return step_levels();
      return ratio > 0 ? grid().size() : 0;
    case ParameterType::Int:
      if (step > 0) return step_levels();
      if (ratio > 0) return grid().size();
      return log ? 0 : static_cast<std::size_t>(high - low) + 1;
  }
  return 0;
}

int Parameter::choice_index(const Value& value) const {
  for (std::size_t i = 0; i < choices.size(); ++i)
    if (choices[i] == value) return static_cast<int>(i);
  return -1;
}

bool Parameter::contains(const Value& value) const {
  if (type == ParameterType::Categorical || type == ParameterType::Ordinal)
    return choice_index(value) >= 0;
  if (!std::holds_alternative<double>(value)) return false;
  const double x = std::get<double>(value);
  if (!(x >= low && x <= high)) return false;
  if (type == ParameterType::Int && std::floor(x) != x) return false;
  if (step > 0) {
    const double k = std::round((x - low) / step);
    return std::abs(low + k * step - x) <= 1e-9 * std::max(1.0, std::abs(x));
  }
  if (ratio > 0) {
    for (double g : grid())
      if (std::abs(g - x) <= 1e-9 * std::max(1.0, std::abs(x))) return true;
    return false;
  }
  return true;
}

double Parameter::encode(const Value& value) const {
  if (type == ParameterType::Categorical || type == ParameterType::Ordinal) {
    const int i = choice_index(value);
    KYPER_REQUIRE(i >= 0, "parameter '" << name << "': '" << value_to_string(value)
                                        << "' is not one of its choices");
    return bucket_center(static_cast<std::size_t>(i), choices.size());
  }
  KYPER_REQUIRE(std::holds_alternative<double>(value),
                "parameter '" << name << "': expected a number, got '" << value_to_string(value)
                              << "'");
  const double x = std::get<double>(value);
  if (step > 0) {
    const double k = std::round((x - low) / step);
    const auto m = step_levels();
    return bucket_center(static_cast<std::size_t>(std::min(std::max(k, 0.0), double(m - 1))), m);
  }
  if (ratio > 0) {
    const auto g = grid();
    std::size_t best = 0;
    for (std::size_t i = 1; i < g.size(); ++i)
      if (std::abs(g[i] - x) < std::abs(g[best] - x)) best = i;
    return bucket_center(best, g.size());
  }
  if (type == ParameterType::Int) {
    if (log) {
      // Integer k owns [k-1/2, k+1/2] in log space, so each value keeps its log-uniform mass.
      const double a = std::log(low - 0.5), b = std::log(high + 0.5);
      return (std::log(x) - a) / (b - a);
    }
    return bucket_center(static_cast<std::size_t>(std::llround(x - low)),
                         static_cast<std::size_t>(high - low) + 1);
  }
  if (log) return (std::log(x) - std::log(low)) / (std::log(high) - std::log(low));
  return (x - low) / (high - low);
}

Value Parameter::decode(double u) const {
  u = std::min(std::max(u, 0.0), 1.0);
  if (type == ParameterType::Categorical || type == ParameterType::Ordinal)
    return choices[bucket(u, choices.size())];
  if (step > 0) return low + static_cast<double>(bucket(u, step_levels())) * step;
  if (ratio > 0) {
    const auto g = grid();
    return g[bucket(u, g.size())];
  }
  if (type == ParameterType::Int) {
    if (log) {
      const double a = std::log(low - 0.5), b = std::log(high + 0.5);
      const double x = std::round(std::exp(a + u * (b - a)));
      return std::min(std::max(x, low), high);
    }
    return low + static_cast<double>(bucket(u, static_cast<std::size_t>(high - low) + 1));
  }
  double x = log ? std::exp(std::log(low) + u * (std::log(high) - std::log(low)))
                 : low + u * (high - low);
  return std::min(std::max(x, low), high);  // exp/log rounding must not leave the domain
}

Value Parameter::default_or_middle() const {
  if (is_active(default_value)) return default_value;
  if (type == ParameterType::Categorical) return choices.front();
  return decode(0.5);
}

}  // namespace kyper::search
