#include <kyper/svg_chart.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kyper::plot {

namespace {

std::string px(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

std::string title_element(const std::string& title) {
  return title.empty() ? std::string() : "<title>" + xml_escape(title) + "</title>";
}

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n') out += "\xEF\xBF\xBD";  // not allowed in XML 1.0
        else out += char(c);
    }
  }
  return out;
}

std::string path_data(const std::vector<double>& xs, const std::vector<double>& ys, const Scale& x, const Scale& y) {
  std::string d;
  bool pen_down = false;
  for (std::size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    const bool usable = std::isfinite(xs[i]) && std::isfinite(ys[i]) &&
                        (x.kind() == ScaleKind::Linear || xs[i] > 0) && (y.kind() == ScaleKind::Linear || ys[i] > 0);
    if (!usable) {
      pen_down = false;
      continue;
    }
    if (!d.empty()) d += ' ';
    d += (pen_down ? "L" : "M") + px(x(xs[i])) + ' ' + px(y(ys[i]));
    pen_down = true;
  }
  return d;
}

SvgChart::SvgChart(int width, int height, Margins margins) : width_(width), height_(height), margins_(margins) {}

void SvgChart::axes(const Scale& x, const Scale& y, const std::string& x_label, const std::string& y_label) {
  x_axis(x, x_label);
  y_axis(y, y_label);
}

void SvgChart::x_axis(const Scale& x, const std::string& label) {
  body_ << "<g class=\"axis\">";
  body_ << "<line x1=\"" << px(left()) << "\" y1=\"" << px(bottom()) << "\" x2=\"" << px(right()) << "\" y2=\""
        << px(bottom()) << "\"/>";
  for (double t : x.ticks()) {
    const double p = x(t);
    body_ << "<line class=\"grid\" x1=\"" << px(p) << "\" y1=\"" << px(top()) << "\" x2=\"" << px(p) << "\" y2=\""
          << px(bottom()) << "\"/>";
    body_ << "<text class=\"tick\" x=\"" << px(p) << "\" y=\"" << px(bottom() + 14)
          << "\" text-anchor=\"middle\">" << xml_escape(x.label(t)) << "</text>";
  }
  body_ << "<text class=\"label\" x=\"" << px((left() + right()) / 2) << "\" y=\"" << px(height_ - 6)
        << "\" text-anchor=\"middle\">" << xml_escape(label) << "</text></g>";
}

void SvgChart::y_axis(const Scale& y, const std::string& label) {
  body_ << "<g class=\"axis\">";
  body_ << "<line x1=\"" << px(left()) << "\" y1=\"" << px(top()) << "\" x2=\"" << px(left()) << "\" y2=\""
        << px(bottom()) << "\"/>";
  for (double t : y.ticks()) {
    const double p = y(t);
    body_ << "<line class=\"grid\" x1=\"" << px(left()) << "\" y1=\"" << px(p) << "\" x2=\"" << px(right())
          << "\" y2=\"" << px(p) << "\"/>";
    body_ << "<text class=\"tick\" x=\"" << px(left() - 4) << "\" y=\"" << px(p + 4) << "\" text-anchor=\"end\">"
          << xml_escape(y.label(t)) << "</text>";
  }
  body_ << "<text class=\"label\" transform=\"translate(12 " << px((top() + bottom()) / 2)
        << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(label) << "</text>";
  body_ << "</g>";
}

void SvgChart::line(const std::vector<double>& xs, const std::vector<double>& ys, const Scale& x, const Scale& y,
                    const std::string& css_class, const std::string& title) {
  const std::string d = path_data(xs, ys, x, y);
  if (d.empty()) return;
  body_ << "<path class=\"" << xml_escape(css_class) << "\" d=\"" << d << "\">" << title_element(title) << "</path>";
}

void SvgChart::points(const std::vector<double>& xs, const std::vector<double>& ys, const Scale& x, const Scale& y,
                      const std::string& css_class, const std::vector<std::string>& titles, double radius) {
  for (std::size_t i = 0; i < xs.size() && i < ys.size(); ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    if ((x.kind() == ScaleKind::Log && xs[i] <= 0) || (y.kind() == ScaleKind::Log && ys[i] <= 0)) continue;
    body_ << "<circle class=\"" << xml_escape(css_class) << "\" cx=\"" << px(x(xs[i])) << "\" cy=\"" << px(y(ys[i]))
          << "\" r=\"" << px(radius) << "\">" << (i < titles.size() ? title_element(titles[i]) : "") << "</circle>";
  }
}

void SvgChart::cross(double x, double y, const std::string& css_class, const std::string& title) {
  body_ << "<path class=\"" << xml_escape(css_class) << "\" d=\"M" << px(x - 4) << ' ' << px(y - 4) << " L" << px(x + 4)
        << ' ' << px(y + 4) << " M" << px(x - 4) << ' ' << px(y + 4) << " L" << px(x + 4) << ' ' << px(y - 4) << "\">"
        << title_element(title) << "</path>";
}

void SvgChart::rect(double x, double y, double width, double height, const std::string& css_class,
                    const std::string& title) {
  body_ << "<rect class=\"" << xml_escape(css_class) << "\" x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\""
        << px(std::max(0.0, width)) << "\" height=\"" << px(std::max(0.0, height)) << "\">" << title_element(title)
        << "</rect>";
}

void SvgChart::segment(double x1, double y1, double x2, double y2, const std::string& css_class) {
  body_ << "<line class=\"" << xml_escape(css_class) << "\" x1=\"" << px(x1) << "\" y1=\"" << px(y1) << "\" x2=\""
        << px(x2) << "\" y2=\"" << px(y2) << "\"/>";
}

void SvgChart::text(double x, double y, const std::string& text, const std::string& css_class,
                    const std::string& anchor) {
  body_ << "<text" << (css_class.empty() ? "" : " class=\"" + xml_escape(css_class) + "\"") << " x=\"" << px(x)
        << "\" y=\"" << px(y) << "\" text-anchor=\"" << xml_escape(anchor) << "\">" << xml_escape(text) << "</text>";
}

void SvgChart::legend(int row, const std::string& css_class, const std::string& label, bool bottom_corner) {
  const double y = bottom_corner ? bottom() - 8 - 14 * row : top() + 10 + 14 * row, x = right() - 150;
  body_ << "<rect class=\"legend-box\" x=\"" << px(x - 4) << "\" y=\"" << px(y - 11) << "\" width=\"150\" height=\"14\"/>";
  body_ << "<g class=\"legend\"><line class=\"" << xml_escape(css_class) << "\" x1=\"" << px(x) << "\" y1=\""
        << px(y - 4) << "\" x2=\"" << px(x + 18) << "\" y2=\"" << px(y - 4) << "\"/>";
  body_ << "<text x=\"" << px(x + 22) << "\" y=\"" << px(y) << "\">" << xml_escape(label) << "</text></g>";
}

std::string SvgChart::str(const std::string& aria_label) const {
  std::ostringstream out;
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width_ << "\" height=\"" << height_
      << "\" viewBox=\"0 0 " << width_ << ' ' << height_ << "\" role=\"img\" aria-label=\"" << xml_escape(aria_label)
      << "\">" << body_.str() << "</svg>";
  return out.str();
}

}  // namespace kyper::plot
