// The mixture maths against hand computation and against numerical integration, and the
// calibration scores on predictions whose calibration is known.
#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <kyper/uq/mixture.hpp>
#include <kyper/uq/scores.hpp>

using namespace kyper::uq;

namespace {
constexpr double kPi = 3.14159265358979323846;
double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Three members: weights 2:1:1, means 1, 2, 4, variances 1, 0.5, 2.
std::vector<Component> three() { return {{2, 1, 1}, {1, 2, 0.5}, {1, 4, 2}}; }
}  // namespace

TEST(Mixture, DecompositionMatchesHandComputation) {
  const Decomposition d = decompose(three());
  // mean = .5*1 + .25*2 + .25*4 = 2; E[σ²] = .5 + .125 + .5; Var[μ] = .5*1 + .25*0 + .25*4.
  EXPECT_DOUBLE_EQ(d.mean, 2.0);
  EXPECT_DOUBLE_EQ(d.aleatoric, 1.125);
  EXPECT_DOUBLE_EQ(d.epistemic, 1.5);
  EXPECT_DOUBLE_EQ(d.total(), 2.625);
  // Identical members: no epistemic part.
  EXPECT_DOUBLE_EQ(decompose({{1, 3, 0.7}, {1, 3, 0.7}}).epistemic, 0.0);
}

TEST(Mixture, TotalVarianceIsTheMixtureSecondMoment) {
  // Var = ∫ y² p(y) dy - mean², by the trapezoid rule on the density.
  const auto mix = three();
  double m0 = 0, m1 = 0, m2 = 0;
  const double h = 1e-3;
  for (double y = -20; y <= 25; y += h) {
    const double p = std::exp(mixture_log_density(y, mix)) * h;
    m0 += p, m1 += p * y, m2 += p * y * y;
  }
  EXPECT_NEAR(m0, 1.0, 1e-9);
  EXPECT_NEAR(m2 / m0 - (m1 / m0) * (m1 / m0), decompose(mix).total(), 1e-6);
}

TEST(Mixture, LogDensityIsFiniteFarFromEveryMember) {
  const double far = mixture_log_density(1e4, three());
  EXPECT_TRUE(std::isfinite(far));
  // Dominated by the widest member: log(.25) - ½ log(2π·2) - (1e4-4)²/4.
  EXPECT_NEAR(far, std::log(0.25) - 0.5 * std::log(4 * kPi) - (1e4 - 4) * (1e4 - 4) / 4, 1e-6 * std::abs(far));
}

TEST(Mixture, QuantilesInvertTheCdf) {
  for (double p : {0.001, 0.025, 0.3, 0.5, 0.84, 0.975, 0.999})
    EXPECT_NEAR(mixture_cdf(mixture_quantile(p, three()), three()), p, 1e-10);
  // One Gaussian: the 95% interval is μ ± 1.959964σ.
  const Interval i = central_interval(0.95, {{1, 10, 4}});
  EXPECT_NEAR(i.lower, 10 - 1.959963984540054 * 2, 1e-9);
  EXPECT_NEAR(i.upper, 10 + 1.959963984540054 * 2, 1e-9);
}

TEST(Mixture, CrpsMatchesClosedFormAndNumericalIntegral) {
  // One Gaussian: σ [z(2Φ(z)-1) + 2φ(z) - 1/√π], z = (y-μ)/σ.
  const double mu = 1.5, sigma = 0.8, y = 2.3, z = (y - mu) / sigma;
  const double single = sigma * (z * (2 * normal_cdf(z) - 1) + 2 * std::exp(-z * z / 2) / std::sqrt(2 * kPi) -
                                 1 / std::sqrt(kPi));
  EXPECT_NEAR(mixture_crps(y, {{1, mu, sigma * sigma}}), single, 1e-12);
  // Mixture: ∫ (F(x) - 1[x ≥ y])² dx.
  for (double obs : {-1.0, 2.0, 6.5}) {
    double integral = 0;
    const double h = 1e-3;
    for (double x = -25 + h / 2; x < 30; x += h) {
      const double diff = mixture_cdf(x, three()) - (x >= obs ? 1 : 0);
      integral += diff * diff * h;
    }
    EXPECT_NEAR(mixture_crps(obs, three()), integral, 1e-5) << "y = " << obs;
  }
}

TEST(Mixture, ClassEntropySplitsIntoExpectedEntropyAndMutualInformation) {
  const double disagree[] = {0.9, 0.1, 0.1, 0.9}, weights[] = {1, 1};
  const ClassDecomposition d = decompose_classes(disagree, weights, 2, 2);
  const double h09 = -(0.9 * std::log(0.9) + 0.1 * std::log(0.1));
  EXPECT_DOUBLE_EQ(d.probabilities[0], 0.5);
  EXPECT_NEAR(d.total, std::log(2.0), 1e-15);
  EXPECT_NEAR(d.aleatoric, h09, 1e-15);
  EXPECT_NEAR(d.epistemic, std::log(2.0) - h09, 1e-15);
  // Members that agree: all uncertainty is aleatoric.
  const double agree[] = {0.7, 0.2, 0.1, 0.7, 0.2, 0.1};
  const double w3[] = {1, 3};
  const ClassDecomposition a = decompose_classes(agree, w3, 2, 3);
  EXPECT_NEAR(a.epistemic, 0.0, 1e-15);
  EXPECT_NEAR(a.aleatoric, a.total, 1e-15);
}

TEST(Scores, ExpectedCalibrationErrorByHand) {
  // Rows 1-2: confidence 0.9, one right (bin 13: |0.5 - 0.9|); rows 3-4: confidence 0.6, both right
  // (bin 9: |1 - 0.6|). ECE = 2/4 * 0.4 + 2/4 * 0.4.
  const double p[] = {0.9, 0.1, 0.9, 0.1, 0.4, 0.6, 0.6, 0.4};
  const float labels[] = {0, 1, 1, 0};
  EXPECT_NEAR(expected_calibration_error(p, labels, 4, 2, 15), 0.4, 1e-12);
  // One bin: |accuracy - mean confidence| = |0.75 - 0.75|.
  EXPECT_NEAR(expected_calibration_error(p, labels, 4, 2, 1), 0.0, 1e-12);
}

TEST(Scores, CalibratedPredictionsCoverTheirIntervals) {
  // Two members whose mixture is exactly the distribution the targets are drawn from.
  MemberPredictions p;
  p.kind = PredictionKind::Gaussian, p.members = 2, p.rows = 40000, p.outputs = 1, p.names = {"y"}, p.weights = {0.5, 0.5};
  std::mt19937_64 rng(3);
  std::vector<float> y(size_t(p.rows));
  p.mean.resize(2 * size_t(p.rows)), p.variance.resize(2 * size_t(p.rows));
  std::uniform_real_distribution<double> u(0, 1);
  for (long r = 0; r < p.rows; ++r) {
    const double centre = 10 * u(rng), spread = 0.5 + u(rng);
    p.mean[p.at(0, r, 0)] = centre - spread, p.mean[p.at(1, r, 0)] = centre + spread;
    p.variance[p.at(0, r, 0)] = 0.25, p.variance[p.at(1, r, 0)] = 1.0;
    const int member = u(rng) < 0.5 ? 0 : 1;
    y[r] = float(std::normal_distribution<double>(p.mean[p.at(member, r, 0)],
                                                  std::sqrt(p.variance[p.at(member, r, 0)]))(rng));
  }
  const RegressionScores s = score_regression(p, y.data());
  EXPECT_NEAR(s.coverage95, 0.95, 0.005);
  EXPECT_NEAR(s.coverage68, 0.6827, 0.008);
  EXPECT_GT(s.width95, s.width68);
  // Shifting every prediction by 3 hurts every score.
  MemberPredictions shifted = p;
  for (double& m : shifted.mean) m += 3;
  const RegressionScores b = score_regression(shifted, y.data());
  EXPECT_GT(b.nll, s.nll + 1);
  EXPECT_GT(b.crps, s.crps);
  EXPECT_GT(b.rmse, s.rmse);
  EXPECT_LT(b.coverage95, 0.7);
}

TEST(Scores, RegressionScoresByHand) {
  // One member, two rows: errors 0.5 and -2 against unit variances.
  MemberPredictions p;
  p.kind = PredictionKind::Gaussian, p.members = 1, p.rows = 2, p.outputs = 1, p.names = {"y"}, p.weights = {1};
  p.mean = {1.5, 2}, p.variance = {1, 1};
  const float y[] = {2, 0};
  const RegressionScores s = score_regression(p, y);
  EXPECT_NEAR(s.rmse, std::sqrt((0.25 + 4.0) / 2), 1e-12);
  EXPECT_NEAR(s.nll, 0.5 * std::log(2 * kPi) + (0.25 + 4.0) / 4, 1e-12);
  // The 68.27% interval is ±1σ, the 95% one ±1.96σ: 0.5 is inside both, 2 outside both.
  EXPECT_DOUBLE_EQ(s.coverage68, 0.5);
  EXPECT_DOUBLE_EQ(s.coverage95, 0.5);
  EXPECT_NEAR(s.width68, 2.0, 1e-9);
  EXPECT_NEAR(s.width95, 2 * 1.959963984540054, 1e-9);
}

TEST(Scores, DivergedMemberHasMinusInfiniteLikelihood) {
  MemberPredictions p;
  p.kind = PredictionKind::Gaussian, p.members = 2, p.rows = 1, p.outputs = 1, p.names = {"y"}, p.weights = {1, 1};
  p.mean = {0, std::nan("")}, p.variance = {1, 1};
  const float y[] = {0};
  const auto ll = member_log_likelihood(p, y);
  EXPECT_NEAR(ll[0], -0.5 * std::log(2 * kPi), 1e-12);
  EXPECT_EQ(ll[1], -INFINITY);
}
