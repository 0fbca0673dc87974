// The base layer: errors keep Kyper's source location out of the message, the JSON reader names
// line and column and suggests keys, the CSV record reader, enum name tables, atomic writes.
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <kyper/atomic_file.hpp>
#include <kyper/background_sync.hpp>
#include <kyper/csv.hpp>
#include <kyper/enum_names.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/text.hpp>

using namespace kyper;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {
Error caught(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no kyper::Error thrown";
  return Error("");
}

std::string temporary_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kyper_test_base_" + name)).string();
}
}  // namespace

TEST(Error, MessageHasNoSourcePathButTheLocationIsKept) {
  const Error e = caught([] { KYPER_FAIL("job.json: key 'x' is missing"); });
  EXPECT_STREQ(e.what(), "job.json: key 'x' is missing");
  // The location is relative to the source tree, never this machine's path.
  EXPECT_THAT(e.source_location(), ::testing::MatchesRegex("tests/base/test_base\\.cpp:[0-9]+"));
}

TEST(Text, JoinAndClosestMatch) {
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(join({}), "");
  EXPECT_EQ(closest_match("lgo", {"low", "high", "log", "step"}), "log");
  EXPECT_EQ(closest_match("evals", {"evaluations", "seconds"}), "");  // too far to be a typo
  EXPECT_EQ(closest_match("Learning_rate", {"learning_rate", "batch_size"}), "learning_rate");
  EXPECT_EQ(closest_match("bacth_size", {"learning_rate", "batch_size"}), "batch_size");  // a swap
  EXPECT_EQ(did_you_mean("xyz", {"abcdef"}), "");
  EXPECT_EQ(did_you_mean("conditon", {"conditions", "forbidden"}), " (did you mean 'conditions'?)");
}

TEST(EnumNames, ParsePrintAndListAgree) {
  enum class Color { Red, Green };
  const EnumNames<Color> names("color", {{Color::Red, "red"}, {Color::Green, "green"}}, {{Color::Red, "rouge"}});
  EXPECT_EQ(names.parse("green"), Color::Green);
  EXPECT_EQ(names.parse("rouge"), Color::Red);
  EXPECT_STREQ(names.name(Color::Red), "red");
  EXPECT_THAT(names.valid(), ::testing::ElementsAre("red", "green"));
  const Error e = caught([&] { names.parse("gren"); });
  EXPECT_STREQ(e.what(), "unknown color 'gren' (did you mean 'green'?) (valid: red, green)");
}

TEST(Json, SyntaxErrorsNameLineAndColumn) {
  const Error e = caught([] { json::parse("{\n  \"a\": 1,\n  \"b\": ]\n}", "job.json"); });
  EXPECT_THAT(e.what(), HasSubstr("job.json:3:8: not valid JSON"));
  const Error missing = caught([] { json::parse_file("/nonexistent/job.json", "search config"); });
  EXPECT_THAT(missing.what(), HasSubstr("cannot open search config '/nonexistent/job.json'"));
}

TEST(Json, UnknownKeysAreErrorsWithTheirPathAndASuggestion) {
  const auto doc = json::parse(R"({"budget": {"evaluation": 5}})", "job.json");
  const JsonObject top(doc, "job.json", "", {"budget", "output"});
  const Error e = caught([&] { top.object("budget", {"evaluations", "seconds"}); });
  EXPECT_STREQ(e.what(),
               "job.json: key 'budget.evaluation' is not a known key (did you mean 'evaluations'?) "
               "(valid here: evaluations, seconds)");
}

TEST(Csv, RecordsWithQuotedCommasQuotesAndLineBreaks) {
  CsvReader reader("\xEF\xBB\xBFid,text,x\n1,\"a, \"\"b\"\"\nc\", 2.5 \n\n2,plain,+3\n", "t.csv");
  CsvRecord r;
  ASSERT_TRUE(reader.next(r));
  EXPECT_THAT(r.cells, ::testing::ElementsAre("id", "text", "x"));
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.line, 2u);
  EXPECT_THAT(r.cells, ::testing::ElementsAre("1", "a, \"b\"\nc", "2.5"));
  ASSERT_TRUE(reader.next(r));
  EXPECT_TRUE(r.blank());
  EXPECT_EQ(r.line, 4u);  // the quoted line break counted
  ASSERT_TRUE(reader.next(r));
  EXPECT_EQ(r.line, 5u);
  double x = 0;
  EXPECT_EQ(parse_number(r.cells[2], x), NumberParse::ok);
  EXPECT_EQ(x, 3.0);
  EXPECT_FALSE(reader.next(r));
  EXPECT_EQ(parse_number("1,5", x), NumberParse::not_a_number);  // never a German decimal comma
  EXPECT_EQ(parse_number("1e999", x), NumberParse::out_of_range);
  EXPECT_EQ(csv_quote("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_quote(" pad"), "\" pad\"");
  EXPECT_EQ(csv_quote("plain"), "plain");
}

TEST(Csv, UnterminatedQuoteNamesWhereItOpened) {
  CsvReader reader("a,b\n1,\"open\n2,3\n", "t.csv");
  CsvRecord r;
  ASSERT_TRUE(reader.next(r));
  const Error e = caught([&] { reader.next(r); });
  EXPECT_THAT(e.what(), HasSubstr("t.csv:2: column 2: unterminated quote (opened at character 3)"));
}

TEST(AtomicFile, ReplacesWholeAndLeavesNoPartialFile) {
  const std::string path = temporary_path("atomic.txt");
  write_file_atomically(path, "first\n", "test file");
  write_file_atomically(path, [](std::ostream& out) { out << "second\n"; }, "test file");
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "second\n");
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  const Error e = caught([] { write_file_atomically("/nonexistent/folder/x", "y", "test file"); });
  EXPECT_THAT(e.what(), HasSubstr("cannot write test file '/nonexistent/folder/x.partial'"));
  std::remove(path.c_str());
}

TEST(BackgroundSync, EveryWriteIsInTheFileAndFlushReturnsOnceSynced) {
  const std::string path = temporary_path("synced.txt");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  ASSERT_GE(fd, 0);
  {
    BackgroundSync sync(fd, path);
    for (int i = 0; i < 200; ++i) {
      const std::string line = std::to_string(i) + "\n";
      ASSERT_EQ(::write(fd, line.data(), line.size()), ssize_t(line.size()));
      sync.written();
      if (i % 50 == 49) sync.flush();
    }
  }  // the destructor syncs the rest and stops the thread
  ::close(fd);
  std::ifstream in(path);
  int expected = 0, value = 0;
  while (in >> value) EXPECT_EQ(value, expected++);
  EXPECT_EQ(expected, 200);
  std::remove(path.c_str());
}

TEST(BackgroundSync, AFileThatCannotBeSyncedIsNoError) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  {
    BackgroundSync sync(pipe_fds[1], "a pipe");  // fdatasync: EINVAL
    ASSERT_EQ(::write(pipe_fds[1], "x", 1), 1);
    sync.written();
    EXPECT_NO_THROW(sync.flush());
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(BackgroundSync, AFailedSyncIsReportedByTheNextCallNamingTheFile) {
  BackgroundSync sync(-1, "results.csv");  // fdatasync(-1): EBADF
  sync.written();
  Error e = caught([&] { sync.flush(); });
  EXPECT_THAT(e.what(), HasSubstr("syncing results.csv to the disk failed: " + std::string(std::strerror(EBADF))));
  e = caught([&] { sync.written(); });
  EXPECT_THAT(e.what(), HasSubstr("syncing results.csv"));
}
