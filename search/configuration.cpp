#include <kyper/error.hpp>
#include <kyper/search/configuration.hpp>

#include <cmath>
#include <cstdio>

namespace kyper::search {

std::string value_to_string(const Value& value) {
  if (std::holds_alternative<double>(value)) {
    // %.17g round-trips a double exactly; integers print without a decimal point.
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.17g", std::get<double>(value));
    return buffer;
  }
  if (std::holds_alternative<std::string>(value)) return std::get<std::string>(value);
  return "";
}


Configuration::Configuration(std::shared_ptr<const std::vector<std::string>> names,
                             std::vector<Value> values)
    : names_(std::move(names)), values_(std::move(values)) {
  KYPER_REQUIRE(names_ && names_->size() == values_.size(),
                "configuration has " << values_.size() << " values for "
                                     << (names_ ? names_->size() : 0) << " parameters");
}

std::size_t Configuration::index(const std::string& name) const {
  KYPER_REQUIRE(names_, "empty configuration has no parameter '" << name << "'");
  for (std::size_t i = 0; i < names_->size(); ++i)
    if ((*names_)[i] == name) return i;
  KYPER_FAIL("configuration has no parameter '" << name << "'");
}

bool Configuration::has(const std::string& name) const {
  if (!names_) return false;
  for (const auto& n : *names_)
    if (n == name) return true;
  return false;
}

double Configuration::number(const std::string& name) const {
  const Value& v = (*this)[name];
  KYPER_REQUIRE(std::holds_alternative<double>(v),
                "parameter '" << name << "' is " << (is_active(v) ? "not a number" : "inactive"));
  return std::get<double>(v);
}

std::int64_t Configuration::integer(const std::string& name) const {
  const double x = number(name);
  KYPER_REQUIRE(std::floor(x) == x, "parameter '" << name << "' = " << x << " is not an integer");
  return static_cast<std::int64_t>(x);
}

const std::string& Configuration::text(const std::string& name) const {
  const Value& v = (*this)[name];
  KYPER_REQUIRE(std::holds_alternative<std::string>(v),
                "parameter '" << name << "' is " << (is_active(v) ? "not a string" : "inactive"));
  return std::get<std::string>(v);
}

std::string Configuration::to_string() const {
  std::string out = "{";
  bool first = true;
  for (std::size_t i = 0; i < values_.size(); ++i) {
    if (!is_active(values_[i])) continue;
    if (!first) out += ", ";
    first = false;
    out += (*names_)[i] + ": " + value_to_string(values_[i]);
  }
  return out + "}";
}

}  // namespace kyper::search
