#include "checkpoint.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <kyper/atomic_file.hpp>
#include <kyper/error.hpp>

namespace kyper::scheduler_detail {

namespace fs = std::filesystem;
using search::Observation;

namespace {

void warn(const std::string& message) { std::fprintf(stderr, "kyper: warning: %s\n", message.c_str()); }

// Loads the checkpoint at `path` into `s`: "" when it loaded, else why not (`s` is then unchanged).
std::string load_checkpoint(search::Search& s, const std::string& path) {
  if (!fs::exists(path)) return "missing";
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("cannot open it: ") + std::strerror(errno);
  try {
    s.load(in);
  } catch (const Error& e) {
    std::string why = e.what();
    const std::string prefix = "search checkpoint: ";
    if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
    return why;
  }
  return "";
}

// Why a loaded state disagrees with the results tables (it records a trial they lack: a torn
// row was dropped, or the table lost rows the checkpoint had), or "" when it agrees.
std::string disagreement(const search::Search& s, const std::map<std::int64_t, const Observation*>& rows) {
  for (const auto& o : s.observations()) {
    auto row = rows.find(o.id);
    if (row == rows.end()) return "it records trial " + std::to_string(o.id) + ", which the table lacks";
    if (!(row->second->config == o.config))
      return "its trial " + std::to_string(o.id) + " has another configuration than the table's";
  }
  return "";
}

}  // namespace

Output::Output(const SchedulerOptions& options, const std::string& suffix)
    : results_path((fs::path(options.output_dir) / ("results" + suffix + ".csv")).string()),
      checkpoint_path((fs::path(options.output_dir) / ("search_state" + suffix + ".bin")).string()) {}

Output::~Output() {
  if (search) search->attach(nullptr);
}

void write_checkpoint(const search::Search& s, const std::string& path, std::int64_t reserved_ids) {
  write_file_atomically(path, [&](std::ostream& out) { s.save(out, reserved_ids); }, "search checkpoint");
}

Checkpointer::Checkpointer(std::string path, std::int64_t reserve, double interval_seconds)
    : path_(std::move(path)),
      base_reserve_(std::max<std::int64_t>(reserve, 0)),
      reserve_(base_reserve_),
      interval_(interval_seconds) {}

void Checkpointer::before_handing_out(const search::Search& s) {
  if (!written_ || s.next_id() > reserved_until_) write(s);
}

void Checkpointer::after_results(const search::Search& s) {
  if (!written_ || std::chrono::duration<double>(std::chrono::steady_clock::now() - last_).count() >= interval_) write(s);
}

void Checkpointer::write(const search::Search& s) {
  const auto now = std::chrono::steady_clock::now();
  const std::int64_t stride = std::max<std::int64_t>(1, s.options().id_stride);
  if (written_) {
    const double seconds = std::chrono::duration<double>(now - last_).count();
    const double handed_out = double(s.next_id() - next_id_at_write_) / double(stride);
    if (seconds > 0)
      reserve_ = std::clamp(std::int64_t(handed_out * kReserveSeconds / seconds), base_reserve_, 64 * base_reserve_);
  }
  next_id_at_write_ = s.next_id();
  write_checkpoint(s, path_, reserve_);
  written_ = true;
  reserved_until_ = s.next_id() + reserve_ * stride;
  last_ = now;
  ++writes_;
}

void prepare_output(Output& out, const search::Space& space, const SchedulerOptions& options) {
  fs::create_directories(options.output_dir);
  const bool have_results = fs::exists(out.results_path) && fs::file_size(out.results_path) > 0;
  KYPER_REQUIRE(options.resume || !have_results,
                "output folder '" << options.output_dir << "' already holds " << out.results_path
                                  << ": pass --resume to continue that search, or choose another folder");
  out.resuming = options.resume && have_results;
  if (!out.resuming) return;
  search::RecoveredResults recovered = search::recover_results(out.results_path, space);
  if (recovered.dropped_line > 0)
    warn(recovered.dropped_why + ": the last row was cut short mid-write; dropped it (that trial runs again)");
  out.rows = std::move(recovered.rows);
}

void open_output(Output& out, search::Search& s, const SchedulerOptions& options,
                 const std::vector<std::string>& other_tables) {
  if (out.resuming) {
    std::vector<Observation> rows = std::move(out.rows);
    for (const auto& path : other_tables)
      if (fs::exists(path) && fs::file_size(path) > 0)
        for (auto& row : search::read_results(path, s.space())) rows.push_back(std::move(row));
    std::map<std::int64_t, const Observation*> by_id;
    for (const auto& row : rows) by_id.emplace(row.id, &row);

    const std::string table = fs::path(out.results_path).filename().string();
    std::stringstream before;  // the state to go back to when the checkpoint disagrees with the tables
    s.save(before);
    const std::string unreadable = load_checkpoint(s, out.checkpoint_path);
    if (!unreadable.empty()) {
      if (unreadable != "missing" || !rows.empty())
        warn("search checkpoint " + out.checkpoint_path + " unreadable (" + unreadable +
             "): rebuilding the search from " + table);
    } else {
      s.abandon_pending();
      const std::string why = disagreement(s, by_id);
      if (!why.empty()) {
        const std::int64_t handed_out = s.next_id();
        s.load(before);
        s.skip_ids_below(handed_out);  // the ids it handed out may name trials that ran: never reuse them
        warn("search checkpoint " + out.checkpoint_path + " disagrees with " + table + " (" + why +
             "): rebuilding the search from " + table);
      }
    }
    std::set<std::int64_t> known;
    for (const auto& o : s.observations()) known.insert(o.id);
    std::vector<Observation> missing;
    for (auto& row : rows)
      if (!known.count(row.id)) missing.push_back(std::move(row));
    s.warm_start(missing);
    out.resumed = long(s.observations().size());
  }
  out.table = std::make_unique<search::ResultsTable>(out.results_path, s.space(), options.metadata_keys, out.resuming);
  s.attach(out.table.get());
  out.search = &s;
}

}  // namespace kyper::scheduler_detail
