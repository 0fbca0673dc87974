// Results table (results.csv): read_results and the resume's recover_results (which may rewrite the
// file), against a fixed space.
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/search/results_table.hpp>

namespace kyper::fuzz {

void fuzz_results_table(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = text(data, size);
  const search::Space& space = fixed_space();
  try {
    (void)search::read_results(scratch_file("results.csv", bytes), space);
  } catch (const Error& e) {
    note(e);
  }
  try {
    const std::string path = scratch_file("recover.csv", bytes);
    const search::RecoveredResults recovered = search::recover_results(path, space);
    // A recovered table must read back whole.
    if (recovered.dropped_line) (void)search::read_results(path, space);
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
