// Tests of src/kyper/scaler.hpp: the three kinds, inverses (values and variances), constant
// columns, shape errors and cereal round trips.
#include <support/error_of.hpp>
#include <kyper/error.hpp>
#include <kyper/scaler.hpp>

#include <cereal/archives/binary.hpp>
#include <cereal/archives/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

namespace {

using kyper::testing::error_of;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 4 rows x 3 columns: column 0 varies, column 1 is constant, column 2 has a large offset.
std::vector<float> sample() {
  return {1, 5, 1000, 2, 5, 1002, 3, 5, 1004, 6, 5, 1010};
}

TEST(Scaler, ParsesKindNamesAndRejectsUnknownOnes) {
  EXPECT_EQ(kyper::parse_scaler_kind("none"), kyper::ScalerKind::none);
  EXPECT_EQ(kyper::parse_scaler_kind("standard"), kyper::ScalerKind::standard);
  EXPECT_EQ(kyper::parse_scaler_kind("minmax"), kyper::ScalerKind::minmax);
  EXPECT_STREQ(kyper::to_string(kyper::ScalerKind::minmax), "minmax");  // const char*: compare the text
  EXPECT_THAT(error_of([] { kyper::parse_scaler_kind("zscore"); }),
              AllOf(HasSubstr("'zscore'"), HasSubstr("standard"), HasSubstr("minmax")));
}

TEST(Scaler, StandardGivesZeroMeanUnitVariance) {
  auto data = sample();
  kyper::Scaler s(kyper::ScalerKind::standard);
  s.fit(data.data(), 4, 3);
  EXPECT_DOUBLE_EQ(s.offset()[0], 3.0);
  EXPECT_DOUBLE_EQ(s.scale()[0], std::sqrt(3.5));  // population std of 1, 2, 3, 6
  s.transform(data.data(), 4, 3);
  for (std::size_t c : {0u, 2u}) {
    double mean = 0, sq = 0;
    for (std::size_t r = 0; r < 4; ++r) mean += data[r * 3 + c] / 4.0;
    for (std::size_t r = 0; r < 4; ++r) sq += (data[r * 3 + c] - mean) * (data[r * 3 + c] - mean);
    EXPECT_NEAR(mean, 0.0, 1e-6) << c;
    EXPECT_NEAR(sq / 4.0, 1.0, 1e-5) << c;
  }
}

TEST(Scaler, MinMaxMapsToUnitInterval) {
  auto data = sample();
  kyper::Scaler s(kyper::ScalerKind::minmax);
  s.fit(data.data(), 4, 3);
  s.transform(data.data(), 4, 3);
  EXPECT_FLOAT_EQ(data[0], 0.0f);
  EXPECT_FLOAT_EQ(data[3], 0.2f);
  EXPECT_FLOAT_EQ(data[9], 1.0f);
  EXPECT_FLOAT_EQ(data[2], 0.0f);
  EXPECT_FLOAT_EQ(data[11], 1.0f);
}

TEST(Scaler, ConstantColumnGetsScaleOneAndMapsToZero) {
  for (auto kind : {kyper::ScalerKind::standard, kyper::ScalerKind::minmax}) {
    auto data = sample();
    kyper::Scaler s(kind);
    s.fit(data.data(), 4, 3);
    EXPECT_EQ(s.scale()[1], 1.0);
    s.transform(data.data(), 4, 3);
    for (std::size_t r = 0; r < 4; ++r) {
      EXPECT_EQ(data[r * 3 + 1], 0.0f);
      EXPECT_TRUE(std::isfinite(data[r * 3 + 0]));
    }
  }
}

TEST(Scaler, NoneIsIdentity) {
  auto data = sample();
  kyper::Scaler s(kyper::ScalerKind::none);
  s.fit(data.data(), 4, 3);
  s.transform(data.data(), 4, 3);
  EXPECT_EQ(data, sample());
  s.inverse_transform_variance(data.data(), 4, 3);
  EXPECT_EQ(data, sample());
}

TEST(Scaler, InverseTransformRestoresValues) {
  for (auto kind : {kyper::ScalerKind::standard, kyper::ScalerKind::minmax}) {
    auto data = sample();
    kyper::Scaler s(kind);
    s.fit(data.data(), 4, 3);
    s.transform(data.data(), 4, 3);
    s.inverse_transform(data.data(), 4, 3);
    const auto original = sample();
    for (std::size_t i = 0; i < data.size(); ++i) EXPECT_NEAR(data[i], original[i], 1e-4) << i;
  }
}

TEST(Scaler, InverseVarianceScalesBySquaredScale) {
  auto data = sample();
  kyper::Scaler s(kyper::ScalerKind::standard);
  s.fit(data.data(), 4, 3);
  // A variance of 1 in scaled units is the column's own variance in original units, and the
  // offset must not enter (a variance of 0 stays 0).
  std::vector<float> var = {1, 1, 0, 4, 2, 0};
  s.inverse_transform_variance(var.data(), 2, 3);
  EXPECT_FLOAT_EQ(var[0], 3.5f);
  EXPECT_FLOAT_EQ(var[1], 1.0f);  // constant column: scale 1
  EXPECT_FLOAT_EQ(var[2], 0.0f);
  EXPECT_FLOAT_EQ(var[3], 14.0f);
  EXPECT_FLOAT_EQ(var[4], 2.0f);
}

TEST(Scaler, LargeOffsetSmallSpreadIsAccurate) {
  // A one-pass sum-of-squares variance loses this column entirely in float.
  std::vector<float> data;
  for (int i = 0; i < 1000; ++i) data.push_back(1.0e4f + static_cast<float>(i % 2) * 0.5f);
  kyper::Scaler s(kyper::ScalerKind::standard);
  s.fit(data.data(), data.size(), 1);
  EXPECT_NEAR(s.scale()[0], 0.25, 1e-9);
}

TEST(Scaler, RejectsUseBeforeFitAndWrongWidth) {
  auto data = sample();
  kyper::Scaler s(kyper::ScalerKind::standard);
  EXPECT_THAT(error_of([&] { s.transform(data.data(), 4, 3); }), HasSubstr("before fit"));
  s.fit(data.data(), 4, 3);
  EXPECT_THAT(error_of([&] { s.transform(data.data(), 6, 2); }),
              AllOf(HasSubstr("3 columns"), HasSubstr("got 2")));
  EXPECT_THAT(error_of([&] { s.inverse_transform_variance(data.data(), 3, 4); }),
              HasSubstr("inverse_transform_variance"));
}

TEST(Scaler, FitRejectsEmptyAndNonFiniteData) {
  kyper::Scaler s(kyper::ScalerKind::minmax);
  auto data = sample();
  EXPECT_THAT(error_of([&] { s.fit(data.data(), 0, 3); }), HasSubstr("no rows"));
  data[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THAT(error_of([&] { s.fit(data.data(), 4, 3); }), HasSubstr("[1, 2]"));
  EXPECT_FALSE(s.fitted());
}

template <class OutArchive, class InArchive>
kyper::Scaler round_trip(const kyper::Scaler& s) {
  std::stringstream stream;
  {
    OutArchive out(stream);
    out(cereal::make_nvp("scaler", s));
  }
  kyper::Scaler loaded;
  InArchive in(stream);
  in(cereal::make_nvp("scaler", loaded));
  return loaded;
}

TEST(Scaler, CerealRoundTripKeepsStatistics) {
  auto data = sample();
  kyper::Scaler s(kyper::ScalerKind::minmax);
  s.fit(data.data(), 4, 3);
  for (const auto& loaded :
       {round_trip<cereal::BinaryOutputArchive, cereal::BinaryInputArchive>(s),
        round_trip<cereal::JSONOutputArchive, cereal::JSONInputArchive>(s)}) {
    EXPECT_EQ(loaded.kind(), kyper::ScalerKind::minmax);
    EXPECT_TRUE(loaded.fitted());
    EXPECT_EQ(loaded.offset(), s.offset());
    EXPECT_EQ(loaded.scale(), s.scale());
  }
}

TEST(Scaler, CorruptCheckpointIsRejected) {
  std::stringstream json(R"({"scaler": {"kind": "standard", "fitted": true,
                                       "offset": [0.0, 1.0], "scale": [1.0, 0.0]}})");
  kyper::Scaler loaded;
  cereal::JSONInputArchive in(json);
  EXPECT_THAT(error_of([&] { in(cereal::make_nvp("scaler", loaded)); }),
              AllOf(HasSubstr("column 2"), HasSubstr("scale")));
}

TEST(Scaler, CheckpointWithUnknownKindIsRejected) {
  std::stringstream json(R"({"scaler": {"kind": "robust", "fitted": false,
                                       "offset": [], "scale": []}})");
  kyper::Scaler loaded;
  cereal::JSONInputArchive in(json);
  EXPECT_THAT(error_of([&] { in(cereal::make_nvp("scaler", loaded)); }), HasSubstr("'robust'"));
}

}  // namespace
