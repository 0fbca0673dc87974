// Space JSON: Space::from_json, its default configuration, and the round trip through to_json
// (checkpoints compare spaces by their to_json text, so it must read back as the same space).
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/search/space.hpp>

#include <stdexcept>

namespace kyper::fuzz {

void fuzz_space_json(const std::uint8_t* data, std::size_t size) {
  search::Space space;
  try {
    space = search::Space::from_json(text(data, size), "fuzz space");
  } catch (const Error& e) {
    note(e);
    return;
  }
  try {
    space.validate(space.default_configuration());
  } catch (const Error& e) {
    note(e);
  }
  const std::string json = space.to_json();
  search::Space again;
  try {
    again = search::Space::from_json(json, "round trip");
  } catch (const Error& e) {
    throw std::logic_error(std::string("space JSON: to_json() of a valid space does not read back: ") + e.what());
  }
  if (again.to_json() != json) throw std::logic_error("space JSON: to_json() round trip changes the space");
}

}  // namespace kyper::fuzz
