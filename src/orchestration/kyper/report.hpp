// `kyper report`: the analytics a search leaves behind, as one self-contained HTML page (inline SVG,
// no scripts, no network) that can be copied off the cluster. Each section appears only when its
// data exists in the output folder:
//   trajectory      objective per finished trial against wall time and trial index, best so far,
//                   failed trials marked with their reason on hover
//   utilisation     busy ranks over time, a per-rank timeline, the scheduler's utilisation figure
//   top trials      the K best as a table and as parallel coordinates
//   importance      permutation importance of a forest fitted on the results (search/importance)
//   curves          validation and training loss per epoch of the K best trials
//   architecture    the best network of a NAS drawn as a graph (from best.kyper)
//   ensembles       for each ensemble_<method>.json: predicted vs true with aleatoric and total
//                   intervals, reliability diagram, scores; classifiers: accuracy, ECE, ROC curves
#pragma once

#include <string>
#include <vector>

namespace kyper {

struct ReportOptions {
  std::string output_dir;   // the search's output folder
  int top = 10;             // K of the top-K table, parallel coordinates and curves
  std::string title;        // default: "Kyper search: <folder>"
  std::string config_path;  // the job file, when the folder has no space.json (a search killed early)
  std::string report_path;  // default: <output_dir>/report.html
};

struct ReportSummary {
  std::string path;
  std::size_t bytes = 0;
  double seconds = 0;
  long trials = 0, failed = 0;
  std::vector<std::string> sections;  // ids of the sections written, in order
  std::vector<std::string> notes;     // why a section is missing or partial
};

// Reads the folder and writes the page (atomically). Errors name the file (results.csv missing,
// a row that does not parse, a space that does not match its columns).
ReportSummary write_report(const ReportOptions& options);

}  // namespace kyper
