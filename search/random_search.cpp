#include <kyper/search/random_search.hpp>
#include <kyper/search/sampler.hpp>

#include <unordered_set>

namespace kyper::search {

std::vector<Configuration> RandomSearch::propose(int n) {
  std::unordered_set<std::string> batch;  // this ask's proposals; known_keys() holds the rest
  std::vector<Configuration> out;
  for (int i = 0; i < n; ++i) out.push_back(draw_new([&] { return sample(space_, rng_); }, batch));
  return out;
}

}  // namespace kyper::search
