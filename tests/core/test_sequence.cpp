// Tests of src/core/kyper/sequence.hpp: window contents and names, stride, the time split (no
// leakage), scalers fitted on the training rows only, reading a series, and every bad input.
#include <support/error_of.hpp>
#include <kyper/error.hpp>
#include <kyper/sequence.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>

namespace {

namespace fs = std::filesystem;
using kyper::testing::error_of;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// `rows` rows of a = row, b = 100 + row, y = 1000 + row: every value names its row.
kyper::Table series(std::size_t rows) {
  kyper::Table t;
  t.source = "series.csv";
  t.columns = {"a", "b", "y"};
  for (std::size_t r = 0; r < rows; ++r) t.values.insert(t.values.end(), {double(r), 100.0 + r, 1000.0 + r});
  return t;
}

kyper::SequenceSpec spec(int window, int horizon, int stride = 1, std::vector<std::string> inputs = {"a", "b"},
                         std::vector<std::string> targets = {"y"}) {
  kyper::SequenceSpec s;
  s.window = window, s.horizon = horizon, s.stride = stride;
  s.inputs = std::move(inputs), s.targets = std::move(targets);
  return s;
}

std::string write_file(const std::string& name, const std::string& text) {
  const fs::path dir = fs::temp_directory_path() / "kyper_test_sequence";
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(Sequence, NamesAreStepMajorOldestFirst) {
  const auto s = spec(3, 2, 1, {"a", "b"}, {"y", "a"});
  EXPECT_THAT(kyper::sequence_feature_names(s), ElementsAre("a@t-2", "b@t-2", "a@t-1", "b@t-1", "a@t0", "b@t0"));
  EXPECT_THAT(kyper::sequence_target_names(s), ElementsAre("y@t+1", "a@t+1", "y@t+2", "a@t+2"));
}

TEST(Sequence, WindowContentsByHand) {
  const auto w = kyper::make_windows(series(6), spec(3, 2));
  // Starts 0 and 1: window rows [s, s+3), target rows s+3, s+4.
  ASSERT_EQ(w.data.rows(), 2u);
  EXPECT_THAT(w.origins, ElementsAre(2u, 3u));
  EXPECT_THAT(w.data.features, ElementsAre(0, 100, 1, 101, 2, 102, 1, 101, 2, 102, 3, 103));
  EXPECT_THAT(w.data.targets, ElementsAre(1003, 1004, 1004, 1005));
  EXPECT_EQ(w.data.source, "series.csv");
  EXPECT_EQ(w.data.num_features(), 6u);
  EXPECT_EQ(w.data.num_targets(), 2u);
}

TEST(Sequence, TargetsMayAlsoBeInputs) {
  const auto w = kyper::make_windows(series(4), spec(2, 1, 1, {"y"}, {"y"}));
  EXPECT_THAT(w.data.features, ElementsAre(1000, 1001, 1001, 1002));
  EXPECT_THAT(w.data.targets, ElementsAre(1002, 1003));
}

TEST(Sequence, StrideStartsAWindowEveryStrideRows) {
  const auto w = kyper::make_windows(series(10), spec(2, 1, 3));
  // Starts 0, 3, 6 (9 would need rows 9..11).
  EXPECT_THAT(w.origins, ElementsAre(1u, 4u, 7u));
  EXPECT_THAT(w.data.targets, ElementsAre(1002, 1005, 1008));
}

TEST(Sequence, PredictionWindowsCoverEveryOriginWithoutTargets) {
  auto s = spec(3, 4, 5);
  s.targets = {"not_in_the_file"};  // targets are not read when predicting
  const auto w = kyper::make_prediction_windows(series(5), s);
  EXPECT_THAT(w.origins, ElementsAre(2u, 3u, 4u));
  EXPECT_TRUE(w.data.targets.empty());
  EXPECT_EQ(w.data.num_features(), 6u);
  EXPECT_THAT(std::vector<float>(w.data.features.end() - 6, w.data.features.end()),
              ElementsAre(2, 102, 3, 103, 4, 104));
}

TEST(Sequence, SplitByTimeNeverLeaks) {
  for (int window : {1, 3, 5}) {
    for (int horizon : {1, 2, 4}) {
      for (int stride : {1, 2, 3}) {
        for (double fraction : {0.1, 0.25, 0.5}) {
          const std::size_t n = 40;
          const std::size_t s = n - std::size_t(std::llround(fraction * n));
          std::size_t expected_train = 0, expected_validation = 0;
          for (std::size_t start = 0; start + window + horizon <= n; start += stride) {
            if (start + window + horizon <= s) ++expected_train;
            else if (start + window >= s) ++expected_validation;
          }
          if (expected_train == 0 || expected_validation == 0) {
            EXPECT_THAT(error_of([&] { kyper::split_sequence(series(n), spec(window, horizon, stride), fraction); }),
                        HasSubstr(expected_train == 0 ? "no training window" : "no validation window"));
            continue;
          }
          const auto split = kyper::split_sequence(series(n), spec(window, horizon, stride), fraction);
          EXPECT_EQ(split.split_row, s);
          const std::size_t f = split.train.data.num_features(), t = split.train.data.num_targets();
          // Training windows: every row they read (inputs and targets) is before s.
          for (std::size_t i = 0; i < split.train.data.rows(); ++i) {
            for (std::size_t j = 0; j < f; j += 2) EXPECT_LT(split.train.data.features[i * f + j], double(s));
            for (std::size_t j = 0; j < t; ++j) EXPECT_LT(split.train.data.targets[i * t + j], 1000.0 + s);
            EXPECT_LT(split.train.origins[i] + horizon, s);
          }
          // Validation windows: their first target row is at or after s.
          for (std::size_t i = 0; i < split.validation.data.rows(); ++i) {
            EXPECT_GE(split.validation.data.targets[i * t], 1000.0 + s);
            EXPECT_GE(split.validation.origins[i] + 1, s);
          }
          // Both on the stride grid, and every grid window that fits in one part is used.
          EXPECT_EQ(split.train.data.rows(), expected_train);
          EXPECT_EQ(split.validation.data.rows(), expected_validation);
          for (std::size_t o : split.validation.origins) EXPECT_EQ((o + 1 - window) % stride, 0u);
        }
      }
    }
  }
}

TEST(Sequence, SplitBoundaryByHand) {
  // 10 rows, validation 0.3: rows 7, 8, 9. Window 2, horizon 1: training windows end their target
  // before row 7 (starts 0..4), validation windows forecast rows 7, 8, 9 (starts 5..7); none straddles.
  const auto split = kyper::split_sequence(series(10), spec(2, 1), 0.3);
  EXPECT_EQ(split.split_row, 7u);
  EXPECT_THAT(split.train.origins, ElementsAre(1u, 2u, 3u, 4u, 5u));
  EXPECT_THAT(split.validation.origins, ElementsAre(6u, 7u, 8u));
  EXPECT_THAT(split.validation.data.targets, ElementsAre(1007, 1008, 1009));
  // Horizon 2: the window with origin 6 forecasts rows 7, 8 (validation); origin 5 forecasts 6, 7
  // (straddles: dropped).
  const auto h2 = kyper::split_sequence(series(10), spec(2, 2), 0.3);
  EXPECT_THAT(h2.train.origins, ElementsAre(1u, 2u, 3u, 4u));
  EXPECT_THAT(h2.validation.origins, ElementsAre(6u, 7u));
}

TEST(Sequence, ScalersSeeOnlyTrainingRowsAndRepeatPerStep) {
  // Rows 0..9 are a = row; the validation rows (7..9) get a huge value that must not move the fit.
  kyper::Table t = series(10);
  for (std::size_t r = 7; r < 10; ++r) t.values[r * 3] = 1e6, t.values[r * 3 + 2] = -1e6;
  const auto split = kyper::split_sequence(t, spec(3, 2), 0.3);
  ASSERT_EQ(split.split_row, 7u);
  const auto& fs = split.feature_scaler;
  ASSERT_EQ(fs.cols(), 6u);  // 3 steps x (a, b)
  for (std::size_t step = 0; step < 3; ++step) {
    EXPECT_DOUBLE_EQ(fs.offset()[2 * step], 3.0);        // mean of a over rows 0..6
    EXPECT_DOUBLE_EQ(fs.offset()[2 * step + 1], 103.0);  // mean of b
    EXPECT_DOUBLE_EQ(fs.scale()[2 * step], 2.0);         // population sd of 0..6
  }
  ASSERT_EQ(split.target_scaler.cols(), 2u);  // 2 steps x y
  EXPECT_DOUBLE_EQ(split.target_scaler.offset()[0], 1003.0);
  EXPECT_DOUBLE_EQ(split.target_scaler.offset()[1], 1003.0);
  EXPECT_EQ(split.target_scaler.kind(), kyper::ScalerKind::standard);

  const auto minmax = kyper::split_sequence(t, spec(3, 2), 0.3, kyper::ScalerKind::minmax, kyper::ScalerKind::none);
  EXPECT_DOUBLE_EQ(minmax.feature_scaler.offset()[0], 0.0);
  EXPECT_DOUBLE_EQ(minmax.feature_scaler.scale()[0], 6.0);
  EXPECT_EQ(minmax.target_scaler.kind(), kyper::ScalerKind::none);
}

TEST(Scaler, FromStatisticsAndRepeat) {
  const auto s = kyper::Scaler::from_statistics(kyper::ScalerKind::standard, {1, 2}, {3, 4});
  const auto r = s.repeat(3);
  EXPECT_THAT(r.offset(), ElementsAre(1, 2, 1, 2, 1, 2));
  EXPECT_THAT(r.scale(), ElementsAre(3, 4, 3, 4, 3, 4));
  std::vector<float> x = {4, 6, 7, 10, 1, 2};
  r.transform(x.data(), 1, 6);
  EXPECT_THAT(x, ElementsAre(1, 1, 2, 2, 0, 0));
  EXPECT_THAT(error_of([] { kyper::Scaler::from_statistics(kyper::ScalerKind::standard, {1}, {0}); }),
              HasSubstr("must be finite and > 0"));
  EXPECT_THAT(error_of([] { kyper::Scaler::from_statistics(kyper::ScalerKind::standard, {1, 2}, {1}); }),
              HasSubstr("2 offsets but 1 scales"));
}

TEST(Sequence, BadSpecsAreErrorsNamingTheSource) {
  const auto t = series(10);
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(0, 1)); }),
              AllOf(HasSubstr("series.csv"), HasSubstr("window must be at least 1")));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, 0)); }), HasSubstr("horizon must be at least 1 step, got 0"));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, -3)); }), HasSubstr("got -3"));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, 1, 0)); }), HasSubstr("stride must be at least 1"));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, 1, 1, {"a", "a"})); }),
              HasSubstr("inputs names column 'a' twice"));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, 1, 1, {"a"}, {"y", "y"})); }),
              HasSubstr("targets names column 'y' twice"));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, 1, 1, {"a"}, {})); }), HasSubstr("no target columns"));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(2, 1, 1, {"a"}, {"temp"})); }),
              AllOf(HasSubstr("series.csv"), HasSubstr("no column named 'temp'")));
  EXPECT_THAT(error_of([&] { kyper::make_windows(t, spec(8, 3)); }),
              AllOf(HasSubstr("series.csv"), HasSubstr("has 10 rows"), HasSubstr("need at least 11")));
  EXPECT_THAT(error_of([&] { kyper::make_prediction_windows(series(3), spec(4, 1)); }), HasSubstr("needs at least 4"));
}

TEST(Sequence, SplitsWithoutATrainingOrValidationWindowAreErrors) {
  // 10 rows, validation 0.5: rows 5..9; window 4 + horizon 2 = 6 rows do not fit before row 5.
  EXPECT_THAT(error_of([] { kyper::split_sequence(series(10), spec(4, 2), 0.5); }),
              AllOf(HasSubstr("series.csv"), HasSubstr("no training window"), HasSubstr("from line 7")));
  // 10 rows, validation 0.1 (row 9), window 2, horizon 1, stride 4: starts 0 and 4 end before row 9,
  // start 8 would need row 10.
  EXPECT_THAT(error_of([] { kyper::split_sequence(series(10), spec(2, 1, 4), 0.1); }),
              HasSubstr("no validation window"));
  EXPECT_THAT(error_of([] { kyper::split_sequence(series(10), spec(1, 1), 1.0); }), HasSubstr("validation fraction"));
}

TEST(Sequence, ReadSeriesReadsOnlyTheNamedColumns) {
  const std::string path = write_file("ok.csv", "date,a,y\n2024-01-01,1,10\n2024-01-02,2,20\n2024-01-03,3,30\n\n");
  const auto t = kyper::read_series(path, {"y", "a"}, {"a", "missing"});
  EXPECT_THAT(t.columns, ElementsAre("y", "a"));
  EXPECT_THAT(t.values, ElementsAre(10, 1, 20, 2, 30, 3));
  EXPECT_EQ(t.source, path);
  const auto all = kyper::read_series(write_file("all.csv", "a,y\n1,2\n"), {});
  EXPECT_THAT(all.columns, ElementsAre("a", "y"));
}

TEST(Sequence, ReadSeriesErrorsNameFileLineAndColumn) {
  const std::string bad = write_file("bad.csv", "date,a,y\nmon,1,10\ntue,x,20\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(bad, {"a", "y"}); }),
              AllOf(HasSubstr("bad.csv:3: column 'a' (2)"), HasSubstr("got 'x'")));
  const std::string gap = write_file("gap.csv", "a,y\n1,10\n2,\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(gap, {"a", "y"}); }),
              AllOf(HasSubstr("gap.csv:3: column 'y' (2)"), HasSubstr("an empty cell")));
  const std::string short_row = write_file("short.csv", "a,y\n1,10\n2\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(short_row, {"a", "y"}); }),
              AllOf(HasSubstr("short.csv:3: column 'y' (2) is missing")));
  EXPECT_THAT(error_of([&] { kyper::read_series(gap, {"a", "temp"}); }),
              AllOf(HasSubstr("gap.csv"), HasSubstr("no column named 'temp'"), HasSubstr("'a', 'y'")));
  const std::string nan = write_file("nan.csv", "a,y\n1,nan\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(nan, {"y"}); }), HasSubstr("nan.csv:2: column 'y' (2)"));
  const std::string big = write_file("big.csv", "a\n1e39\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(big, {"a"}); }), HasSubstr("fits in a float"));
  const std::string blank = write_file("blank.csv", "a\n1\n\n2\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(blank, {"a"}); }), HasSubstr("blank.csv:3: blank line"));
  const std::string empty = write_file("empty.csv", "a,y\n");
  EXPECT_THAT(error_of([&] { kyper::read_series(empty, {"a"}); }), HasSubstr("no data rows"));
  // A non-numeric column that is not read is fine (the date above); errors never show Kyper's paths.
  EXPECT_THAT(error_of([&] { kyper::read_series(bad, {"a"}); }), Not(HasSubstr("sequence.cpp")));
}

}  // namespace
