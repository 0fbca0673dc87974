// Tests of src/kyper/csv.hpp: parsing, the file/line/column in every error, and write/read
// round trips.
#include <kyper/csv.hpp>
#include <kyper/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Csv : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("kyper_test_csv_" + std::to_string(::getpid()) + "_" + info->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& contents, const std::string& name = "data.csv") {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  }

  // The message of the kyper::Error that reading `contents` throws ("" and a failure if none).
  std::string read_error(const std::string& contents) {
    path_ = write(contents);
    try {
      kyper::read_csv(path_);
    } catch (const kyper::Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "read_csv accepted:\n" << contents;
    return "";
  }

  std::filesystem::path dir_;
  std::string path_;  // file of the last read_error
};

TEST_F(Csv, ReadsHeaderAndRowMajorValues) {
  const auto path = write("a,b,c\n1,2,3\n4.5,-6e2,7\n");
  const kyper::Table t = kyper::read_csv(path);
  EXPECT_EQ(t.source, path);
  EXPECT_THAT(t.columns, ElementsAre("a", "b", "c"));
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cols(), 3u);
  EXPECT_THAT(t.values, ElementsAre(1, 2, 3, 4.5, -600, 7));
  EXPECT_EQ(t.at(1, 1), -600);
  EXPECT_EQ(t.column_index("c"), 2u);
}

TEST_F(Csv, AcceptsWhitespaceQuotesCrlfBomAndTrailingBlankLines) {
  const auto path = write(
      "\xEF\xBB\xBF \"x 1\" ,\t\"say \"\"hi\"\", ok\",y\r\n"
      "  1 ,\t+2.5, .5e1 \r\n"
      "\"3\",-0,1E-3\r\n"
      "\r\n  \n\n");
  const kyper::Table t = kyper::read_csv(path);
  EXPECT_THAT(t.columns, ElementsAre("x 1", "say \"hi\", ok", "y"));
  EXPECT_THAT(t.values, ElementsAre(1, 2.5, 5, 3, 0, 1e-3));
}

TEST_F(Csv, ParsesLastLineWithoutNewline) {
  const kyper::Table t = kyper::read_csv(write("a\n1\n2"));
  EXPECT_THAT(t.values, ElementsAre(1, 2));
}

TEST_F(Csv, ParseCsvFromStreamUsesSourceName) {
  std::istringstream in("a,b\n1,x\n");
  try {
    kyper::parse_csv(in, "memory.csv");
    FAIL() << "no error";
  } catch (const kyper::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("memory.csv:2"));
  }
}

TEST_F(Csv, TooFewCellsNamesLineAndMissingColumn) {
  const std::string msg = read_error("a,b,c\n1,2,3\n4,5\n");
  EXPECT_THAT(msg, AllOf(HasSubstr(path_ + ":3"), HasSubstr("column 'c' (3)"),
                         HasSubstr("2 cells"), HasSubstr("3 columns")));
}

TEST_F(Csv, TooManyCellsNamesLineAndExtraColumn) {
  const std::string msg = read_error("a,b\n1,2\n3,4\n5,6,7,8\n");
  EXPECT_THAT(msg, AllOf(HasSubstr(path_ + ":4"), HasSubstr("column 3"), HasSubstr("4 cells"),
                         HasSubstr("2 columns")));
}

TEST_F(Csv, TrailingCommaIsAnExtraCell) {
  EXPECT_THAT(read_error("a,b\n1,2,\n"), AllOf(HasSubstr(path_ + ":2"), HasSubstr("column 3")));
}

TEST_F(Csv, NonNumericCellNamesLineColumnAndText) {
  const std::string msg = read_error("x,label\n1,2\n3,cat\n");
  EXPECT_THAT(msg, AllOf(HasSubstr(path_ + ":3"), HasSubstr("column 'label' (2)"),
                         HasSubstr("'cat'")));
}

TEST_F(Csv, NumberFollowedByJunkIsRejected) {
  EXPECT_THAT(read_error("x\n1.5kg\n"),
              AllOf(HasSubstr(path_ + ":2"), HasSubstr("column 'x' (1)"), HasSubstr("'1.5kg'")));
}

TEST_F(Csv, EmptyCellIsRejected) {
  EXPECT_THAT(read_error("a,b\n1,\n"),
              AllOf(HasSubstr(path_ + ":2"), HasSubstr("column 'b' (2)"), HasSubstr("empty")));
}

TEST_F(Csv, SemicolonSeparatedFileIsReportedAsNonNumeric) {
  EXPECT_THAT(read_error("a;b\n1;2\n"), AllOf(HasSubstr(path_ + ":2"), HasSubstr("'a;b' (1)")));
}

TEST_F(Csv, NanCellIsRejected) {
  EXPECT_THAT(read_error("a,b\n1,2\n3,NaN\n"),
              AllOf(HasSubstr(path_ + ":3"), HasSubstr("column 'b' (2)"), HasSubstr("not finite")));
}

TEST_F(Csv, InfCellIsRejected) {
  EXPECT_THAT(read_error("a,b\n-inf,2\n"),
              AllOf(HasSubstr(path_ + ":2"), HasSubstr("column 'a' (1)"), HasSubstr("not finite")));
}

TEST_F(Csv, OverflowingNumberIsRejected) {
  EXPECT_THAT(read_error("a,b\n1,1e999\n"),
              AllOf(HasSubstr(path_ + ":2"), HasSubstr("column 'b' (2)"), HasSubstr("range")));
}

TEST_F(Csv, EmptyFileIsRejected) {
  EXPECT_THAT(read_error(""), AllOf(HasSubstr(path_), HasSubstr("empty")));
}

TEST_F(Csv, BlankOnlyFileIsRejected) {
  EXPECT_THAT(read_error("\n  \n"), AllOf(HasSubstr(path_), HasSubstr("empty")));
}

TEST_F(Csv, HeaderOnlyFileIsRejected) {
  EXPECT_THAT(read_error("a,b\n"), AllOf(HasSubstr(path_), HasSubstr("no data rows")));
  EXPECT_THAT(read_error("a,b\n\n\n"), AllOf(HasSubstr(path_), HasSubstr("no data rows")));
}

TEST_F(Csv, BlankFirstLineIsRejected) {
  EXPECT_THAT(read_error("\na,b\n1,2\n"), AllOf(HasSubstr(path_ + ":1"), HasSubstr("header")));
}

TEST_F(Csv, BlankLineBetweenRowsIsRejected) {
  // Names the first blank line, where the file went wrong, and where data resumes.
  EXPECT_THAT(read_error("a\n1\n\n  \n2\n"),
              AllOf(HasSubstr(path_ + ":3:"), HasSubstr("blank line"), HasSubstr("line 5")));
}

TEST_F(Csv, DuplicateColumnNamesAreRejected) {
  EXPECT_THAT(read_error("a,b,\"a\"\n1,2,3\n"),
              AllOf(HasSubstr(path_ + ":1"), HasSubstr("column 'a' (3)"), HasSubstr("column 1")));
}

TEST_F(Csv, EmptyColumnNameIsRejected) {
  EXPECT_THAT(read_error("a,,c\n1,2,3\n"), AllOf(HasSubstr(path_ + ":1"), HasSubstr("column 2")));
}

TEST_F(Csv, UnterminatedQuoteIsRejected) {
  EXPECT_THAT(read_error("a,\"b\n1,2\n"),
              AllOf(HasSubstr(path_ + ":1"), HasSubstr("column 2"), HasSubstr("unterminated")));
}

TEST_F(Csv, TextAfterClosingQuoteIsRejected) {
  EXPECT_THAT(read_error("\"a\"x,b\n1,2\n"),
              AllOf(HasSubstr(path_ + ":1"), HasSubstr("column 1")));
}

TEST_F(Csv, MissingFileIsRejected) {
  const std::string path = (dir_ / "nope.csv").string();
  try {
    kyper::read_csv(path);
    FAIL() << "no error";
  } catch (const kyper::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path), HasSubstr("cannot open")));
  }
}

TEST_F(Csv, ColumnIndexErrorNamesFileAndAvailableColumns) {
  const kyper::Table t = kyper::read_csv(write("alpha,beta\n1,2\n"));
  try {
    t.column_index("gamma");
    FAIL() << "no error";
  } catch (const kyper::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(t.source), HasSubstr("'gamma'"), HasSubstr("'alpha'"),
                                HasSubstr("'beta'")));
  }
}

TEST_F(Csv, WriteThenReadRoundTripsDoublesExactly) {
  const std::vector<double> values = {0.1, -1.0 / 3.0, 1e-300, 6.02214076e23,
                                      std::numeric_limits<double>::max(), 0.0};
  const std::string path = (dir_ / "out.csv").string();
  kyper::write_csv(path, {"p", "with,comma", " padded"}, values);
  const kyper::Table t = kyper::read_csv(path);
  EXPECT_THAT(t.columns, ElementsAre("p", "with,comma", " padded"));
  ASSERT_EQ(t.values.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(t.values[i], values[i]) << i;
}

TEST_F(Csv, WriteThenReadRoundTripsFloatsExactly) {
  const std::vector<float> values = {0.1f, 1.0f / 3.0f, 16777217.0f, -1e-30f};
  const std::string path = (dir_ / "out.csv").string();
  kyper::write_csv(path, {"mean", "say \"x\""}, values);
  const kyper::Table t = kyper::read_csv(path);
  EXPECT_THAT(t.columns, ElementsAre("mean", "say \"x\""));
  ASSERT_EQ(t.rows(), 2u);
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(static_cast<float>(t.values[i]), values[i]) << i;
  }
}

TEST_F(Csv, WriteRejectsValuesThatDoNotFillRows) {
  const std::string path = (dir_ / "out.csv").string();
  try {
    kyper::write_csv(path, {"a", "b"}, std::vector<double>{1, 2, 3});
    FAIL() << "no error";
  } catch (const kyper::Error& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr(path), HasSubstr("3 values")));
  }
}

TEST_F(Csv, WriteToUnwritablePathNamesIt) {
  const std::string path = (dir_ / "no_such_dir" / "out.csv").string();
  try {
    kyper::write_csv(path, {"a"}, std::vector<double>{1});
    FAIL() << "no error";
  } catch (const kyper::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
}

}  // namespace
