// Search job file (kyper search --config): load_search_job, then the search it describes. The job
// sits next to a small valid data.csv so that mutations reach the sections after "dataset".
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/error.hpp>
#include <kyper/search_job.hpp>

namespace kyper::fuzz {

void fuzz_job_json(const std::uint8_t* data, std::size_t size) {
  static const std::string csv = scratch_file("data.csv", small_dataset_csv());
  (void)csv;
  try {
    const SearchJob job = load_search_job(scratch_file("job.json", text(data, size)));
    (void)make_search(job);
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
