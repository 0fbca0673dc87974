// Tests of src/kyper/metrics.hpp against hand-computed values (and scikit-learn's conventions
// for R² with constant targets and AUC with ties).
#include <support/error_of.hpp>
#include <kyper/error.hpp>
#include <kyper/metrics.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace {

using kyper::testing::error_of;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <class T>
class Metrics : public ::testing::Test {};
using Types = ::testing::Types<float, double>;
TYPED_TEST_SUITE(Metrics, Types);

// Two targets, three rows. Column 0: errors 1, -1, 2; column 1: errors 0, 0, -3.
template <class T>
struct Regression {
  std::vector<T> target = {1, 10, 2, 20, 3, 30};
  std::vector<T> prediction = {2, 10, 1, 20, 5, 27};
};

TYPED_TEST(Metrics, MseAndRmseAverageOverTargets) {
  Regression<TypeParam> d;
  EXPECT_THAT(kyper::mse_per_target(d.prediction.data(), d.target.data(), 3, 2),
              ElementsAre(2.0, 3.0));
  EXPECT_DOUBLE_EQ(kyper::mse(d.prediction.data(), d.target.data(), 3, 2), 2.5);
  EXPECT_DOUBLE_EQ(kyper::rmse(d.prediction.data(), d.target.data(), 3, 2),
                   (std::sqrt(2.0) + std::sqrt(3.0)) / 2);
}

TYPED_TEST(Metrics, MaeAveragesAbsoluteErrors) {
  Regression<TypeParam> d;
  EXPECT_DOUBLE_EQ(kyper::mae(d.prediction.data(), d.target.data(), 3, 2), (4.0 / 3 + 1.0) / 2);
}

TYPED_TEST(Metrics, R2PerTargetAndAveraged) {
  Regression<TypeParam> d;
  // Column 0: SS_res 6, SS_tot 2 -> -2. Column 1: SS_res 9, SS_tot 200 -> 0.955.
  EXPECT_THAT(kyper::r2_per_target(d.prediction.data(), d.target.data(), 3, 2),
              ElementsAre(-2.0, 1.0 - 9.0 / 200.0));
  EXPECT_DOUBLE_EQ(kyper::r2(d.prediction.data(), d.target.data(), 3, 2),
                   (-2.0 + 1.0 - 9.0 / 200.0) / 2);
  EXPECT_DOUBLE_EQ(kyper::r2(d.target.data(), d.target.data(), 3, 2), 1.0);
}

TYPED_TEST(Metrics, R2OfConstantTargetFollowsSklearn) {
  const std::vector<TypeParam> y = {4, 4, 4};
  const std::vector<TypeParam> off = {4, 5, 4};
  EXPECT_EQ(kyper::r2(y.data(), y.data(), 3, 1), 1.0);
  EXPECT_EQ(kyper::r2(off.data(), y.data(), 3, 1), 0.0);
}

TYPED_TEST(Metrics, NanPredictionGivesNanNotException) {
  const TypeParam nan = std::numeric_limits<TypeParam>::quiet_NaN();
  const std::vector<TypeParam> y = {4, 4, 4}, p = {4, nan, 4};
  EXPECT_TRUE(std::isnan(kyper::mse(p.data(), y.data(), 3, 1)));
  EXPECT_TRUE(std::isnan(kyper::r2(p.data(), y.data(), 3, 1)));
  const std::vector<TypeParam> probs = {0.2, nan, 0.9}, labels = {0, 1, 1};
  EXPECT_TRUE(std::isnan(kyper::accuracy(probs.data(), labels.data(), 3, 1)));
  EXPECT_TRUE(std::isnan(kyper::roc_auc(probs.data(), labels.data(), 3)));
}

TYPED_TEST(Metrics, EmptyInputIsRejected) {
  const std::vector<TypeParam> y = {1};
  EXPECT_THAT(error_of([&] { kyper::mse(y.data(), y.data(), 0, 1); }), HasSubstr("empty"));
  EXPECT_THAT(error_of([&] { kyper::r2(y.data(), y.data(), 1, 0); }), HasSubstr("empty"));
}

TYPED_TEST(Metrics, AccuracyFromClassProbabilityRows) {
  const std::vector<TypeParam> probs = {0.7, 0.2, 0.1,   // -> 0
                                        0.1, 0.3, 0.6,   // -> 2
                                        0.4, 0.4, 0.2,   // tie -> first (0)
                                        0.2, 0.5, 0.3};  // -> 1
  const std::vector<TypeParam> labels = {0, 1, 0, 1};
  EXPECT_DOUBLE_EQ(kyper::accuracy(probs.data(), labels.data(), 4, 3), 0.75);
}

TYPED_TEST(Metrics, AccuracyFromBinaryProbabilitiesUsesThresholdHalf) {
  const std::vector<TypeParam> probs = {0.9, 0.5, 0.51, 0.1, 0.49};
  const std::vector<TypeParam> labels = {1, 0, 1, 1, 0};
  // 0.5 is not above the threshold, so it predicts 0 (correct); 0.1 for a 1 is wrong.
  EXPECT_DOUBLE_EQ(kyper::accuracy(probs.data(), labels.data(), 5, 1), 0.8);
}

TYPED_TEST(Metrics, AccuracyRejectsBadLabelsNamingTheRow) {
  const std::vector<TypeParam> probs = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
  const std::vector<TypeParam> labels = {0, 1, 3};
  EXPECT_THAT(error_of([&] { kyper::accuracy(probs.data(), labels.data(), 3, 2); }),
              AllOf(HasSubstr("row 2"), HasSubstr("label 3")));
  const std::vector<TypeParam> fractional = {0, 0.5};
  EXPECT_THAT(error_of([&] { kyper::accuracy(probs.data(), fractional.data(), 2, 1); }),
              AllOf(HasSubstr("row 1"), HasSubstr("0..1")));
}

TYPED_TEST(Metrics, RocAucPerfectReversedAndHandComputed) {
  const std::vector<TypeParam> labels = {0, 0, 1, 1};
  const std::vector<TypeParam> perfect = {0.1, 0.2, 0.8, 0.9};
  const std::vector<TypeParam> reversed = {0.9, 0.8, 0.2, 0.1};
  const std::vector<TypeParam> mixed = {0.1, 0.4, 0.35, 0.8};  // sklearn: 0.75
  EXPECT_DOUBLE_EQ(kyper::roc_auc(perfect.data(), labels.data(), 4), 1.0);
  EXPECT_DOUBLE_EQ(kyper::roc_auc(reversed.data(), labels.data(), 4), 0.0);
  EXPECT_DOUBLE_EQ(kyper::roc_auc(mixed.data(), labels.data(), 4), 0.75);
}

TYPED_TEST(Metrics, RocAucAveragesTiedRanks) {
  // All scores tied: every positive/negative pair counts one half.
  const std::vector<TypeParam> labels = {1, 0, 0, 1, 0};
  const std::vector<TypeParam> tied = {0.3, 0.3, 0.3, 0.3, 0.3};
  EXPECT_DOUBLE_EQ(kyper::roc_auc(tied.data(), labels.data(), 5), 0.5);
  // Positives 0.5, 0.5, 0.9 vs negatives 0.1, 0.5, 0.2: 2.5 + 2.5 + 3 wins of 9 pairs.
  const std::vector<TypeParam> y = {0, 0, 1, 1, 1, 0};
  const std::vector<TypeParam> s = {0.1, 0.5, 0.5, 0.5, 0.9, 0.2};
  EXPECT_NEAR(kyper::roc_auc(s.data(), y.data(), 6), 8.0 / 9.0, 1e-12);
}

TYPED_TEST(Metrics, RocAucRejectsSingleClassAndBadLabels) {
  const std::vector<TypeParam> scores = {0.1, 0.2, 0.3};
  const std::vector<TypeParam> ones = {1, 1, 1};
  EXPECT_THAT(error_of([&] { kyper::roc_auc(scores.data(), ones.data(), 3); }),
              AllOf(HasSubstr("one class"), HasSubstr("3 positive")));
  const std::vector<TypeParam> bad = {0, 1, 2};
  EXPECT_THAT(error_of([&] { kyper::roc_auc(scores.data(), bad.data(), 3); }),
              AllOf(HasSubstr("row 2"), HasSubstr("label 2")));
}

}  // namespace
