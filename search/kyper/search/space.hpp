// The search space: parameters, conditions (a child is active only while its parent takes
// given values) and forbidden clauses (combinations no sampler may return). Built from the
// C++ API or from JSON; every invalid definition is rejected with the parameter named.
#pragma once

#include <kyper/search/configuration.hpp>
#include <kyper/search/parameter.hpp>

#include <Eigen/Core>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kyper::search {

struct Condition {
  std::string child, parent;
  std::vector<Value> values;  // child is active iff parent is active and takes one of these
};

// Forbidden when every term matches (an AND of "name in values"), as ConfigSpace's
// ForbiddenAndConjunction of ForbiddenInClause. An inactive parameter never matches.
struct ForbiddenClause {
  std::vector<std::pair<std::string, std::vector<Value>>> terms;
};

// Unit-cube coordinate of an inactive parameter: outside [0, 1], so trees split it off.
constexpr double kInactive = -1.0;

class Space {
 public:
  Space() : names_(std::make_shared<std::vector<std::string>>()) {}

  Space& add(Parameter parameter);
  Space& add_float(const std::string& name, double low, double high, bool log = false);
  Space& add_int(const std::string& name, double low, double high, bool log = false);
  Space& add_categorical(const std::string& name, std::vector<Value> choices);
  Space& add_ordinal(const std::string& name, std::vector<Value> sequence);
  Space& add_condition(const std::string& child, const std::string& parent,
                       std::vector<Value> values);
  Space& add_forbidden(ForbiddenClause clause);

  // Format: {"parameters": [{"name": "lr", "type": "float", "low": 1e-4, "high": 0.1,
  //   "log": true, "default": 0.001}, {"name": "units", "type": "int", "low": 8, "high": 512,
  //   "ratio": 2}, {"name": "act", "type": "categorical", "choices": ["relu", "tanh"]}, ...],
  //  "conditions": [{"child": "alpha", "parent": "act", "values": ["elu"]}],
  //  "forbidden": [{"act": ["tanh"], "units": [512]}]}
  // Errors name the JSON key and parameter.
  // Reads the JSON form; `where` names the document in errors (a file path) and `key_prefix` the
  // key the space sits under in it ("space" in a search job). Unknown keys are errors.
  static Space from_json(const std::string& text, const std::string& where = "space JSON",
                         const std::string& key_prefix = "");
  // Every key path the JSON form accepts ("parameters[].low", ...), for the key reference.
  static std::vector<std::string> json_keys();
  std::string to_json() const;

  std::size_t size() const { return parameters_.size(); }
  const std::vector<Parameter>& parameters() const { return parameters_; }
  const Parameter& parameter(std::size_t i) const { return parameters_.at(i); }
  const Parameter& parameter(const std::string& name) const { return parameters_[index(name)]; }
  std::size_t index(const std::string& name) const;  // throws naming `name`
  bool has(const std::string& name) const;
  const std::vector<Condition>& conditions() const { return conditions_; }
  const std::vector<ForbiddenClause>& forbidden() const { return forbidden_; }
  std::shared_ptr<const std::vector<std::string>> names() const { return names_; }

  // A configuration from named values: missing active parameters take their default, values
  // of inactive parameters are dropped. Throws naming a parameter whose value is invalid.
  Configuration make(const std::map<std::string, Value>& values) const;
  Configuration default_configuration() const { return make({}); }
  // Throws naming the first parameter that is invalid, active when it should not be, or the
  // forbidden clause the configuration matches.
  void validate(const Configuration& config) const;
  bool is_forbidden(const Configuration& config) const;

  // Unit-cube coordinates <-> configurations. decode snaps to the domain and applies the
  // conditions (inactive parameters get no value); encode gives inactive ones kInactive.
  Configuration decode(const Eigen::Ref<const Eigen::VectorXd>& u) const;
  Eigen::VectorXd encode(const Configuration& config) const;
  // Parameters in an order where every parent precedes its children.
  const std::vector<std::size_t>& topological_order() const { return order_; }
  // Whether parameter i is active given the values of its parents in `values`.
  bool condition_holds(std::size_t i, const std::vector<Value>& values) const;

 private:
  void update_order();
  void check_forbidden_clause(const ForbiddenClause& clause) const;

  std::vector<Parameter> parameters_;
  std::vector<Condition> conditions_;
  std::vector<ForbiddenClause> forbidden_;
  std::shared_ptr<std::vector<std::string>> names_;
  std::vector<std::size_t> order_;
  std::vector<std::vector<std::size_t>> conditions_of_;  // per parameter, indices in conditions_
};

}  // namespace kyper::search
