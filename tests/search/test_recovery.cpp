// What a crash leaves behind, read back: a results table whose last row was torn mid-write
// (recover_results drops it and rewrites the file; any other bad row is still an error), and
// damaged checkpoints (Search::load says why and leaves the search as it was).
#include <kyper/error.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/random_search.hpp>
#include <kyper/search/results_table.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

using namespace kyper::search;

namespace {
Space space() {
  Space s;
  s.add_float("lr", 1e-5, 1e-1, true);
  s.add_int("units", 8, 256, true);
  s.add_categorical("act", {std::string("relu"), std::string("tanh"), std::string("elu, \"quoted\"")});
  return s;
}
std::string temp_path(const std::string& name) { return ::testing::TempDir() + "kyper_recovery_" + name; }
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
std::string what(const std::function<void()>& f) {
  try {
    f();
  } catch (const kyper::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A table of `rows` told trials; every other one fails with a reason that needs quoting. Extra
// metadata makes the last column a quoted JSON object; without it the last cell is empty.
std::string write_table(const std::string& name, int rows, bool extra_metadata = true) {
  const std::string path = temp_path(name + ".csv");
  RandomSearch search(space(), {5, true});
  ResultsTable table(path, search.space(), {"epochs"});
  search.attach(&table);
  for (const auto& t : search.ask(rows)) {
    Result r = t.id % 2 ? Result::failure(t.id, "diverged, \"loss\" = inf") : Result::success(t.id, 0.5 + t.id);
    r.metadata["epochs"] = std::to_string(t.id);
    if (extra_metadata) r.metadata["note"] = "a,b";
    search.tell(r);
  }
  return path;
}

// A checkpoint of a CBO search part-way through (its own state is saved too).
std::string cbo_checkpoint(CBO& search) {
  for (int round = 0; round < 4; ++round)
    for (const auto& t : search.ask(3)) search.tell(Result::success(t.id, t.config.number("lr")));
  search.ask(2);  // pending
  std::stringstream out;
  search.save(out);
  return out.str();
}
std::string state_of(const Search& s) {
  std::stringstream out;
  s.save(out);
  return out.str();
}
}  // namespace

TEST(Recovery, RowsAreWholeLines) {
  const std::string path = write_table("whole", 5);
  const std::string text = slurp(path);
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(read_results(path, space()).size(), 5u);
  std::remove(path.c_str());
}

TEST(Recovery, ALastRowTornAnywhereIsDroppedAndTheFileRewritten) {
  for (bool extra_metadata : {false, true}) {
    const std::string path = write_table("torn", 6, extra_metadata);
    const std::string whole = slurp(path);
    const std::size_t last_row = whole.rfind('\n', whole.size() - 2) + 1;
    const std::string kept = whole.substr(0, last_row);
    // Every cut inside the last row; just before its line break the row is whole, but only a
    // quoted last cell shows it (see the next test).
    for (std::size_t cut = last_row + 1; cut + (extra_metadata ? 1 : 0) < whole.size(); ++cut) {
      spit(path, whole.substr(0, cut));
      RecoveredResults r = recover_results(path, space());
      ASSERT_EQ(r.rows.size(), 5u) << "cut at " << cut;
      EXPECT_EQ(r.dropped_line, 7u);
      EXPECT_NE(r.dropped_why.find(path + ":7"), std::string::npos) << r.dropped_why;
      ASSERT_EQ(slurp(path), kept) << "cut at " << cut;
    }
  }
  // The strict reader calls a torn row an error.
  const std::string path = write_table("torn", 6);
  const std::string whole = slurp(path);
  spit(path, whole.substr(0, whole.size() - 20));
  EXPECT_NE(what([&] { read_results(path, space()); }).find(path + ":7"), std::string::npos);
  recover_results(path, space());
  // The repaired table takes new rows and reads back whole.
  RandomSearch again(space(), {6, true});
  load_results(path, again);
  ResultsTable table(path, again.space(), {"epochs"}, true);
  again.attach(&table);
  for (const auto& t : again.ask(2)) again.tell(Result::success(t.id, 1.0));
  EXPECT_EQ(read_results(path, space()).size(), 7u);
  std::remove(path.c_str());
}

TEST(Recovery, AWholeLastRowWithoutItsLineBreakIsKept) {
  const std::string path = write_table("no_newline", 4);
  const std::string whole = slurp(path);
  spit(path, whole.substr(0, whole.size() - 1));
  RecoveredResults r = recover_results(path, space());
  EXPECT_EQ(r.rows.size(), 4u);
  EXPECT_EQ(r.dropped_line, 0u);
  EXPECT_EQ(slurp(path), whole);  // the line break is back, so the next row starts on its own line
  std::remove(path.c_str());
}

TEST(Recovery, ATableCutInItsHeaderStartsAfresh) {
  const std::string path = temp_path("header.csv");
  spit(path, "job_id,p:lr,p:un");
  RecoveredResults r = recover_results(path, space());
  EXPECT_TRUE(r.rows.empty());
  EXPECT_EQ(r.dropped_line, 1u);
  EXPECT_EQ(slurp(path), "");
  std::remove(path.c_str());
}

TEST(Recovery, OtherBadRowsAreStillErrorsNamingTheirLine) {
  const std::string path = write_table("bad", 5);
  const std::string whole = slurp(path);
  std::vector<std::string> lines;
  std::stringstream in(whole);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  auto join = [&](bool final_newline) {
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i)
      text += lines[i] + (i + 1 < lines.size() || final_newline ? "\n" : "");
    return text;
  };
  // Row 3 (line 4) cut short, in a file that ends with a line break, or without one.
  const std::string row3 = lines[3];
  lines[3] = row3.substr(0, row3.size() / 2);
  for (bool final_newline : {true, false}) {
    spit(path, join(final_newline));
    EXPECT_NE(what([&] { recover_results(path, space()); }).find(path + ":4"), std::string::npos);
  }
  // An unterminated quote on line 3 (trial 1, a failure with a quoted reason) swallows the rows
  // after it: not one torn row, even in a file that does not end with a line break.
  lines[3] = row3;
  ASSERT_NE(lines[2].find("\"diverged"), std::string::npos) << lines[2];
  lines[2] = lines[2].substr(0, lines[2].find("\"diverged") + 4);
  const std::string swallowing = join(false);
  spit(path, swallowing);
  EXPECT_NE(what([&] { recover_results(path, space()); }).find(path + ":"), std::string::npos);
  EXPECT_EQ(slurp(path), swallowing);  // nothing dropped
  // A whole last row with a value out of the space, in a file ending with a line break.
  lines = {};
  std::stringstream again(whole);
  for (std::string line; std::getline(again, line);) lines.push_back(line);
  const auto comma = lines.back().find(',');
  lines.back() = lines.back().substr(0, comma) + ",5.0" + lines.back().substr(lines.back().find(',', comma + 1));
  spit(path, join(true));
  EXPECT_NE(what([&] { recover_results(path, space()); }).find(path + ":6"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Recovery, WriteResultsWritesWhatAppendsWrite) {
  const std::string path = write_table("appended", 5);
  const std::string at_once = temp_path("at_once.csv");
  write_results(at_once, space(), {"epochs"}, read_results(path, space()));
  EXPECT_EQ(slurp(at_once), slurp(path));
  std::remove(path.c_str());
  std::remove(at_once.c_str());
}

TEST(Recovery, ADamagedCheckpointSaysWhyAndChangesNothing) {
  CBO written(space(), {7, true}, CBOOptions{});
  const std::string checkpoint = cbo_checkpoint(written);
  CBO target(space(), {7, true}, CBOOptions{});
  for (const auto& t : target.ask(2)) target.tell(Result::success(t.id, 1.0));
  const std::string before = state_of(target);
  auto load = [&](const std::string& bytes) {
    std::stringstream in(bytes);
    const std::string why = what([&] { target.load(in); });
    EXPECT_EQ(state_of(target), before) << "after: " << why;
    return why;
  };
  EXPECT_NE(load("").find("search checkpoint: empty file"), std::string::npos);
  EXPECT_NE(load("garbage, not a checkpoint at all").find("not a Kyper search checkpoint"), std::string::npos);
  EXPECT_NE(load(std::string(64, '\xff')).find("not a Kyper search checkpoint"), std::string::npos);
  std::string other_version = checkpoint;
  other_version[8 + 24] = '9';  // "kyper-search-checkpoint-9"
  EXPECT_NE(load(other_version).find("'kyper-search-checkpoint-9' of another Kyper version"), std::string::npos);
  // Cut at every length: each says why, none changes the search (CBO's own state included).
  for (std::size_t cut = 0; cut < checkpoint.size(); ++cut) {
    const std::string why = load(checkpoint.substr(0, cut));
    EXPECT_EQ(why.rfind("search checkpoint: ", 0), 0u) << "cut at " << cut << ": " << why;
  }
  RandomSearch other_algorithm(space(), {7, true});
  std::stringstream in(checkpoint);
  EXPECT_NE(what([&] { other_algorithm.load(in); }).find("written by CBO"), std::string::npos);
  // The whole checkpoint loads.
  std::stringstream whole(checkpoint);
  target.load(whole);
  EXPECT_EQ(state_of(target), checkpoint);
}

TEST(Recovery, SkippedIdsAreNeverHandedOut) {
  RandomSearch one(space(), {1, true});
  one.skip_ids_below(7);
  EXPECT_EQ(one.ask(1)[0].id, 7);
  one.skip_ids_below(3);  // never backwards
  EXPECT_EQ(one.ask(1)[0].id, 8);
  // Rank 1 of 3 (ids 1, 4, 7, ...): the first of its own ids at or above the bound.
  RandomSearch rank1(space(), {1, true, 1, 3});
  rank1.skip_ids_below(5);
  EXPECT_EQ(rank1.next_id(), 7);
  rank1.skip_ids_below(10);
  EXPECT_EQ(rank1.ask(1)[0].id, 10);
}
