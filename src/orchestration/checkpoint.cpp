#include "checkpoint.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include <kyper/atomic_file.hpp>
#include <kyper/error.hpp>

namespace kyper::scheduler_detail {

namespace fs = std::filesystem;
using search::Observation;

void write_checkpoint(const search::Search& s, const std::string& path) {
  write_file_atomically(path, [&](std::ostream& out) { s.save(out); }, "search checkpoint");
}

Output open_output(search::Search& s, const SchedulerOptions& options, const std::string& suffix) {
  fs::create_directories(options.output_dir);
  Output out;
  out.results_path = (fs::path(options.output_dir) / ("results" + suffix + ".csv")).string();
  out.checkpoint_path = (fs::path(options.output_dir) / ("search_state" + suffix + ".bin")).string();
  const bool have_results = fs::exists(out.results_path) && fs::file_size(out.results_path) > 0;
  if (options.resume && have_results) {
    if (fs::exists(out.checkpoint_path)) {
      std::ifstream in(out.checkpoint_path, std::ios::binary);
      s.load(in);
      s.abandon_pending();
    }
    std::set<std::int64_t> known;
    for (const auto& o : s.observations()) known.insert(o.id);
    std::vector<Observation> missing;
    for (auto& row : search::read_results(out.results_path, s.space()))
      if (!known.count(row.id)) missing.push_back(std::move(row));
    s.warm_start(missing);
    out.resumed = long(s.observations().size());
    out.table = std::make_unique<search::ResultsTable>(out.results_path, s.space(), options.metadata_keys, true);
  } else {
    KYPER_REQUIRE(options.resume || !have_results,
                  "output folder '" << options.output_dir << "' already holds " << out.results_path
                                    << ": pass --resume to continue that search, or choose another folder");
    out.table = std::make_unique<search::ResultsTable>(out.results_path, s.space(), options.metadata_keys, false);
  }
  s.attach(out.table.get());
  return out;
}

}  // namespace kyper::scheduler_detail
