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

std::vector<Configuration> AgingEvolution::propose(int n) {
  // Keys proposed in this batch; known_keys() holds the observed and pending ones.
  std::unordered_set<std::string> batch;
  auto seen = [&](const std::string& k) { return known_keys().count(k) > 0 || batch.count(k) > 0; };
  const auto& obs = observations();
  // The population: the newest population_size results. Failed members stay in it (they age
  // out like the others) but never win a tournament.
  const std::size_t size = std::min(obs.size(), static_cast<std::size_t>(evolution_.population_size));
  const std::size_t first = obs.size() - size;
  const bool any_success = std::any_of(obs.begin() + static_cast<std::ptrdiff_t>(first), obs.end(),
                                       [](const Observation& o) { return !o.failed(); });
  const bool evolve = size >= static_cast<std::size_t>(evolution_.population_size) && any_success;

  std::vector<Configuration> out;
  std::vector<std::size_t> members(size);
  for (int i = 0; i < n; ++i) {
    Configuration child;
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (evolve) {
        std::iota(members.begin(), members.end(), first);
        const std::size_t k = static_cast<std::size_t>(evolution_.sample_size);
        for (std::size_t j = 0; j < k; ++j)
          std::swap(members[j], members[std::uniform_int_distribution<std::size_t>(j, size - 1)(rng_)]);
        const Observation* parent = nullptr;
        for (std::size_t j = 0; j < k; ++j) {
          const Observation& o = obs[members[j]];
          if (!o.failed() && (!parent || internal(*o.objective) > internal(*parent->objective))) parent = &o;
        }
        child = parent ? mutate(space_, parent->config, rng_) : sample(space_, rng_);
      } else {
        child = sample(space_, rng_);
      }
      if (!seen(key(child))) break;
    }
    batch.insert(key(child));
    out.push_back(std::move(child));
  }
  return out;
}

}  // namespace kyper::search
