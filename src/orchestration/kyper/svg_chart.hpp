// An SVG chart as text, for the report: a plot area with two scales, axes with ticks and labels,
// lines, points with hover text (<title>), rectangles and free text. Styling is by CSS class
// (the report's stylesheet); everything written is XML-escaped.
#pragma once

#include <kyper/plot_scale.hpp>

#include <sstream>
#include <string>
#include <vector>

namespace kyper::plot {

// Text safe inside XML/HTML elements and attribute values (& < > " ' escaped; bytes of UTF-8
// pass through; control characters other than tab and newline become U+FFFD).
std::string xml_escape(const std::string& text);

// SVG path data "M x y L x y ..." through the finite points; a non-finite point ends the current
// piece and the next finite one starts a new one (a "M"). Coordinates have 2 decimals.
std::string path_data(const std::vector<double>& xs, const std::vector<double>& ys, const Scale& x, const Scale& y);

struct Margins {
  int left = 64, right = 16, top = 24, bottom = 44;
};

class SvgChart {
 public:
  SvgChart(int width, int height, Margins margins = {});

  int width() const { return width_; }
  int height() const { return height_; }
  // Pixel bounds of the plot area, for building scales.
  double left() const { return margins_.left; }
  double right() const { return width_ - margins_.right; }
  double top() const { return margins_.top; }
  double bottom() const { return height_ - margins_.bottom; }
  // Scales over the plot area.
  Scale x_linear(double lo, double hi) const { return Scale::linear(lo, hi, left(), right()).nice(); }
  Scale y_linear(double lo, double hi) const { return Scale::linear(lo, hi, bottom(), top()).nice(); }
  Scale x_log(double lo, double hi) const { return Scale::log(lo, hi, left(), right()); }
  Scale y_log(double lo, double hi) const { return Scale::log(lo, hi, bottom(), top()); }

  // Axis lines, grid lines at the ticks, tick labels and the axis labels.
  void axes(const Scale& x, const Scale& y, const std::string& x_label, const std::string& y_label);
  void x_axis(const Scale& x, const std::string& label);
  void y_axis(const Scale& y, const std::string& label);
  void line(const std::vector<double>& xs, const std::vector<double>& ys, const Scale& x, const Scale& y,
            const std::string& css_class, const std::string& title = "");
  // One circle per finite point; titles (if given) one per point.
  void points(const std::vector<double>& xs, const std::vector<double>& ys, const Scale& x, const Scale& y,
              const std::string& css_class, const std::vector<std::string>& titles = {}, double radius = 3);
  // A cross at pixel (px, py), e.g. a failed trial below the plot area.
  void cross(double px, double py, const std::string& css_class, const std::string& title);
  void rect(double px, double py, double width, double height, const std::string& css_class,
            const std::string& title = "");
  void segment(double x1, double y1, double x2, double y2, const std::string& css_class);
  // anchor: start | middle | end
  void text(double px, double py, const std::string& text, const std::string& css_class = "",
            const std::string& anchor = "start");
  // A legend entry (a short line in the entry's class and its label) at row `row` of the top right
  // corner of the plot area, or of the bottom right one.
  void legend(int row, const std::string& css_class, const std::string& label, bool bottom = false);

  std::string str(const std::string& aria_label) const;

 private:
  int width_, height_;
  Margins margins_;
  std::ostringstream body_;
};

}  // namespace kyper::plot
