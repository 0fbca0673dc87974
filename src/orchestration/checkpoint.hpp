// Internal to the scheduler (not installed): the output folder of a search, its results table and
// its checkpoint, and how a resumed search reads them back.
#pragma once

#include <memory>
#include <string>

#include <kyper/scheduler.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search/search.hpp>

namespace kyper::scheduler_detail {

struct Output {
  std::string results_path, checkpoint_path;
  std::unique_ptr<search::ResultsTable> table;
  long resumed = 0;
};

// Saves the search state atomically: a kill leaves the previous checkpoint intact.
void write_checkpoint(const search::Search& s, const std::string& path);

// Prepares output_dir for `s`: a fresh results table, or (resume) the previous state: checkpoint
// (search state + RNG) and every finished row of the results table; trials that were in flight
// when the search died are abandoned and will be proposed again. `suffix` tells ranks' files apart.
Output open_output(search::Search& s, const SchedulerOptions& options, const std::string& suffix);

}  // namespace kyper::scheduler_detail
