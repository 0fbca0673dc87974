#include "report_data.hpp"

#include <kyper/csv.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/read_file.hpp>
#include <kyper/search/results_table.hpp>
#include <kyper/search_job.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace kyper::report_detail {

namespace {

// The space: space.json in the folder, else the job file (--config, else the one summary.json names).
void read_space(FolderData& data) {
  const fs::path saved = fs::path(data.folder) / "space.json";
  if (fs::exists(saved)) {
    data.space = search::Space::from_json(read_file(saved.string(), "search space"), saved.string());
    data.space_source = saved.string();
    return;
  }
  const std::string& job = data.job_path;
  KYPER_REQUIRE(!job.empty(), data.folder << " has no space.json (written when a search ends): pass the search's job "
                                             "file with --config FILE");
  data.space = load_search_job(job).space;
  data.space_source = job;
}

void read_summary(FolderData& data, std::string& config) {
  const fs::path path = fs::path(data.folder) / "summary.json";
  if (!fs::exists(path)) {
    data.notes.push_back("no summary.json (the search did not finish): no utilisation figure");
    return;
  }
  const std::string where = path.string();
  const auto doc = json::parse_file(where, "search summary");
  KYPER_REQUIRE(doc.IsObject(), where << ": must be a JSON object");
  const JsonObject top(doc, where, "",
                       {"config", "algorithm", "ranks", "finished", "failed", "resumed", "seconds", "utilisation", "best",
                        "maximize"});
  config = top.text("config", "");
  data.algorithm = top.text("algorithm", "");
  data.ranks = top.integer("ranks", 0, 0, 1L << 30);
  data.resumed = top.integer("resumed", 0, 0, 1L << 62);
  data.seconds = top.number("seconds", 0, 0, 1e300);
  data.utilisation = top.number("utilisation", 0, 0, 1.5);
  data.maximize = top.boolean("maximize", true);
  data.has_summary = true;
}

std::vector<double> numbers(const std::string& text) {
  std::vector<double> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ';')) {
    double v = std::numeric_limits<double>::quiet_NaN();
    if (parse_number(item, v) != NumberParse::ok) v = std::numeric_limits<double>::quiet_NaN();
    out.push_back(v);
  }
  return out;
}

// Curves: the built-in trial's per-epoch losses (metadata learning_curve / train_curve), else the
// progress reports of a multi-fidelity search (progress*.csv: trial_id, budget, value = -loss).
void read_curves(FolderData& data) {
  for (const auto& t : data.trials) {
    auto validation = t.metadata.find("learning_curve");
    if (validation == t.metadata.end()) continue;
    Curve c;
    c.validation = numbers(validation->second);
    auto train = t.metadata.find("train_curve");
    if (train != t.metadata.end()) c.train = numbers(train->second);
    for (std::size_t e = 0; e < c.validation.size(); ++e) c.x.push_back(double(e + 1));
    c.source = "epochs";
    data.curves[t.id] = std::move(c);
  }
  if (!data.curves.empty()) return;
  for (const auto& entry : fs::directory_iterator(data.folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("progress", 0) != 0 || entry.path().extension() != ".csv") continue;
    try {
      const Table table = read_csv(entry.path().string());
      KYPER_REQUIRE(table.columns == std::vector<std::string>({"trial_id", "budget", "value"}),
                    entry.path().string() << ": expected the columns trial_id,budget,value");
      for (std::size_t r = 0; r < table.rows(); ++r) {
        Curve& c = data.curves[std::int64_t(table.at(r, 0))];
        c.source = "progress reports";
        c.x.push_back(table.at(r, 1));
        c.validation.push_back(-table.at(r, 2));  // reports are -loss (higher is better)
      }
    } catch (const Error& e) {
      data.notes.push_back(std::string("skipped a progress file: ") + e.what());
    }
  }
}

}  // namespace

FolderData read_folder(const ReportOptions& options) {
  FolderData data;
  data.folder = options.output_dir;
  KYPER_REQUIRE(fs::is_directory(data.folder), data.folder << ": no such folder (kyper report --output DIR reads a "
                                                              "search's output folder)");
  const fs::path results = fs::path(data.folder) / "results.csv";
  KYPER_REQUIRE(fs::exists(results), results.string() << ": missing (is " << data.folder << " a search's output folder?)");
  std::string summary_config;
  read_summary(data, summary_config);
  data.job_path = options.config_path;
  if (data.job_path.empty() && !summary_config.empty() && fs::exists(summary_config)) data.job_path = summary_config;
  read_space(data);
  data.trials = search::read_results(results.string(), data.space);
  read_curves(data);
  return data;
}

int trial_rank(const search::Observation& trial) {
  auto it = trial.metadata.find("rank");
  if (it == trial.metadata.end()) return -1;
  double v = 0;
  if (parse_number(it->second, v) != NumberParse::ok || v < 0 || v > 1e7 || v != std::floor(v)) return -1;
  return int(v);
}

std::vector<std::size_t> ranked_trials(const FolderData& data) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < data.trials.size(); ++i)
    if (data.trials[i].objective && std::isfinite(*data.trials[i].objective)) out.push_back(i);
  std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
    const double x = *data.trials[a].objective, y = *data.trials[b].objective;
    return data.maximize ? x > y : x < y;
  });
  return out;
}

}  // namespace kyper::report_detail
