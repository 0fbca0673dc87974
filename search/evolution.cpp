#include <kyper/error.hpp>
#include <kyper/search/evolution.hpp>
#include <kyper/search/sampler.hpp>

#include <algorithm>
#include <numeric>
#include <unordered_set>

namespace kyper::search {

AgingEvolution::AgingEvolution(Space space, SearchOptions options, EvolutionOptions evolution)
    : Search(std::move(space), options), evolution_(evolution) {
  KYPER_REQUIRE(evolution_.population_size >= 1,
                "aging evolution: population_size must be >= 1, got " << evolution_.population_size);
  KYPER_REQUIRE(evolution_.sample_size >= 1 && evolution_.sample_size <= evolution_.population_size,
                "aging evolution: sample_size must be in [1, population_size], got "
                    << evolution_.sample_size);
}

Population population_of(const std::vector<Observation>& obs, int population_size) {
  Population p;
  p.size = std::min(obs.size(), static_cast<std::size_t>(population_size));
  p.first = obs.size() - p.size;
  // Failed members stay in the population (they age out like the others) but never win.
  const bool any_success = std::any_of(obs.begin() + static_cast<std::ptrdiff_t>(p.first), obs.end(),
                                       [](const Observation& o) { return !o.failed(); });
  p.evolving = p.size >= static_cast<std::size_t>(population_size) && any_success;
  return p;
}

const Observation* tournament(const std::vector<Observation>& obs, const Population& population, int sample_size,
                              bool maximize, std::mt19937_64& rng) {
  std::vector<std::size_t> members(population.size);
  std::iota(members.begin(), members.end(), population.first);
  const std::size_t k = std::min(population.size, static_cast<std::size_t>(sample_size));
  for (std::size_t j = 0; j < k; ++j)
    std::swap(members[j], members[std::uniform_int_distribution<std::size_t>(j, population.size - 1)(rng)]);
  const Observation* parent = nullptr;
  for (std::size_t j = 0; j < k; ++j) {
    const Observation& o = obs[members[j]];
    const double sign = maximize ? 1.0 : -1.0;
    if (!o.failed() && (!parent || sign * *o.objective > sign * *parent->objective)) parent = &o;
  }
  return parent;
}

std::vector<Configuration> AgingEvolution::propose(int n) {
  std::unordered_set<std::string> batch;  // this ask's proposals; known_keys() holds the rest
  const auto& obs = observations();
  const Population population = population_of(obs, evolution_.population_size);
  std::vector<Configuration> out;
  for (int i = 0; i < n; ++i)
    out.push_back(draw_new(
        [&] {
          const Observation* parent =
              population.evolving ? tournament(obs, population, evolution_.sample_size, maximize(), rng_) : nullptr;
          return parent ? mutate(space_, parent->config, rng_) : sample(space_, rng_);
        },
        batch));
  return out;
}

}  // namespace kyper::search
