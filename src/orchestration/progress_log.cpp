#include "progress_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <kyper/csv.hpp>
#include <kyper/error.hpp>

namespace kyper::scheduler_detail {

namespace fs = std::filesystem;

namespace {
const char kHeader[] = "trial_id,budget,value\n";

void write_all(int fd, const std::string& text, const std::string& path) {
  const ssize_t n = ::write(fd, text.data(), text.size());
  KYPER_REQUIRE(n == ssize_t(text.size()), "cannot write " << path << ": " << std::strerror(errno));
}
}  // namespace

ProgressLog::ProgressLog(std::string path, bool append) : path_(std::move(path)) {
  if (append && fs::exists(path_)) {  // cut a torn last line (a crash mid-write): appends stay whole
    std::string text;
    {
      std::ifstream in(path_, std::ios::binary);
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (!text.empty() && text.back() != '\n') {
      const std::size_t end = text.rfind('\n');
      fs::resize_file(path_, end == std::string::npos ? 0 : end + 1);
    }
  }
  const bool fresh = !append || !fs::exists(path_) || fs::file_size(path_) == 0;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (fresh ? O_TRUNC : 0), 0644);
  KYPER_REQUIRE(fd_ >= 0, "cannot open " << path_ << ": " << std::strerror(errno));
  if (fresh) write_all(fd_, kHeader, path_);
}

ProgressLog::~ProgressLog() {
  if (fd_ >= 0) ::close(fd_);
}

void ProgressLog::append(const ProgressReport& r) {
  char line[96];
  const int n = std::snprintf(line, sizeof line, "%lld,%.17g,%.17g\n", static_cast<long long>(r.trial_id), r.budget,
                              r.value);
  write_all(fd_, std::string(line, std::size_t(n)), path_);
}

std::vector<ProgressReport> read_progress(const std::string& path) {
  std::vector<ProgressReport> out;
  if (!fs::exists(path)) return out;
  CsvReader reader = CsvReader::from_file(path);
  CsvRecord record;
  std::vector<CsvRecord> rows;
  bool header = true;
  while (reader.next(record)) {
    if (header) {
      KYPER_REQUIRE(record.cells.size() == 3 && record.cells[0] == "trial_id",
                    path << ":" << record.line << ": not a progress table (expected the header trial_id,budget,value)");
      header = false;
      continue;
    }
    rows.push_back(record);
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // A last line without its line break was torn by a crash mid-write (its last number may be cut).
    if (i + 1 == rows.size() && reader.ends_without_newline()) break;
    const auto& f = rows[i].cells;
    double id = 0, budget = 0, value = 0;
    const bool ok = f.size() == 3 && parse_number(f[0], id) == NumberParse::ok &&
                    parse_number(f[1], budget) == NumberParse::ok && parse_number(f[2], value) == NumberParse::ok;
    KYPER_REQUIRE(ok, path << ":" << rows[i].line << ": a progress row needs trial_id,budget,value as numbers");
    out.push_back({static_cast<std::int64_t>(id), budget, value});
  }
  return out;
}

std::unique_ptr<search::Stopper> open_stopper(const SchedulerOptions& options, bool maximize,
                                              const std::vector<std::string>& paths,
                                              const std::set<std::int64_t>& finished) {
  std::unique_ptr<search::Stopper> stopper = search::make_stopper(options.stopper, maximize);
  if (!stopper) return stopper;
  for (const auto& path : paths)
    for (const auto& r : read_progress(path))
      if (finished.count(r.trial_id)) {
        try {
          stopper->observe(r.trial_id, r.budget, r.value);
        } catch (const Error& e) {
          KYPER_FAIL(path << ": " << e.what());
        }
      }
  return stopper;
}

SchedulerOptions with_stopper_columns(SchedulerOptions options) {
  if (options.stopper.kind == "none") return options;
  auto& keys = options.metadata_keys;
  for (const char* key : {"budget", "stopped_early"})
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  return options;
}

std::string progress_path(const SchedulerOptions& options, const std::string& suffix) {
  return (fs::path(options.output_dir) / ("progress" + suffix + ".csv")).string();
}

void mark_progress(search::Outcome& outcome, const search::Stopper& stopper, std::int64_t trial_id) {
  auto curve = stopper.curves().find(trial_id);
  if (curve != stopper.curves().end() && !curve->second.empty()) {
    char budget[32];
    std::snprintf(budget, sizeof budget, "%.17g", curve->second.back().budget);
    outcome.metadata["budget"] = budget;
  }
  outcome.metadata["stopped_early"] = stopper.stopped(trial_id) ? "true" : "false";
}

}  // namespace kyper::scheduler_detail
