#include <kyper/search/random_search.hpp>
#include <kyper/search/sampler.hpp>

#include <unordered_set>

namespace kyper::search {

std::vector<Configuration> RandomSearch::propose(int n) {
  // Keys proposed in this batch; known_keys() holds the observed and pending ones.
  std::unordered_set<std::string> batch;
  auto seen = [&](const std::string& k) { return known_keys().count(k) > 0 || batch.count(k) > 0; };
  std::vector<Configuration> out;
  for (int i = 0; i < n; ++i) {
    Configuration c = sample(space_, rng_);
    // A small discrete space can run out of new points; then a repeat is allowed.
    for (int attempt = 0; attempt < 100 && seen(key(c)); ++attempt) c = sample(space_, rng_);
    batch.insert(key(c));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace kyper::search
