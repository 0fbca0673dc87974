// Scheduler wire messages (MPI): a configuration (read_values), a finished trial (read_outcome) and a
// stopper's digest (read_digest), each read from the whole message.
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>

#include "scheduler_wire.hpp"

namespace kyper::fuzz {

void fuzz_scheduler_wire(const std::uint8_t* data, std::size_t size) {
  const std::vector<char> bytes(data, data + size);
  try {
    scheduler_detail::Reader r(bytes);
    (void)scheduler_detail::read_values(r, fixed_space());
  } catch (const Error& e) {
    note(e);
  }
  try {
    scheduler_detail::Reader r(bytes);
    double busy = 0;
    (void)scheduler_detail::read_outcome(r, &busy);
  } catch (const Error& e) {
    note(e);
  }
  try {
    scheduler_detail::Reader r(bytes);
    (void)scheduler_detail::read_digest(r);
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
