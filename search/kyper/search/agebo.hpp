// AgEBO (Egele et al. 2021): aging evolution over some parameters (a network's architecture)
// jointly with Bayesian optimisation of the others (its training hyperparameters), in one
// asynchronous ask/tell search. Each child takes the architecture of the best of `sample_size`
// random members of the population (the newest `population_size` results) with one choice
// mutated, and hyperparameters proposed by a CBO fitted on every result so far (hyperparameters
// -> objective; trials still running count as the worst result). Until the population is full,
// architectures are random draws.
#pragma once

#include <string>
#include <vector>

#include <kyper/search/cbo.hpp>
#include <kyper/search/evolution.hpp>
#include <kyper/search/search.hpp>

namespace kyper::search {

class AgEBO : public Search {
 public:
  // `evolved` names the parameters evolution mutates; all other parameters of `space` are tuned by
  // the BO. Conditions and forbidden clauses must stay within one of the two groups (error naming
  // the parameters otherwise). With no tuned parameters AgEBO is plain aging evolution.
  AgEBO(Space space, std::vector<std::string> evolved, SearchOptions options = {}, EvolutionOptions evolution = {},
        CBOOptions bo = {});
  std::string name() const override { return "AgEBO"; }

  const Space& evolved_space() const { return evolved_space_; }
  const Space& tuned_space() const { return tuned_space_; }

 protected:
  std::vector<Configuration> propose(int n) override;

 private:
  std::vector<Configuration> propose_tuned(int n);
  static Configuration project(const Space& part, const Configuration& config);

  EvolutionOptions evolution_;
  CBOOptions bo_;
  Space evolved_space_, tuned_space_;
};

}  // namespace kyper::search
