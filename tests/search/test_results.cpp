// Tests for kyper/search/results_table.hpp: the CSV holds every told trial, reads back
// exactly, rebuilds a search (resume and warm start) and reports bad input by file and line.
#include <kyper/error.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/results_table.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace kyper::search;

namespace {
Space space() {
  Space s;
  s.add_float("lr", 1e-5, 1e-1, true);
  s.add_int("units", 8, 256, true);
  s.add_categorical("act", {std::string("relu"), std::string("tanh"), std::string("elu, \"quoted\"")});
  s.add_float("alpha", 0.1, 1.0);
  s.add_condition("alpha", "act", {std::string("elu, \"quoted\"")});
  return s;
}
double objective(const Configuration& c) {
  return -std::abs(std::log10(c.number("lr")) + 3) - std::abs(c.number("units") - 64) / 64.0;
}
std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "kyper_search_" + name + ".csv";
}
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
// Runs `search` for `rounds` asks of 3, failing every 7th trial.
void drive(Search& search, int rounds) {
  for (int r = 0; r < rounds; ++r)
    for (const auto& t : search.ask(3)) {
      Result res = t.id % 7 == 6 ? Result::failure(t.id, "NaN loss, epoch 3") : Result::success(t.id, objective(t.config));
      res.timestamp_start = 100.0 + t.id;
      res.timestamp_end = 200.0 + t.id;
      res.metadata["epochs"] = std::to_string(t.id);
      res.metadata["note"] = "x,y";
      search.tell(res);
    }
}
}  // namespace

TEST(ResultsTable, WritesTheDocumentedColumnsAndReadsBackExactly) {
  const std::string path = temp_path("columns");
  CBO search(space(), {1, true}, CBOOptions{});
  ResultsTable table(path, search.space(), {"epochs"});
  search.attach(&table);
  drive(search, 6);
  const std::string text = slurp(path);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "job_id,p:lr,p:units,p:act,p:alpha,objective,status,reason,timestamp_submit,"
            "timestamp_start,timestamp_end,timestamp_gather,m:epochs,metadata");
  auto rows = read_results(path, search.space());
  ASSERT_EQ(rows.size(), search.observations().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Observation& a = search.observations()[i];
    const Observation& b = rows[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.config, b.config);
    EXPECT_EQ(a.objective, b.objective);
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.timestamp_submit, b.timestamp_submit);
    EXPECT_EQ(a.timestamp_end, b.timestamp_end);
    EXPECT_EQ(a.timestamp_gather, b.timestamp_gather);
    EXPECT_EQ(a.metadata, b.metadata);
  }
  EXPECT_TRUE(rows[6].failed());
  EXPECT_EQ(rows[6].reason, "NaN loss, epoch 3");
  std::remove(path.c_str());
}

TEST(ResultsTable, ResumeFromCsvReproducesTheSearchState) {
  const std::string path = temp_path("resume");
  CBO original(space(), {2, true}, CBOOptions{});
  ResultsTable table(path, original.space());
  original.attach(&table);
  drive(original, 8);

  CBO resumed(space(), {2, true}, CBOOptions{});
  EXPECT_EQ(load_results(path, resumed), original.observations().size());
  ASSERT_EQ(resumed.observations().size(), original.observations().size());
  for (std::size_t i = 0; i < resumed.observations().size(); ++i) {
    EXPECT_EQ(resumed.observations()[i].config, original.observations()[i].config);
    EXPECT_EQ(resumed.observations()[i].objective, original.observations()[i].objective);
  }
  EXPECT_EQ(resumed.best()->id, original.best()->id);
  // Ids continue after the loaded ones, the design is not redrawn, and the resumed search
  // appends to the same table.
  ResultsTable again(path, resumed.space(), {}, true);
  resumed.attach(&again);
  auto next = resumed.ask(2);
  EXPECT_EQ(next[0].id, original.observations().size());
  for (const auto& t : next) EXPECT_EQ(std::count_if(original.observations().begin(), original.observations().end(),
                                                     [&](const Observation& o) { return o.config == t.config; }), 0);
  for (const auto& t : next) resumed.tell(Result::success(t.id, objective(t.config)));
  EXPECT_EQ(read_results(path, resumed.space()).size(), original.observations().size() + 2);
  EXPECT_THROW(load_results(path, resumed), kyper::Error);  // ids already present
  std::remove(path.c_str());
}

TEST(ResultsTable, ErrorsNameTheFileAndLine) {
  const std::string path = temp_path("bad");
  {
    CBO search(space(), {3, true}, CBOOptions{});
    ResultsTable table(path, search.space());
    search.attach(&table);
    drive(search, 2);
  }
  std::string text = slurp(path);
  // Line 4 (the third row) gets a learning rate outside the domain.
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  const auto comma = lines[3].find(',');
  lines[3] = lines[3].substr(0, comma) + ",5.0" + lines[3].substr(lines[3].find(',', comma + 1));
  {
    std::ofstream out(path);
    for (const auto& l : lines) out << l << '\n';
  }
  try {
    read_results(path, space());
    FAIL() << "expected an error";
  } catch (const kyper::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'lr'"), std::string::npos) << e.what();
  }
  Space other = space();
  other.add_float("dropout", 0, 0.5);
  try {
    read_results(path, other);
    FAIL() << "expected an error";
  } catch (const kyper::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":1: missing column 'p:dropout'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_results(temp_path("does_not_exist"), space()), kyper::Error);
  std::remove(path.c_str());
}

TEST(ResultsTable, WarmStartsAnotherSearch) {
  const std::string path = temp_path("warm");
  CBO first(space(), {4, true}, CBOOptions{});
  ResultsTable table(path, first.space());
  first.attach(&table);
  drive(first, 10);
  CBOOptions o;
  o.surrogate = "GP";
  CBO second(space(), {99, true}, o);
  load_results(path, second);
  // With 30 results in, the second search goes straight to the model and improves on them.
  drive(second, 5);
  EXPECT_GE(*second.best()->objective, *first.best()->objective);
  std::remove(path.c_str());
}
