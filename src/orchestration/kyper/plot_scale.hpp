// Axis scales for the report's charts: a data interval mapped onto a pixel interval, linearly or
// on log10, with tick positions at round numbers (1-2-5 steps; decades on a log axis) and tick
// labels printed with the digits the step needs, so an axis reads "0.2 0.4 0.6", never
// "0.30000000000000004".
#pragma once

#include <string>
#include <vector>

namespace kyper::plot {

enum class ScaleKind { Linear, Log };

class Scale {
 public:
  // Data [lo, hi] onto pixels [pixel_lo, pixel_hi] (pixel_lo > pixel_hi for an upward y axis).
  // A degenerate interval (lo == hi) is widened around its value, so a single point or a
  // constant objective still gets an axis; non-finite bounds are an error.
  static Scale linear(double lo, double hi, double pixel_lo, double pixel_hi);
  // Needs 0 < lo; hi may equal lo (widened to a decade around it).
  static Scale log(double lo, double hi, double pixel_lo, double pixel_hi);

  // Linear: [lo, hi] widened outward to the nearest ticks of about `target` steps.
  Scale nice(int target = 5) const;

  double operator()(double value) const;  // pixels; values outside the domain map outside the range
  ScaleKind kind() const { return kind_; }
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  double pixel_lo() const { return pixel_lo_; }
  double pixel_hi() const { return pixel_hi_; }

  // Tick values inside [lo, hi]: 1-2-5 multiples of a power of ten (about `target` of them), or on
  // a log axis the powers of ten (with 2 and 5 between them when it spans fewer than 3 decades).
  std::vector<double> ticks(int target = 5) const;
  // The label of one of ticks(target).
  std::string label(double tick, int target = 5) const;

 private:
  Scale(ScaleKind kind, double lo, double hi, double pixel_lo, double pixel_hi)
      : kind_(kind), lo_(lo), hi_(hi), pixel_lo_(pixel_lo), pixel_hi_(pixel_hi) {}
  ScaleKind kind_;
  double lo_, hi_, pixel_lo_, pixel_hi_;
};

// The 1-2-5 step that cuts `span` into about `target` pieces (span > 0).
double nice_step(double span, int target);
// A number printed with enough decimals for ticks `step` apart: "0.25", "1500", "2e-05", "1.5e+09".
std::string format_number(double value, double step);
// Short form of any number for tables and tooltips: 6 significant digits, "nan", "inf", "-inf".
std::string format_value(double value);

}  // namespace kyper::plot
