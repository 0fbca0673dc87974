// The results table: one CSV row per told trial, each appended as a whole line in one write(2),
// so a killed search leaves every finished trial in the file, and a crash of the machine in the
// middle of a write at worst one torn last row. A thread of the table's own syncs the rows to the
// disk (fdatasync) a few milliseconds later (kyper/background_sync.hpp): the search never waits on
// the disk, and a power loss can lose only the rows of the last few milliseconds (a resume runs
// those trials again).
// A search can be rebuilt from it (resume, or a warm start of a new search): it is the record of
// a search, the search's checkpoint only a speed-up.
//
// Columns, in order:
//   job_id, p:<name> for each parameter (empty when inactive), objective (empty when failed),
//   status (done | failed), reason (why it failed), timestamp_submit, timestamp_start,
//   timestamp_end, timestamp_gather (seconds since the Unix epoch, empty when unknown),
//   m:<key> for each metadata key declared up front, metadata (a JSON object with any other
//   metadata the trial returned; empty when none).
// Fields are quoted as RFC 4180 says; numbers are written with 17 significant digits so they
// read back exactly.
#pragma once

#include <kyper/search/search.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace kyper {
class BackgroundSync;
}

namespace kyper::search {

class ResultsTable {
 public:
  // Creates (truncates) `path` and writes the header. With append = true an existing file
  // is kept and its header must match the one this table would write.
  ResultsTable(std::string path, const Space& space, std::vector<std::string> metadata_keys = {},
               bool append = false);
  ~ResultsTable();
  ResultsTable(const ResultsTable&) = delete;
  ResultsTable& operator=(const ResultsTable&) = delete;

  void append(const Observation& observation);
  // Waits until every row appended so far is on the disk (before another node reads the file).
  void flush();
  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::vector<std::string> metadata_keys_;
  std::vector<std::string> columns_;
  int fd_ = -1;  // opened with O_APPEND: every row lands at the end, whole
  std::unique_ptr<BackgroundSync> sync_;
};

// Writes a whole table (header and `observations`) at once, atomically: a crash leaves the old
// file or the new one.
void write_results(const std::string& path, const Space& space, const std::vector<std::string>& metadata_keys,
                   const std::vector<Observation>& observations);

// Every row of a results table, checked against `space`. Errors name the file and line.
std::vector<Observation> read_results(const std::string& path, const Space& space);

// A results table as a killed search left it.
struct RecoveredResults {
  std::vector<Observation> rows;
  std::size_t dropped_line = 0;  // the line of the torn last row that was dropped; 0: none
  std::string dropped_why;       // what was wrong with it
};

// Reads a results table for a resume. A last row cut short mid-write is dropped and the file
// rewritten without it (atomically), so that rows can be appended again; that trial runs again.
// Cut short: the file does not end with a line break and the last record has the wrong number of
// fields, a value that does not parse, or a last cell that is not quoted (a closing quote is the
// only sign that an unterminated last cell is whole; a whole row then only gets its line break
// back). Any other bad row is an error naming its line, as in read_results.
RecoveredResults recover_results(const std::string& path, const Space& space);

// Tells `search` every row of the table (resume, or warm start from another search) and
// returns how many rows were read.
std::size_t load_results(const std::string& path, Search& search);

}  // namespace kyper::search
