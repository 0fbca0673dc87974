// Internal to the scheduler (not installed): the output folder of a search, its results table and
// its checkpoint, and how a resumed search reads them back.
//
// The results table is the record of a search; the checkpoint (search state + RNG + the trial ids
// handed out) only saves rebuilding it. A resume uses the checkpoint when it agrees with the
// results table(s), and otherwise (missing, empty, cut short, garbage, another format, or
// recording trials the table lacks) rebuilds the search from the table with a warning on stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <kyper/scheduler.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search/search.hpp>

namespace kyper::scheduler_detail {

// One search's files in options.output_dir: results<suffix>.csv and search_state<suffix>.bin
// (`suffix` tells ranks' files apart), opened in two steps so that ranks sharing a folder can
// wait for each other in between (decentralized mode).
struct Output {
  Output(const SchedulerOptions& options, const std::string& suffix);
  ~Output();  // detaches the table from the search
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  std::string results_path, checkpoint_path;
  bool resuming = false;                    // --resume, and a results table is there
  std::vector<search::Observation> rows;    // the results table's rows (when resuming)
  std::unique_ptr<search::ResultsTable> table;
  search::Search* search = nullptr;         // the search the table is attached to
  long resumed = 0;
};

// Saves the search state atomically: a kill leaves the previous checkpoint intact.
// `reserved_ids`: as Search::save.
void write_checkpoint(const search::Search& s, const std::string& path, std::int64_t reserved_ids = 0);

// When a search's checkpoint is written. The whole state after every trial costs O(trials) each
// time, and was most of a master's work when trials take milliseconds. Each write reserves the
// next `reserve` trial ids (Search::save), so trials are handed out without a write until those
// are used up; more when trials are handed out faster: as many as went out in the last
// kReserveSeconds (up to 64 x `reserve`), so short trials do not make a write every few
// milliseconds (measured: 29 writes of 7 ms each in 3.4 s with 2,100 trials of 10 ms on 7 ranks,
// each stalling every rank that waited on rank 0). Besides, a write happens when
// `interval_seconds` have passed since the last one, and at the end. Nothing is lost in between: the results table is the record, and a resume
// tells the search every row its checkpoint lacks.
class Checkpointer {
 public:
  Checkpointer(std::string path, std::int64_t reserve, double interval_seconds);
  // Call after an ask, before its trials are handed out: writes when their ids pass the reserved ones.
  void before_handing_out(const search::Search& s);
  // Call after results were told: writes when the interval has passed.
  void after_results(const search::Search& s);
  void write(const search::Search& s);
  long writes() const { return writes_; }

 private:
  static constexpr double kReserveSeconds = 2.0;
  std::string path_;
  std::int64_t base_reserve_, reserve_;
  std::int64_t next_id_at_write_ = 0;
  double interval_;
  bool written_ = false;
  std::int64_t reserved_until_ = 0;  // the next id the last checkpoint holds (with its reserve)
  std::chrono::steady_clock::time_point last_;
  long writes_ = 0;
};

// Step 1: refuses a folder that holds a results table unless resuming; when resuming, reads the
// results table back, dropping a last row torn by a crash mid-write (with a warning; that trial
// runs again). Touches only this search's own files.
void prepare_output(Output& out, const search::Space& space, const SchedulerOptions& options);

// Step 2: a fresh results table, or (resume) the previous state: the checkpoint when it agrees
// with the tables, else a rebuild from them, plus every row the checkpoint lacks; trials that
// were in flight when the search died are abandoned (their ids are never handed out again) and
// will be proposed again. `other_tables`: results tables of other ranks whose rows this search
// also knows (decentralized mode); they must have been through step 1.
void open_output(Output& out, search::Search& s, const SchedulerOptions& options,
                 const std::vector<std::string>& other_tables = {});

}  // namespace kyper::scheduler_detail
