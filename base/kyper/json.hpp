// The one JSON reader of Kyper: every document it reads (search job, space, architecture, ensemble
// manifest, summary) goes through json::parse and JsonObject, so every error names the file and the
// key path, e.g. "search.json: key 'budget.evals' is not a known key (did you mean 'evaluations'?)".
// RapidJSON is the one that ships with cereal (bundled upstream, unbundled on Debian).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#if __has_include(<cereal/external/rapidjson/document.h>)
#include <cereal/external/rapidjson/document.h>
#include <cereal/external/rapidjson/prettywriter.h>
#include <cereal/external/rapidjson/stringbuffer.h>
#include <cereal/external/rapidjson/writer.h>
namespace kyper::json {
namespace rj = CEREAL_RAPIDJSON_NAMESPACE;
}
#else
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
namespace kyper::json {
namespace rj = ::rapidjson;
}
#endif

#include <kyper/error.hpp>
#include <kyper/text.hpp>

namespace kyper::json {

// Parses `text`; a syntax error names `where` with the line and column ("job.json:3:14: ...").
rj::Document parse(const std::string& text, const std::string& where);
// Reads and parses the file at `path`; `what` names it when it cannot be opened ("search config").
rj::Document parse_file(const std::string& path, const std::string& what);
// Compact JSON text of a value.
std::string to_text(const rj::Value& value);

}  // namespace kyper::json

namespace kyper {

class JsonObject {
 public:
  using Value = json::rj::Value;

  // `where` names the file; `path` is this object's key path in it ("" at the top). Keys outside
  // `allowed` are errors, so a misspelt option fails instead of being ignored.
  JsonObject(const Value& value, std::string where, std::string path, const std::set<std::string>& allowed)
      : value_(value), where_(std::move(where)), path_(std::move(path)) {
    KYPER_REQUIRE(value.IsObject(), key("") << " must be an object");
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      const std::string name = it->name.GetString();
      if (!allowed.count(name)) {
        const std::vector<std::string> valid(allowed.begin(), allowed.end());
        KYPER_FAIL(key(name) << " is not a known key" << did_you_mean(name, valid) << " (valid here: " << join(valid)
                             << ")");
      }
    }
  }

  // The key path of member `name`: "a.b", or "a[2]" when `name` is an index like "[2]".
  std::string path(const std::string& name) const {
    return path_.empty() ? name : (name.empty() ? path_ : path_ + (name[0] == '[' ? "" : ".") + name);
  }
  // Message prefix for member `name` ("" for this object): "<where>: key '<path>'", or just
  // "<where>" when the path is empty.
  std::string key(const std::string& name) const {
    const std::string full = path(name);
    return full.empty() ? where_ : where_ + ": key '" + full + "'";
  }
  const std::string& where() const { return where_; }
  const Value& value() const { return value_; }

  const Value* get(const std::string& name) const {
    auto it = value_.FindMember(name.c_str());
    return it == value_.MemberEnd() ? nullptr : &it->value;
  }
  bool has(const std::string& name) const { return get(name) != nullptr; }

  // The object under `name`, which must be there.
  JsonObject object(const std::string& name, const std::set<std::string>& allowed) const {
    const Value* v = get(name);
    KYPER_REQUIRE(v, key(name) << " is missing");
    return JsonObject(*v, where_, path(name), allowed);
  }

  // Runs `parse`, prefixing its errors with the key of `name`.
  template <class F>
  auto checked(const std::string& name, F&& parse) const {
    try {
      return parse();
    } catch (const Error& e) {
      KYPER_FAIL(key(name) << ": " << e.what());
    }
  }

  // Optional members: `fallback` when absent. number() and integer() say the type and the range
  // apart ("must be an integer", "must be in [low, high], got x"); integer_in() says both at once
  // ("must be an integer in [low, high]").
  double number(const std::string& name, double fallback, double low, double high) const {
    const Value* v = get(name);
    if (!v) return fallback;
    KYPER_REQUIRE(v->IsNumber(), key(name) << " must be a number");
    const double x = v->GetDouble();
    KYPER_REQUIRE(x >= low && x <= high, key(name) << " must be in [" << low << ", " << high << "], got " << x);
    return x;
  }
  long integer(const std::string& name, long fallback, long low, long high) const {
    const Value* v = get(name);
    if (!v) return fallback;
    KYPER_REQUIRE(v->IsInt64(), key(name) << " must be an integer");
    const long x = long(v->GetInt64());
    KYPER_REQUIRE(x >= low && x <= high, key(name) << " must be in [" << low << ", " << high << "], got " << x);
    return x;
  }
  long integer_in(const std::string& name, long fallback, long low, long high) const {
    const Value* v = get(name);
    return v ? integer_value(*v, name, low, high) : fallback;
  }
  bool boolean(const std::string& name, bool fallback) const {
    const Value* v = get(name);
    if (!v) return fallback;
    KYPER_REQUIRE(v->IsBool(), key(name) << " must be true or false");
    return v->GetBool();
  }
  std::string text(const std::string& name, const std::string& fallback) const {
    return has(name) ? text(name) : fallback;
  }
  // A string, or an array of strings; none when absent.
  std::vector<std::string> text_or_texts(const std::string& name) const {
    const Value* v = get(name);
    if (!v) return {};
    if (v->IsString()) return {v->GetString()};
    KYPER_REQUIRE(v->IsArray(), key(name) << " must be a string or an array of strings");
    std::vector<std::string> out;
    for (const auto& e : v->GetArray()) {
      KYPER_REQUIRE(e.IsString(), key(name) << " must hold strings only");
      out.push_back(e.GetString());
    }
    return out;
  }

  // Required members. Array elements are named "name[i]" in errors.
  std::string text(const std::string& name) const {
    const Value* v = get(name);
    KYPER_REQUIRE(v, key(name) << " is missing");
    KYPER_REQUIRE(v->IsString(), key(name) << " must be a string");
    return v->GetString();
  }
  Value::ConstArray array(const std::string& name) const {
    const Value* v = get(name);
    KYPER_REQUIRE(v, key(name) << " is missing");
    KYPER_REQUIRE(v->IsArray(), key(name) << " must be an array");
    return v->GetArray();
  }
  std::vector<std::string> texts(const std::string& name) const {
    std::vector<std::string> out;
    int i = 0;
    for (const auto& e : array(name)) {
      KYPER_REQUIRE(e.IsString(), key(item(name, i)) << " must be a string");
      out.push_back(e.GetString());
      ++i;
    }
    return out;
  }
  std::vector<int> integers(const std::string& name, long low, long high) const {
    std::vector<int> out;
    int i = 0;
    for (const auto& e : array(name)) out.push_back(int(integer_value(e, item(name, i++), low, high)));
    return out;
  }
  std::vector<double> numbers(const std::string& name, double low, double high_exclusive) const {
    std::vector<double> out;
    int i = 0;
    for (const auto& e : array(name)) {
      KYPER_REQUIRE(e.IsNumber() && e.GetDouble() >= low && e.GetDouble() < high_exclusive,
                    key(item(name, i)) << " must be a number in [" << low << ", " << high_exclusive << ")");
      out.push_back(e.GetDouble());
      ++i;
    }
    return out;
  }

  // "name[i]", the member name of an array element.
  static std::string item(const std::string& name, int i) { return name + "[" + std::to_string(i) + "]"; }

 private:
  long integer_value(const Value& v, const std::string& name, long low, long high) const {
    KYPER_REQUIRE(v.IsInt64() && v.GetInt64() >= low && v.GetInt64() <= high,
                  key(name) << " must be an integer in [" << low << ", " << high << "]");
    return long(v.GetInt64());
  }

  const Value& value_;  // not owned: the document must outlive this object
  std::string where_, path_;
};

}  // namespace kyper
