// Regularized (aging) evolution (Real et al. 2019), DeepHyper's RE: the population is the
// most recent `population_size` results; each child mutates one parameter of the best of
// `sample_size` members drawn at random. Until the population is full, children are random.
#pragma once

#include <kyper/search/search.hpp>

#include <cstddef>
#include <random>
#include <vector>

namespace kyper::search {

struct EvolutionOptions {
  int population_size = 100;
  int sample_size = 10;
};

// The population children are bred from: the newest `population_size` observations. Until it is
// full (and holds a success), children are random draws.
struct Population {
  std::size_t first = 0, size = 0;
  bool evolving = false;
};
Population population_of(const std::vector<Observation>& observations, int population_size);

// Tournament selection: the best successful one of `sample_size` members drawn at random without
// replacement (failed members never win); nullptr when every drawn member failed.
const Observation* tournament(const std::vector<Observation>& observations, const Population& population,
                              int sample_size, bool maximize, std::mt19937_64& rng);

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
