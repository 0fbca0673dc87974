// Random search: independent prior draws, skipping configurations already observed or pending.
#pragma once

#include <kyper/search/search.hpp>

namespace kyper::search {

class RandomSearch : public Search {
 public:
  RandomSearch(Space space, SearchOptions options = {}) : Search(std::move(space), options) {}
  std::string name() const override { return "RandomSearch"; }

 protected:
  std::vector<Configuration> propose(int n) override;
};

}  // namespace kyper::search
