// A recurrent model as a user keeps it: trained, saved (binary and JSON) with its windowing and
// scalers, and loaded back with bitwise-identical forecasts; a format-1 model file (before the
// sequence fields) still loads.
#include <cmath>
#include <fstream>
#include <iterator>
#include <regex>

#include <gtest/gtest.h>
#include <kyper/model.hpp>

using namespace kyper;

namespace {
// Windows of 5 steps of (sin, cos) forecasting 2 steps of sin, flattened step-major.
Dataset windows(size_t count) {
  Dataset d;
  d.source = "generated";
  for (int t = 0; t < 5; ++t)
    for (const char* name : {"s", "c"}) d.feature_names.push_back(std::string(name) + "@t-" + std::to_string(4 - t));
  d.target_names = {"s@t+1", "s@t+2"};
  for (size_t i = 0; i < count; ++i) {
    for (int t = 0; t < 5; ++t) {
      d.features.push_back(float(std::sin(0.3 * double(i + t))));
      d.features.push_back(float(std::cos(0.3 * double(i + t))));
    }
    d.targets.push_back(float(std::sin(0.3 * double(i + 5))));
    d.targets.push_back(float(std::sin(0.3 * double(i + 6))));
  }
  return d;
}

GraphSpec recurrent_graph() {
  GraphSpec g;
  auto x = g.sequence_input("x", 5, 2);
  auto a = g.lstm("lstm", x, 6, true);
  auto b = g.gru("gru", a, 5);
  g.output("y", g.dense("head", b, 2));
  return g;
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }
}  // namespace

TEST(RecurrentModel, SaveLoadGivesIdenticalForecastsAndKeepsTheWindowing) {
  TrainConfig config;
  config.epochs = 5, config.batch_size = 16, config.seed = 2;
  Model model(recurrent_graph(), config, 3);
  SequenceSpec spec;
  spec.window = 5, spec.horizon = 2, spec.stride = 1, spec.inputs = {"s", "c"}, spec.targets = {"s"};
  model.set_sequence(spec);
  const Dataset data = windows(120);
  const TrainResult result = model.fit(data);
  EXPECT_LT(result.curve.back().train_loss, result.curve.front().train_loss);
  const Predictions before = model.predict(data);
  for (const std::string name : {"recurrent.kyper", "recurrent.json"}) {
    model.save(temp_path(name));
    Model loaded = Model::load(temp_path(name));
    const Predictions after = loaded.predict(data);
    ASSERT_EQ(before.values.size(), after.values.size());
    for (size_t i = 0; i < before.values.size(); ++i) ASSERT_EQ(before.values[i], after.values[i]) << name << " value " << i;
    EXPECT_EQ(loaded.sequence().window, 5);
    EXPECT_EQ(loaded.sequence().horizon, 2);
    EXPECT_EQ(loaded.sequence().inputs, spec.inputs);
    EXPECT_EQ(loaded.sequence().targets, spec.targets);
    ASSERT_EQ(loaded.graph().nodes.size(), 5u);
    EXPECT_EQ(loaded.graph().nodes[0].steps, 5);
    EXPECT_TRUE(loaded.graph().nodes[1].return_sequences);
    EXPECT_EQ(loaded.graph().nodes[2].kind, NodeKind::Gru);
  }
}

// A JSON model of format 1 (written before graphs had sequence fields) loads and predicts like the
// same model saved today.
TEST(RecurrentModel, FormatOneAndTwoFilesStillLoad) {
  TrainConfig config;
  config.epochs = 2, config.batch_size = 8;
  Model model(make_mlp(2, {4}, 1, Activation::Tanh), config, 1);
  Dataset d;
  d.feature_names = {"a", "b"}, d.target_names = {"y"}, d.source = "generated";
  for (int i = 0; i < 20; ++i) d.features.push_back(float(i) / 20), d.features.push_back(float(i % 3)), d.targets.push_back(float(i % 5));
  model.fit(d);
  const std::string path = temp_path("format2.json");
  model.save(path);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Format 2: no linear baseline.
  text = std::regex_replace(text, std::regex(",\\s*\"uses_linear_baseline\": false,\\s*\"linear_baseline\": \\{[^}]*\\}"), "");
  ASSERT_EQ(text.find("linear_baseline"), std::string::npos);
  {
    const std::string format_two = temp_path("format2_only.json");
    std::ofstream(format_two) << std::regex_replace(text, std::regex("\"format_version\": 3"), "\"format_version\": 2");
    const Predictions a = model.predict(d), b = Model::load(format_two).predict(d);
    for (size_t i = 0; i < a.values.size(); ++i) ASSERT_EQ(a.values[i], b.values[i]);
  }
  // Format 1: no "value8"/"value9" (steps, return_sequences) in the nodes, no "sequence" section.
  text = std::regex_replace(text, std::regex("\"format_version\": 3"), "\"format_version\": 1");
  // In the graph's nodes only (the training settings have their own value8), cut ', "value8": 0, "value9": false'.
  for (size_t at; (at = text.find("\"value8\"")) < text.find("\"training\"");) {
    const size_t from = text.rfind(',', at), to = text.find_first_of("}", at);
    text.erase(from, text.find_last_not_of(" \n", to - 1) + 1 - from);
  }
  text = std::regex_replace(text, std::regex(",\\s*\"sequence\": \\{[^}]*\\}"), "");
  ASSERT_GT(text.find("value8"), text.find("\"training\""));
  ASSERT_EQ(text.find("\"sequence\""), std::string::npos);
  const std::string old_path = temp_path("format1.json");
  std::ofstream(old_path) << text;
  Model old = Model::load(old_path);
  EXPECT_FALSE(old.sequence().enabled());
  const Predictions a = model.predict(d), b = old.predict(d);
  for (size_t i = 0; i < a.values.size(); ++i) ASSERT_EQ(a.values[i], b.values[i]);
}
