// Acquisition functions, all written for maximisation of the (internally maximised)
// objective: a larger score means a more promising candidate.
#pragma once

#include <Eigen/Core>

#include <string>

namespace kyper::search {

enum class Acquisition {
  UCB,  // mean + kappa * std (optimistic bound; "LCB" is the same bound for minimisation)
  EI,   // expected improvement over the best value + xi
  PI,   // probability of improving on the best value + xi
};

// "UCB", "LCB", "EI", "PI" (case-insensitive); throws naming the unknown value.
Acquisition parse_acquisition(const std::string& name);
const char* to_string(Acquisition acquisition);

// Scores for predictions (mean, std) given the best observed value `best`.
Eigen::VectorXd acquisition_scores(Acquisition acquisition, const Eigen::VectorXd& mean,
                                   const Eigen::VectorXd& std, double best, double kappa,
                                   double xi);

}  // namespace kyper::search
