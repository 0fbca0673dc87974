// The report's plotting primitives against hand-computed coordinates: scales, ticks, tick labels,
// path data, escaping.
#include <kyper/error.hpp>
#include <kyper/plot_scale.hpp>
#include <kyper/svg_chart.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace kyper::plot;

TEST(PlotScale, LinearMapsEndsAndMiddle) {
  const Scale s = Scale::linear(0, 10, 100, 300);
  EXPECT_DOUBLE_EQ(s(0), 100);
  EXPECT_DOUBLE_EQ(s(10), 300);
  EXPECT_DOUBLE_EQ(s(2.5), 150);
  // An upward y axis: pixels decrease as values grow.
  const Scale y = Scale::linear(-1, 1, 200, 0);
  EXPECT_DOUBLE_EQ(y(-1), 200);
  EXPECT_DOUBLE_EQ(y(0), 100);
  EXPECT_DOUBLE_EQ(y(0.5), 50);
}

TEST(PlotScale, LogMapsDecadesEvenly) {
  const Scale s = Scale::log(1e-4, 1e-1, 0, 300);
  EXPECT_NEAR(s(1e-4), 0, 1e-9);
  EXPECT_NEAR(s(1e-3), 100, 1e-9);
  EXPECT_NEAR(s(1e-2), 200, 1e-9);
  EXPECT_NEAR(s(std::sqrt(10) * 1e-3), 150, 1e-9);
  EXPECT_THROW(Scale::log(0, 1, 0, 1), kyper::Error);
  EXPECT_THROW(Scale::log(-1, 1, 0, 1), kyper::Error);
}

TEST(PlotScale, DegenerateDomainsAreWidened) {
  const Scale constant = Scale::linear(3, 3, 0, 100);
  EXPECT_LT(constant.lo(), 3);
  EXPECT_GT(constant.hi(), 3);
  EXPECT_DOUBLE_EQ(constant(3), 50);  // the single value sits in the middle
  const Scale zero = Scale::linear(0, 0, 0, 100);
  EXPECT_DOUBLE_EQ(zero.lo(), -0.5);
  EXPECT_DOUBLE_EQ(zero.hi(), 0.5);
  const Scale log_point = Scale::log(10, 10, 0, 100);
  EXPECT_NEAR(log_point(10), 50, 1e-9);
  EXPECT_THROW(Scale::linear(0, std::numeric_limits<double>::infinity(), 0, 1), kyper::Error);
  EXPECT_THROW(Scale::linear(std::nan(""), 1, 0, 1), kyper::Error);
}

TEST(PlotScale, NiceStepsAreOneTwoFive) {
  EXPECT_DOUBLE_EQ(nice_step(10, 5), 2);
  EXPECT_DOUBLE_EQ(nice_step(1, 5), 0.2);
  EXPECT_DOUBLE_EQ(nice_step(0.37, 5), 0.1);   // 0.074 -> 0.1
  EXPECT_DOUBLE_EQ(nice_step(0.3, 5), 0.05);   // 0.06 -> 0.05
  EXPECT_DOUBLE_EQ(nice_step(1300, 5), 200);   // 260 -> 200
  EXPECT_DOUBLE_EQ(nice_step(45, 5), 10);      // 9 -> 10
  EXPECT_THROW(nice_step(0, 5), kyper::Error);
}

TEST(PlotScale, LinearTicksAreExactMultiples) {
  const Scale s = Scale::linear(0.05, 0.93, 0, 100);
  const auto ticks = s.ticks(5);
  const std::vector<double> expected{0.2, 0.4, 0.6, 0.8};
  ASSERT_EQ(ticks.size(), expected.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) EXPECT_DOUBLE_EQ(ticks[i], expected[i]);
  // nice() widens the domain outward to ticks.
  const Scale n = s.nice(5);
  EXPECT_DOUBLE_EQ(n.lo(), 0);
  EXPECT_DOUBLE_EQ(n.hi(), 1);
  // Negative to positive: 0 is a tick, printed as "0" (never "-0").
  const Scale sym = Scale::linear(-1, 1, 0, 100);
  const auto t = sym.ticks(4);
  EXPECT_NE(std::find(t.begin(), t.end(), 0.0), t.end());
  for (double v : t) EXPECT_NE(sym.label(v, 4), "-0");
}

TEST(PlotScale, LogTicks) {
  const auto few = Scale::log(1e-3, 3e-2, 0, 1).ticks();
  const std::vector<double> expected_few{1e-3, 2e-3, 5e-3, 1e-2, 2e-2};
  ASSERT_EQ(few.size(), expected_few.size());
  for (std::size_t i = 0; i < few.size(); ++i) EXPECT_NEAR(few[i], expected_few[i], expected_few[i] * 1e-12);
  const auto many = Scale::log(1e-6, 1e2, 0, 1).ticks(4);
  // 8 decades, every second power of ten.
  const std::vector<double> expected_many{1e-6, 1e-4, 1e-2, 1, 100};
  ASSERT_EQ(many.size(), expected_many.size());
  for (std::size_t i = 0; i < many.size(); ++i) EXPECT_NEAR(many[i], expected_many[i], expected_many[i] * 1e-12);
}

TEST(PlotScale, TickLabelsHaveTheDigitsTheStepNeeds) {
  EXPECT_EQ(format_number(0.30000000000000004, 0.1), "0.3");
  EXPECT_EQ(format_number(0.25, 0.05), "0.25");
  EXPECT_EQ(format_number(1500, 500), "1500");
  EXPECT_EQ(format_number(-0.0, 0.1), "0");
  EXPECT_EQ(format_number(-1e-17, 0.2), "0");  // an accumulated error around zero
  EXPECT_EQ(format_number(2e-5, 1e-5), "2e-05");
  EXPECT_EQ(format_number(1.5e9, 5e8), "1.5e+09");
  EXPECT_EQ(format_number(0.001, 0.001), "0.001");
  EXPECT_EQ(format_value(std::nan("")), "nan");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_value(0.1234567), "0.123457");
  EXPECT_EQ(Scale::log(1e-4, 1e-1, 0, 1).label(1e-3), "0.001");
}

TEST(SvgChart, PathDataSkipsNonFinitePoints) {
  const Scale x = Scale::linear(0, 10, 0, 100), y = Scale::linear(0, 10, 100, 0);
  const double nan = std::nan("");
  EXPECT_EQ(path_data({0, 5, 10}, {0, 5, 10}, x, y), "M0.00 100.00 L50.00 50.00 L100.00 0.00");
  // A NaN breaks the line in two pieces.
  EXPECT_EQ(path_data({0, 2, 4, 6}, {1, nan, 3, 4}, x, y), "M0.00 90.00 M40.00 70.00 L60.00 60.00");
  // Non-positive values have no place on a log axis.
  const Scale lx = Scale::log(1, 100, 0, 100);
  EXPECT_EQ(path_data({0, 1, 10}, {1, 2, 3}, lx, y), "M0.00 80.00 L50.00 70.00");
  EXPECT_EQ(path_data({}, {}, x, y), "");
}

TEST(SvgChart, EscapesTextAndAttributes) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_EQ(xml_escape("Lernrate \xC3\xBC \xCE\xB1"), "Lernrate \xC3\xBC \xCE\xB1");  // UTF-8 passes through
  EXPECT_EQ(xml_escape(std::string("x\x01y", 3)), "x\xEF\xBF\xBDy");          // not allowed in XML
  SvgChart chart(200, 100);
  const Scale x = chart.x_linear(0, 1), y = chart.y_linear(0, 1);
  chart.points({0.5}, {0.5}, x, y, "trial", {"<script>alert(1)</script>"});
  const std::string svg = chart.str("a \"chart\"");
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(svg.find("aria-label=\"a &quot;chart&quot;\""), std::string::npos);
}

TEST(SvgChart, AxesPutTicksWhereTheScaleSays) {
  SvgChart chart(400, 300, Margins{50, 10, 10, 40});
  const Scale x = chart.x_linear(0, 10), y = chart.y_linear(0, 1);
  EXPECT_DOUBLE_EQ(x(0), 50);
  EXPECT_DOUBLE_EQ(x(10), 390);
  EXPECT_DOUBLE_EQ(y(0), 260);
  EXPECT_DOUBLE_EQ(y(1), 10);
  chart.axes(x, y, "epoch", "loss");
  const std::string svg = chart.str("axes");
  // The x tick at 4 sits at 50 + 0.4 * 340 = 186 and is labelled "4".
  EXPECT_NE(svg.find("x=\"186.00\" y=\"274.00\" text-anchor=\"middle\">4</text>"), std::string::npos) << svg;
  // The y tick at 0.6 sits at 260 - 0.6 * 250 = 110 (label 4 px lower).
  EXPECT_NE(svg.find("y=\"114.00\" text-anchor=\"end\">0.6</text>"), std::string::npos) << svg;
}
