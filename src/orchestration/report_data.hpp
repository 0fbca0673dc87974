// Internal to `kyper report` (not installed): what the report reads from a search's output folder,
// and the sections it draws from it.
#pragma once

#include <kyper/report.hpp>
#include <kyper/search/search.hpp>
#include <kyper/search/space.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kyper::report_detail {

struct Curve {
  std::vector<double> x, validation, train;  // x: epoch or budget
  std::string source;                        // "epochs" or "progress reports"
};

struct FolderData {
  std::string folder;
  search::Space space;
  std::string space_source;  // which file the space came from
  std::string job_path;      // the job file (--config, else summary.json's when it exists), or ""
  std::vector<search::Observation> trials;  // results.csv order
  bool maximize = true;
  // From summary.json (absent when the search did not finish).
  bool has_summary = false;
  double utilisation = 0, seconds = 0;
  long ranks = 0, resumed = 0;
  std::string algorithm;
  std::map<std::int64_t, Curve> curves;  // per trial, when recorded
  std::vector<std::string> notes;
};

// Reads results.csv, summary.json, the space and the trials' curves. Throws naming the file when
// results.csv is missing or unreadable, or when no space can be found.
FolderData read_folder(const ReportOptions& options);

// The rank that ran a trial (its "rank" metadata), or -1.
int trial_rank(const search::Observation& trial);
// The successful trials' indices into data.trials, best first (NaN/inf objectives excluded).
std::vector<std::size_t> ranked_trials(const FolderData& data);

// A chart (SVG text) with its caption (plain text, escaped here).
std::string figure(const std::string& svg, const std::string& caption);

// One section: an id (the element id in the page), a heading and its HTML.
struct Section {
  std::string id, heading, html;
};

std::vector<Section> search_sections(const FolderData& data, const ReportOptions& options, std::vector<std::string>& notes);
std::vector<Section> model_sections(const FolderData& data, const ReportOptions& options, std::vector<std::string>& notes);

}  // namespace kyper::report_detail
