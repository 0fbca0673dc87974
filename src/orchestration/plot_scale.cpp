#include <kyper/plot_scale.hpp>

#include <kyper/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kyper::plot {

namespace {

// Widens a degenerate interval so that it has a width to draw.
void widen(double& lo, double& hi) {
  if (hi > lo) return;
  const double half = lo == 0 ? 0.5 : std::abs(lo) * 0.1;
  lo -= half, hi += half;
}

}  // namespace

Scale Scale::linear(double lo, double hi, double pixel_lo, double pixel_hi) {
  KYPER_REQUIRE(std::isfinite(lo) && std::isfinite(hi), "plot scale: non-finite domain [" << lo << ", " << hi << "]");
  if (lo > hi) std::swap(lo, hi);
  widen(lo, hi);
  return Scale(ScaleKind::Linear, lo, hi, pixel_lo, pixel_hi);
}

Scale Scale::log(double lo, double hi, double pixel_lo, double pixel_hi) {
  KYPER_REQUIRE(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && hi > 0,
                "plot scale: a log axis needs a positive finite domain, got [" << lo << ", " << hi << "]");
  if (lo > hi) std::swap(lo, hi);
  if (hi == lo) lo /= std::sqrt(10.0), hi *= std::sqrt(10.0);
  return Scale(ScaleKind::Log, lo, hi, pixel_lo, pixel_hi);
}

Scale Scale::nice(int target) const {
  if (kind_ == ScaleKind::Log) return *this;
  const double step = nice_step(hi_ - lo_, target);
  return Scale(kind_, std::floor(lo_ / step) * step, std::ceil(hi_ / step) * step, pixel_lo_, pixel_hi_);
}

double Scale::operator()(double value) const {
  double t;
  if (kind_ == ScaleKind::Log) t = (std::log10(value) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_));
  else t = (value - lo_) / (hi_ - lo_);
  return pixel_lo_ + t * (pixel_hi_ - pixel_lo_);
}

double nice_step(double span, int target) {
  KYPER_REQUIRE(span > 0 && std::isfinite(span), "plot scale: the span must be positive, got " << span);
  const double raw = span / std::max(1, target);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  const double fraction = raw / power;  // in [1, 10)
  const double nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  return nice * power;
}

std::vector<double> Scale::ticks(int target) const {
  std::vector<double> out;
  if (kind_ == ScaleKind::Linear) {
    const double step = nice_step(hi_ - lo_, target);
    // Integer multiples of the step: no accumulated rounding error, and an exact 0.
    const double first = std::ceil(lo_ / step - 1e-9), last = std::floor(hi_ / step + 1e-9);
    for (double k = first; k <= last; ++k) out.push_back(k == 0 ? 0.0 : k * step);
    return out;
  }
  const int first = int(std::floor(std::log10(lo_))), last = int(std::ceil(std::log10(hi_)));
  const bool few_decades = last - first < 3;
  // Many decades: every n-th power of ten, so that about `target` remain.
  const int every = std::max(1, (last - first) / std::max(1, target));
  for (int e = first; e <= last; ++e) {
    const double decade = std::pow(10.0, e);
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1 && !few_decades) continue;
      if (m == 1 && (e - first) % every != 0) continue;
      const double v = m * decade;
      if (v >= lo_ * (1 - 1e-9) && v <= hi_ * (1 + 1e-9)) out.push_back(v);
    }
  }
  return out;
}

std::string Scale::label(double tick, int target) const {
  if (kind_ == ScaleKind::Log) return format_number(tick, tick);
  return format_number(tick, nice_step(hi_ - lo_, target));
}

std::string format_number(double value, double step) {
  if (!std::isfinite(value)) return format_value(value);
  if (value == 0) return "0";
  char text[64];
  const double magnitude = std::max(std::abs(value), std::abs(step));
  if (magnitude >= 1e6 || magnitude < 1e-4) {
    // Scientific: as many mantissa decimals as the step is decades below the value (at most 3).
    const int digits = std::clamp(
        int(std::floor(std::log10(std::abs(value)) + 1e-9) - std::floor(std::log10(std::abs(step)) + 1e-9)), 0, 3);
    std::snprintf(text, sizeof text, "%.*e", digits, value);
    return text;
  }
  const int decimals = std::clamp(int(std::ceil(-std::log10(std::abs(step)) - 1e-9)), 0, 6);
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  std::string s = text;
  if (s == "-0" || s.find_first_not_of("-0.") == std::string::npos) return "0";
  return s;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

}  // namespace kyper::plot
