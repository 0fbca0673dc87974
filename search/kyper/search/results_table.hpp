// The results table: one CSV row per told trial, flushed as it is written, so a crashed
// search leaves every finished trial on disk. A search can be rebuilt from it (resume, or a
// warm start of a new search).
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

#include <fstream>
#include <string>
#include <vector>

namespace kyper::search {

class ResultsTable {
 public:
  // Creates (truncates) `path` and writes the header. With append = true an existing file
  // is kept and its header must match the one this table would write.
  ResultsTable(std::string path, const Space& space, std::vector<std::string> metadata_keys = {},
               bool append = false);

  void append(const Observation& observation);
  const std::string& path() const { return path_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  std::string path_;
  std::vector<std::string> parameter_names_;
  std::vector<std::string> metadata_keys_;
  std::vector<std::string> columns_;
  std::ofstream out_;
};

// Every row of a results table, checked against `space`. Errors name the file and line.
std::vector<Observation> read_results(const std::string& path, const Space& space);

// Tells `search` every row of the table (resume, or warm start from another search) and
// returns how many rows were read.
std::size_t load_results(const std::string& path, Search& search);

}  // namespace kyper::search
