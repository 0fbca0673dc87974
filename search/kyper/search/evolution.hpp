// Regularized (aging) evolution (Real et al. 2019), DeepHyper's RE: the population is the
// most recent `population_size` results; each child mutates one parameter of the best of
// `sample_size` members drawn at random. Until the population is full, children are random.
#pragma once

#include <kyper/search/search.hpp>

namespace kyper::search {

struct EvolutionOptions {
  int population_size = 100;
  int sample_size = 10;
};

class AgingEvolution : public Search {
 public:
  AgingEvolution(Space space, SearchOptions options = {}, EvolutionOptions evolution = {});
  std::string name() const override { return "AgingEvolution"; }
  const EvolutionOptions& evolution_options() const { return evolution_; }

 protected:
  std::vector<Configuration> propose(int n) override;

 private:
  EvolutionOptions evolution_;
};

}  // namespace kyper::search
