#include <kyper/csv.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/text.hpp>
#include <kyper/search/space.hpp>

#include <algorithm>
#include <functional>
#include <set>

namespace kyper::search {

namespace rj = json::rj;

Space& Space::add(Parameter parameter) {
  parameter.validate();
  KYPER_REQUIRE(!has(parameter.name), "parameter '" << parameter.name << "' is defined twice");
  // Copy-on-write: configurations made earlier keep sharing the old name list.
  auto names = std::make_shared<std::vector<std::string>>(*names_);
  names->push_back(parameter.name);
  names_ = std::move(names);
  parameters_.push_back(std::move(parameter));
  conditions_of_.emplace_back();
  update_order();
  return *this;
}

Space& Space::add_float(const std::string& name, double low, double high, bool log) {
  return add(Parameter::real(name, low, high, log));
}
Space& Space::add_int(const std::string& name, double low, double high, bool log) {
  return add(Parameter::integer(name, low, high, log));
}
Space& Space::add_categorical(const std::string& name, std::vector<Value> choices) {
  return add(Parameter::categorical(name, std::move(choices)));
}
Space& Space::add_ordinal(const std::string& name, std::vector<Value> sequence) {
  return add(Parameter::ordinal(name, std::move(sequence)));
}

Space& Space::add_condition(const std::string& child, const std::string& parent,
                            std::vector<Value> values) {
  KYPER_REQUIRE(has(child), "condition on parameter '" << child << "': no such parameter");
  KYPER_REQUIRE(has(parent), "condition on parameter '" << child << "': unknown parent '"
                                                        << parent << "'");
  KYPER_REQUIRE(child != parent, "condition on parameter '" << child << "': it is its own parent");
  KYPER_REQUIRE(!values.empty(), "condition on parameter '" << child << "': no parent values");
  const Parameter& p = parameter(parent);
  for (const auto& v : values)
    KYPER_REQUIRE(p.contains(v), "condition on parameter '" << child << "': parent '" << parent
                                                            << "' cannot take value '"
                                                            << value_to_string(v) << "'");
  conditions_.push_back({child, parent, std::move(values)});
  conditions_of_[index(child)].push_back(conditions_.size() - 1);
  try {
    update_order();
  } catch (...) {
    conditions_of_[index(child)].pop_back();
    conditions_.pop_back();
    throw;
  }
  return *this;
}

void Space::check_forbidden_clause(const ForbiddenClause& clause) const {
  KYPER_REQUIRE(!clause.terms.empty(), "forbidden clause has no terms");
  for (const auto& [name, values] : clause.terms) {
    KYPER_REQUIRE(has(name), "forbidden clause names unknown parameter '" << name << "'");
    KYPER_REQUIRE(!values.empty(), "forbidden clause on parameter '" << name << "' has no values");
    for (const auto& v : values)
      KYPER_REQUIRE(parameter(name).contains(v), "forbidden clause on parameter '"
                                                     << name << "': value '" << value_to_string(v)
                                                     << "' is outside its domain");
  }
}

Space& Space::add_forbidden(ForbiddenClause clause) {
  check_forbidden_clause(clause);
  forbidden_.push_back(std::move(clause));
  return *this;
}

void Space::update_order() {
  // Depth-first topological sort; a cycle names the parameter where it closes.
  const std::size_t n = parameters_.size();
  std::vector<int> state(n, 0);
  std::vector<std::size_t> order;
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (state[i] == 2) return;
    KYPER_REQUIRE(state[i] == 0, "conditions form a cycle through parameter '"
                                     << parameters_[i].name << "'");
    state[i] = 1;
    for (std::size_t c : conditions_of_[i]) visit(index(conditions_[c].parent));
    state[i] = 2;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < n; ++i) visit(i);
  order_ = std::move(order);
}

std::size_t Space::index(const std::string& name) const {
  for (std::size_t i = 0; i < parameters_.size(); ++i)
    if (parameters_[i].name == name) return i;
  KYPER_FAIL("space has no parameter '" << name << "'");
}

bool Space::has(const std::string& name) const {
  return std::any_of(parameters_.begin(), parameters_.end(),
                     [&](const Parameter& p) { return p.name == name; });
}

bool Space::condition_holds(std::size_t i, const std::vector<Value>& values) const {
  for (std::size_t c : conditions_of_[i]) {
    const Condition& cond = conditions_[c];
    const Value& pv = values[index(cond.parent)];
    if (!is_active(pv)) return false;
    if (std::find(cond.values.begin(), cond.values.end(), pv) == cond.values.end()) return false;
  }
  return true;
}

Configuration Space::make(const std::map<std::string, Value>& given) const {
  for (const auto& kv : given) KYPER_REQUIRE(has(kv.first), "unknown parameter '" << kv.first << "'");
  std::vector<Value> values(parameters_.size());
  for (std::size_t i : order_) {
    if (!condition_holds(i, values)) continue;
    const Parameter& p = parameters_[i];
    auto it = given.find(p.name);
    Value v = (it != given.end() && is_active(it->second)) ? it->second : p.default_or_middle();
    // JSON and CSV give integers as doubles, and numeric choices may arrive as text.
    if (std::holds_alternative<std::string>(v) && !p.contains(v) &&
        (p.type != ParameterType::Categorical || p.choice_index(v) < 0)) {
      double x = 0;
      if (parse_number(std::get<std::string>(v), x) == NumberParse::ok) v = x;
    }
    KYPER_REQUIRE(p.contains(v), "parameter '" << p.name << "': value '" << value_to_string(v)
                                               << "' is outside its domain");
    values[i] = std::move(v);
  }
  return Configuration(names_, std::move(values));
}

bool Space::is_forbidden(const Configuration& config) const {
  for (const auto& clause : forbidden_) {
    bool all = true;
    for (const auto& [name, values] : clause.terms) {
      const Value& v = config[name];
      if (!is_active(v) || std::find(values.begin(), values.end(), v) == values.end()) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

void Space::validate(const Configuration& config) const {
  KYPER_REQUIRE(config.size() == parameters_.size(),
                "configuration has " << config.size() << " values, space has "
                                     << parameters_.size() << " parameters");
  for (std::size_t i : order_) {
    const Parameter& p = parameters_[i];
    const bool should = condition_holds(i, config.values());
    const Value& v = config.at(i);
    KYPER_REQUIRE(should == is_active(v), "parameter '" << p.name << "' is "
                                                        << (is_active(v) ? "active" : "inactive")
                                                        << " but its conditions say otherwise");
    if (should)
      KYPER_REQUIRE(p.contains(v), "parameter '" << p.name << "': value '" << value_to_string(v)
                                                 << "' is outside its domain");
  }
  KYPER_REQUIRE(!is_forbidden(config), "configuration " << config.to_string()
                                                        << " matches a forbidden clause");
}

Configuration Space::decode(const Eigen::Ref<const Eigen::VectorXd>& u) const {
  KYPER_REQUIRE(static_cast<std::size_t>(u.size()) == parameters_.size(),
                "decode: " << u.size() << " coordinates for " << parameters_.size()
                           << " parameters");
  std::vector<Value> values(parameters_.size());
  for (std::size_t i : order_)
    if (condition_holds(i, values)) values[i] = parameters_[i].decode(u[static_cast<Eigen::Index>(i)]);
  return Configuration(names_, std::move(values));
}

Eigen::VectorXd Space::encode(const Configuration& config) const {
  Eigen::VectorXd u(static_cast<Eigen::Index>(parameters_.size()));
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    const Value& v = config.at(i);
    u[static_cast<Eigen::Index>(i)] = is_active(v) ? parameters_[i].encode(v) : kInactive;
  }
  return u;
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {

Value json_value(const rj::Value& v, const std::string& context) {
  if (v.IsNumber()) return v.GetDouble();
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return std::string(v.GetBool() ? "true" : "false");
  KYPER_FAIL(context << ": values must be numbers or strings");
}

std::vector<Value> json_values(const rj::Value& v, const std::string& context) {
  KYPER_REQUIRE(v.IsArray(), context << ": must be an array");
  std::vector<Value> out;
  for (const auto& item : v.GetArray()) out.push_back(json_value(item, context));
  return out;
}

// A value or an array of values under `name` (one of `names`, the accepted spellings).
std::vector<Value> values_under(const JsonObject& o, std::initializer_list<const char*> names, bool scalar_ok) {
  for (const char* name : names) {
    if (const rj::Value* v = o.get(name)) {
      if (scalar_ok && !v->IsArray()) return {json_value(*v, o.key(name))};
      return json_values(*v, o.key(name));
    }
  }
  KYPER_FAIL(o.key(*names.begin()) << " is missing");
}

void write_value(rj::Writer<rj::StringBuffer>& w, const Value& v) {
  if (std::holds_alternative<double>(v)) w.Double(std::get<double>(v));
  else w.String(value_to_string(v).c_str());
}

// The keys the JSON form accepts, by object (Space::json_keys lists them for the documentation).
const std::set<std::string> kTopKeys{"parameters", "params", "conditions", "forbidden"};
const std::set<std::string> kCommonParameterKeys{"name", "type", "default"};
const std::set<std::string> kNumericParameterKeys{"low", "high", "log", "step", "ratio"};
const std::set<std::string> kChoiceParameterKeys{"choices", "sequence", "values"};
const std::set<std::string> kConditionKeys{"child", "parent", "values", "in"};

bool is_numeric_type(const std::string& t) {
  return t == "float" || t == "real" || t == "continuous" || t == "int" || t == "integer";
}

// One entry of "parameters": its keys depend on its type, and any other key is an error.
Parameter parameter_from_json(const rj::Value& value, const JsonObject& list, int index) {
  const std::string item = JsonObject::item("parameters", index);
  KYPER_REQUIRE(value.IsObject(), list.key(item) << " must be an object");
  const auto type_it = value.FindMember("type");
  KYPER_REQUIRE(type_it != value.MemberEnd() && type_it->value.IsString(),
                list.key(item + ".type") << " must be a string (float, int, categorical or ordinal)");
  const std::string t = type_it->value.GetString();
  std::set<std::string> allowed = kCommonParameterKeys;
  if (is_numeric_type(t)) allowed.insert(kNumericParameterKeys.begin(), kNumericParameterKeys.end());
  else if (t == "categorical" || t == "ordinal") allowed.insert(kChoiceParameterKeys.begin(), kChoiceParameterKeys.end());
  else KYPER_FAIL(list.key(item + ".type") << ": unknown type '" << t << "' (expected float, int, categorical or ordinal)");
  const JsonObject p(value, list.where(), list.path(item), allowed);
  const std::string name = p.text("name");
  Parameter param;
  if (is_numeric_type(t)) {
    const double low = p.number("low", 0, -1e300, 1e300), high = p.number("high", 0, -1e300, 1e300);
    KYPER_REQUIRE(p.has("low"), p.key("low") << " is missing");
    KYPER_REQUIRE(p.has("high"), p.key("high") << " is missing");
    param = p.checked("", [&] {
      return (t == "int" || t == "integer") ? Parameter::integer(name, low, high) : Parameter::real(name, low, high);
    });
    param.log = p.boolean("log", false);
    param.step = p.number("step", 0, 0, 1e300);
    param.ratio = p.number("ratio", 0, 0, 1e300);
  } else {
    auto values = values_under(p, {"choices", "sequence", "values"}, false);
    param = p.checked("", [&] {
      return t == "ordinal" ? Parameter::ordinal(name, std::move(values)) : Parameter::categorical(name, std::move(values));
    });
  }
  if (const rj::Value* d = p.get("default")) param.default_value = json_value(*d, p.key("default"));
  return param;
}

}  // namespace

std::vector<std::string> Space::json_keys() {
  std::vector<std::string> keys(kTopKeys.begin(), kTopKeys.end());
  for (const auto* group : {&kCommonParameterKeys, &kNumericParameterKeys, &kChoiceParameterKeys})
    for (const auto& k : *group) keys.push_back("parameters[]." + k);
  for (const auto& k : kConditionKeys) keys.push_back("conditions[]." + k);
  keys.push_back("forbidden[].<parameter>");
  return keys;
}

Space Space::from_json(const std::string& text, const std::string& where, const std::string& key_prefix) {
  const rj::Document doc = json::parse(text, where);
  KYPER_REQUIRE(doc.IsObject(), where << (key_prefix.empty() ? "" : ": key '" + key_prefix + "'") << " must be an object");
  const JsonObject top(doc, where, key_prefix, kTopKeys);
  const char* params_key = top.has("parameters") ? "parameters" : "params";
  const auto params = top.array(params_key);

  Space space;
  int index = 0;
  for (const auto& p : params) {
    Parameter param = parameter_from_json(p, top, index);
    top.checked(JsonObject::item("parameters", index), [&] { space.add(std::move(param)); return 0; });
    ++index;
  }

  if (top.has("conditions")) {
    int i = 0;
    for (const auto& c : top.array("conditions")) {
      const std::string item = JsonObject::item("conditions", i++);
      KYPER_REQUIRE(c.IsObject(), top.key(item) << " must be an object");
      const JsonObject condition(c, where, top.path(item), kConditionKeys);
      const std::string child = condition.text("child"), parent = condition.text("parent");
      std::vector<Value> vs = values_under(condition, {"values", "in"}, true);
      condition.checked("", [&] { space.add_condition(child, parent, std::move(vs)); return 0; });
    }
  }

  if (top.has("forbidden")) {
    int i = 0;
    for (const auto& f : top.array("forbidden")) {
      const std::string item = JsonObject::item("forbidden", i++);
      KYPER_REQUIRE(f.IsObject(), top.key(item) << " must be an object {name: [values], ...}");
      ForbiddenClause clause;
      for (auto it = f.MemberBegin(); it != f.MemberEnd(); ++it) {
        const std::string key = it->name.GetString();
        const std::string context = top.key(item + "." + key);
        KYPER_REQUIRE(space.has(key), context << " names no parameter of the space" << did_you_mean(key, *space.names()));
        clause.terms.emplace_back(key, it->value.IsArray() ? json_values(it->value, context)
                                                           : std::vector<Value>{json_value(it->value, context)});
      }
      top.checked(item, [&] { space.add_forbidden(std::move(clause)); return 0; });
    }
  }
  return space;
}

std::string Space::to_json() const {
  rj::StringBuffer buffer;
  rj::Writer<rj::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("parameters");
  w.StartArray();
  for (const auto& p : parameters_) {
    w.StartObject();
    w.Key("name");
    w.String(p.name.c_str());
    w.Key("type");
    w.String(to_string(p.type));
    if (p.type == ParameterType::Float || p.type == ParameterType::Int) {
      w.Key("low");
      w.Double(p.low);
      w.Key("high");
      w.Double(p.high);
      if (p.log) { w.Key("log"); w.Bool(true); }
      if (p.step > 0) { w.Key("step"); w.Double(p.step); }
      if (p.ratio > 0) { w.Key("ratio"); w.Double(p.ratio); }
    } else {
      w.Key("choices");
      w.StartArray();
      for (const auto& c : p.choices) write_value(w, c);
      w.EndArray();
    }
    if (is_active(p.default_value)) { w.Key("default"); write_value(w, p.default_value); }
    w.EndObject();
  }
  w.EndArray();
  w.Key("conditions");
  w.StartArray();
  for (const auto& c : conditions_) {
    w.StartObject();
    w.Key("child"); w.String(c.child.c_str());
    w.Key("parent"); w.String(c.parent.c_str());
    w.Key("values");
    w.StartArray();
    for (const auto& v : c.values) write_value(w, v);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("forbidden");
  w.StartArray();
  for (const auto& f : forbidden_) {
    w.StartObject();
    for (const auto& [name, values] : f.terms) {
      w.Key(name.c_str());
      w.StartArray();
      for (const auto& v : values) write_value(w, v);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace kyper::search
