#include <kyper/error.hpp>
#include <kyper/search/acquisition.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace kyper::search {

Acquisition parse_acquisition(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "UCB" || upper == "LCB") return Acquisition::UCB;
  if (upper == "EI") return Acquisition::EI;
  if (upper == "PI") return Acquisition::PI;
  KYPER_FAIL("unknown acquisition function '" << name << "' (expected UCB, LCB, EI or PI)");
}

const char* to_string(Acquisition acquisition) {
  switch (acquisition) {
    case Acquisition::UCB: return "UCB";
    case Acquisition::EI: return "EI";
    case Acquisition::PI: return "PI";
  }
  return "?";
}

Eigen::VectorXd acquisition_scores(Acquisition acquisition, const Eigen::VectorXd& mean,
                                   const Eigen::VectorXd& std, double best, double kappa,
                                   double xi) {
  if (acquisition == Acquisition::UCB) return mean + kappa * std;
  Eigen::VectorXd out(mean.size());
  for (Eigen::Index i = 0; i < mean.size(); ++i) {
    const double improvement = mean[i] - best - xi;
    const double s = std[i];
    if (s <= 1e-12) {
      out[i] = acquisition == Acquisition::EI ? std::max(improvement, 0.0) : (improvement > 0 ? 1.0 : 0.0);
      continue;
    }
    const double z = improvement / s;
    const double cdf = 0.5 * std::erfc(-z / std::sqrt(2.0));
    const double pdf = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
    out[i] = acquisition == Acquisition::EI ? improvement * cdf + s * pdf : cdf;
  }
  return out;
}

}  // namespace kyper::search
