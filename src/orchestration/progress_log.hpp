// Internal to the scheduler (not installed): the progress reports of a multi-fidelity search and
// the stopper that judges them.
//
// Every report goes to <output>/progress<suffix>.csv as one whole line (trial_id,budget,value) in
// one write(2), so a kill leaves whole lines (a machine crash may tear the last one, which a
// resume drops). Unlike results rows they are not synced: losing the last reports to a machine
// crash only thins the table the stopper compares against. A resumed search replays the reports of
// every trial its results tables hold into a new stopper, which then decides as the old one would.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <kyper/scheduler.hpp>
#include <kyper/search/stopper.hpp>

namespace kyper::scheduler_detail {

struct ProgressReport {
  std::int64_t trial_id = 0;
  double budget = 0, value = 0;
};

class ProgressLog {
 public:
  // Creates `path` with its header, or (append) adds to it, creating it if missing.
  ProgressLog(std::string path, bool append);
  ~ProgressLog();
  ProgressLog(const ProgressLog&) = delete;
  ProgressLog& operator=(const ProgressLog&) = delete;
  void append(const ProgressReport& report);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The reports in a progress file, in order; a torn last line is dropped, any other malformed line
// is an error naming the file and line. A missing file has none.
std::vector<ProgressReport> read_progress(const std::string& path);

// The search's stopper (nullptr without one) with every report of the `finished` trials in
// `paths` replayed into it.
std::unique_ptr<search::Stopper> open_stopper(const SchedulerOptions& options, bool maximize,
                                              const std::vector<std::string>& paths,
                                              const std::set<std::int64_t>& finished);

// `options` with, when it has a stopper, the columns budget and stopped_early (once each).
SchedulerOptions with_stopper_columns(SchedulerOptions options);

// <output>/progress<suffix>.csv
std::string progress_path(const SchedulerOptions& options, const std::string& suffix);

// Fills m:budget and m:stopped_early of a finished trial.
void mark_progress(search::Outcome& outcome, const search::Stopper& stopper, std::int64_t trial_id);

}  // namespace kyper::scheduler_detail
