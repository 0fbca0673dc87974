// Search checkpoint: Search::load into a CBO (when the bytes name it) or a random search over the
// fixed space, then one ask() from the loaded state.
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/search/cbo.hpp>
#include <kyper/search/random_search.hpp>

#include <sstream>
#include <stdexcept>

namespace kyper::fuzz {

namespace {
void load_into(search::Search& s, const std::string& bytes) {
  try {
    std::istringstream in(bytes);
    s.load(in);
  } catch (const Error& e) {
    note(e);
    return;
  }
  std::vector<search::Trial> trials;
  try {
    trials = s.ask(1);
  } catch (const Error& e) {
    note(e);
    return;
  }
  // What a loaded search hands out must be a configuration of its space.
  for (const auto& t : trials) {
    try {
      s.space().validate(t.config);
    } catch (const Error& e) {
      throw std::logic_error(std::string("ask() after load handed out a configuration outside the space: ") +
                             e.what());
    }
  }
}
}  // namespace

void fuzz_search_checkpoint(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = text(data, size);
  search::SearchOptions options;
  options.seed = 1;
  if (bytes.find("CBO") == std::string::npos) {
    search::RandomSearch random(fixed_space(), options);
    load_into(random, bytes);
  } else {
    search::CBOOptions cbo_options;
    cbo_options.initial_points = 2;
    search::CBO cbo(fixed_space(), options, cbo_options);
    load_into(cbo, bytes);
  }
}

}  // namespace kyper::fuzz
