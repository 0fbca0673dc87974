// A configuration: one value per parameter of a Space, by name. Numbers are doubles (integers
// are stored exactly), categorical strings are strings, and an inactive conditional parameter
// holds no value, so "x was not used" cannot be confused with "x = 0".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace kyper::search {

// std::monostate marks an inactive parameter.
using Value = std::variant<std::monostate, double, std::string>;

std::string value_to_string(const Value& value);
inline bool is_active(const Value& value) { return !std::holds_alternative<std::monostate>(value); }

class Configuration {
 public:
  Configuration() = default;
  Configuration(std::shared_ptr<const std::vector<std::string>> names, std::vector<Value> values);

  std::size_t size() const { return values_.size(); }
  const std::vector<std::string>& names() const { return *names_; }
  const std::vector<Value>& values() const { return values_; }
  std::vector<Value>& values() { return values_; }

  // Index of `name`; throws kyper::Error naming it when the space has no such parameter.
  std::size_t index(const std::string& name) const;
  bool has(const std::string& name) const;
  const Value& operator[](const std::string& name) const { return values_[index(name)]; }
  const Value& at(std::size_t i) const { return values_.at(i); }
  void set(const std::string& name, Value value) { values_[index(name)] = std::move(value); }

  bool active(const std::string& name) const { return is_active((*this)[name]); }
  // Typed accessors; they throw (naming the parameter) on an inactive or mistyped value.
  double number(const std::string& name) const;
  std::int64_t integer(const std::string& name) const;
  const std::string& text(const std::string& name) const;

  // "{lr: 0.001, units: 64, act: relu}": active parameters only, in space order.
  std::string to_string() const;

  friend bool operator==(const Configuration& a, const Configuration& b) {
    return a.values_ == b.values_;
  }
  friend bool operator!=(const Configuration& a, const Configuration& b) { return !(a == b); }

 private:
  std::shared_ptr<const std::vector<std::string>> names_;
  std::vector<Value> values_;
};

}  // namespace kyper::search
