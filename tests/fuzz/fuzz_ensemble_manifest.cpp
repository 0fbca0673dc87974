// Ensemble manifest (ensemble.json): Ensemble::load. Member files are only checked to exist, so the
// folder holds the two member names the seeds use.
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/uq/ensemble.hpp>

namespace kyper::fuzz {

void fuzz_ensemble_manifest(const std::uint8_t* data, std::size_t size) {
  static const bool members = (scratch_file("m0.kyper", "x"), scratch_file("m1.kyper", "x"), true);
  (void)members;
  try {
    const uq::Ensemble e = uq::Ensemble::load(scratch_file("ensemble.json", text(data, size)));
    (void)e.members().size();
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
