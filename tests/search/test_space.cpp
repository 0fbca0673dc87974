// Tests for kyper/search/space.hpp, parameter.hpp and configuration.hpp.
#include <kyper/error.hpp>
#include <kyper/search/space.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>

using namespace kyper::search;

namespace {
// The message of the kyper::Error that `f` throws ("" when it throws nothing).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const kyper::Error& e) {
    return e.what();
  }
  return "";
}
#define EXPECT_ERROR_MENTIONS(statement, text)                                       \
  do {                                                                               \
    const std::string message_ = error_of([&] { statement; });                       \
    EXPECT_NE(message_.find(text), std::string::npos) << "message: '" << message_ << "'"; \
  } while (false)
}  // namespace

TEST(Space, RejectsInvalidSpacesNamingTheParameter) {
  Space s;
  EXPECT_ERROR_MENTIONS(s.add_float("lr", 1.0, 1.0), "'lr'");
  EXPECT_ERROR_MENTIONS(s.add_float("lr", 2.0, 1.0), "lower bound");
  EXPECT_ERROR_MENTIONS(s.add_float("decay", 0.0, 1.0, true), "'decay'");
  EXPECT_ERROR_MENTIONS(s.add_int("units", -4, 8, true), "log scale");
  EXPECT_ERROR_MENTIONS(s.add_categorical("act", {}), "'act'");
  EXPECT_ERROR_MENTIONS(s.add(Parameter::integer("n", 1, 10).with_step(0.5)), "'n'");
  EXPECT_ERROR_MENTIONS(s.add(Parameter::integer("g", 1, 64).with_ratio(1.0)), "ratio");
  s.add_float("x", 0, 1);
  EXPECT_ERROR_MENTIONS(s.add_float("x", 0, 2), "'x' is defined twice");
  EXPECT_ERROR_MENTIONS(s.add_condition("x", "missing", {1.0}), "unknown parent 'missing'");
  EXPECT_ERROR_MENTIONS(s.add(Parameter::real("y", 0, 1).with_default(3.0)), "'y'");
  EXPECT_EQ(s.size(), 1u);  // rejected parameters are not added
}

TEST(Space, RejectsConditionCycles) {
  Space s;
  s.add_categorical("a", {std::string("on"), std::string("off")});
  s.add_categorical("b", {std::string("on"), std::string("off")});
  s.add_condition("b", "a", {std::string("on")});
  EXPECT_ERROR_MENTIONS(s.add_condition("a", "b", {std::string("on")}), "cycle");
  EXPECT_EQ(s.conditions().size(), 1u);
}

TEST(Space, ConditionsDeactivateChildrenAndConfigurationsPrintNamedValues) {
  Space s;
  s.add_categorical("optimizer", {std::string("sgd"), std::string("adam")});
  s.add_float("momentum", 0.0, 0.99);
  s.add_float("lr", 1e-4, 1e-1, true);
  s.add_condition("momentum", "optimizer", {std::string("sgd")});
  Configuration adam = s.make({{"optimizer", std::string("adam")}, {"momentum", 0.5}, {"lr", 0.01}});
  EXPECT_FALSE(adam.active("momentum"));
  EXPECT_EQ(adam.to_string(), "{optimizer: adam, lr: 0.01}");
  Configuration sgd = s.make({{"optimizer", std::string("sgd")}, {"momentum", 0.5}, {"lr", 0.01}});
  EXPECT_DOUBLE_EQ(sgd.number("momentum"), 0.5);
  EXPECT_EQ(sgd.text("optimizer"), "sgd");
  EXPECT_ERROR_MENTIONS(adam.number("momentum"), "'momentum' is inactive");
  EXPECT_ERROR_MENTIONS(s.make({{"lr", 5.0}}), "'lr'");
  EXPECT_ERROR_MENTIONS(s.make({{"nope", 5.0}}), "'nope'");
}

TEST(Space, EncodeDecodeRoundTripsEveryKind) {
  Space s;
  s.add_float("a", -3, 7);
  s.add_float("b", 1e-5, 1.0, true);
  s.add_int("c", 1, 1000, true);
  s.add(Parameter::integer("d", 4, 64).with_step(4));
  s.add(Parameter::integer("e", 1, 256).with_ratio(2));
  s.add_categorical("f", {std::string("x"), 2.5, std::string("z")});
  s.add_ordinal("g", {1.0, 2.0, 4.0});
  for (double u : {0.0, 0.13, 0.5, 0.77, 1.0}) {
    Eigen::VectorXd v = Eigen::VectorXd::Constant(7, u);
    Configuration c = s.decode(v);
    s.validate(c);
    EXPECT_EQ(s.decode(s.encode(c)), c) << c.to_string();
  }
}

TEST(Space, FromJsonBuildsTheSpaceAndRoundTrips) {
  const std::string text = R"({
    "parameters": [
      {"name": "lr", "type": "float", "low": 1e-4, "high": 0.1, "log": true, "default": 0.001},
      {"name": "units", "type": "int", "low": 8, "high": 512, "ratio": 2},
      {"name": "layers", "type": "int", "low": 1, "high": 9, "step": 2},
      {"name": "act", "type": "categorical", "choices": ["relu", "tanh", "elu"]},
      {"name": "alpha", "type": "float", "low": 0.1, "high": 2.0},
      {"name": "batch", "type": "ordinal", "sequence": [16, 32, 64]}
    ],
    "conditions": [{"child": "alpha", "parent": "act", "values": ["elu"]}],
    "forbidden": [{"act": ["tanh"], "units": [512]}]
  })";
  Space s = Space::from_json(text);
  ASSERT_EQ(s.size(), 6u);
  EXPECT_TRUE(s.parameter("lr").log);
  EXPECT_EQ(s.parameter("units").levels(), 7u);   // 8 .. 512 by x2
  EXPECT_EQ(s.parameter("layers").levels(), 5u);  // 1, 3, 5, 7, 9
  EXPECT_EQ(s.default_configuration().number("lr"), 0.001);
  EXPECT_TRUE(s.is_forbidden(s.make({{"act", std::string("tanh")}, {"units", 512.0}})));
  EXPECT_FALSE(s.make({{"act", std::string("relu")}}).active("alpha"));
  Space again = Space::from_json(s.to_json());
  EXPECT_EQ(again.to_json(), s.to_json());
}

TEST(Space, JsonErrorsNameTheKeyAndParameter) {
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "high": 1}]})"),
                        "key 'parameters[0].low' is missing");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 2, "high": 1}]})"),
                        "'x'");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "bogus"}]})"),
                        "unknown type 'bogus'");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "c", "type": "categorical", "choices": []}]})"),
                        "'c'");
  EXPECT_ERROR_MENTIONS(
      Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
                           "conditions": [{"child": "x", "parent": "ghost", "values": [1]}]})"),
      "'ghost'");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1},
                                                           {"name": "x", "type": "int", "low": 0, "high": 3}]})"),
                        "'x' is defined twice");
  EXPECT_ERROR_MENTIONS(Space::from_json("{not json"), "space JSON:1:2: not valid JSON");
}

TEST(Space, MisspeltKeysAreErrorsWithASuggestion) {
  // A misspelt option used to be ignored silently: "lgo" left the parameter on a linear scale.
  EXPECT_ERROR_MENTIONS(
      Space::from_json(R"({"parameters": [{"name": "lr", "type": "float", "low": 1e-4, "high": 1, "lgo": true}]})",
                       "job.json", "space"),
      "job.json: key 'space.parameters[0].lgo' is not a known key (did you mean 'log'?)");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
                                            "condition": []})"),
                        "key 'condition' is not a known key (did you mean 'conditions'?)");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "c", "type": "categorical", "choice": ["a"]}]})"),
                        "key 'parameters[0].choice' is not a known key (did you mean 'choices'?)");
  // Keys of another type are not valid here: "choices" on a float.
  EXPECT_ERROR_MENTIONS(
      Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1, "choices": [1]}]})"),
      "key 'parameters[0].choices' is not a known key");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
                                            "conditions": [{"child": "x", "parent": "x", "valeus": [1]}]})"),
                        "key 'conditions[0].valeus' is not a known key (did you mean 'values'?)");
  EXPECT_ERROR_MENTIONS(Space::from_json(R"({"parameters": [{"name": "x", "type": "float", "low": 0, "high": 1}],
                                            "forbidden": [{"y": [1]}]})"),
                        "key 'forbidden[0].y' names no parameter of the space");
}
