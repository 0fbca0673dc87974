#include <kyper/atomic_file.hpp>
#include <kyper/background_sync.hpp>
#include <kyper/csv.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/read_file.hpp>
#include <kyper/search/results_table.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace kyper::search {

namespace rj = json::rj;

namespace {

const char* const kFixedAfterParameters[] = {"objective",        "status",          "reason",
                                              "timestamp_submit", "timestamp_start", "timestamp_end",
                                              "timestamp_gather"};

std::string number(double x) {
  if (!std::isfinite(x)) return "";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", x);
  return buffer;
}

std::vector<std::string> header_for(const std::vector<std::string>& parameters,
                                    const std::vector<std::string>& metadata_keys) {
  std::vector<std::string> columns{"job_id"};
  for (const auto& p : parameters) columns.push_back("p:" + p);
  for (const char* c : kFixedAfterParameters) columns.emplace_back(c);
  for (const auto& m : metadata_keys) columns.push_back("m:" + m);
  columns.emplace_back("metadata");
  return columns;
}

double parse_field(const std::string& text, const std::string& where, const std::string& column) {
  double value = 0;
  KYPER_REQUIRE(parse_number(text, value) == NumberParse::ok,
                where << ": column '" << column << "': " << describe_cell(text) << " is not a number");
  return value;
}

double parse_time(const std::string& text, const std::string& where, const std::string& column) {
  return text.empty() ? std::numeric_limits<double>::quiet_NaN() : parse_field(text, where, column);
}

// Cells joined into one CSV line (without its line break).
std::string csv_line(const std::vector<std::string>& cells) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + csv_quote(cells[i]);
  return line;
}

// One row, with its line break: the unit that is written whole.
std::string row_line(const Observation& o, const std::vector<std::string>& metadata_keys) {
  std::vector<std::string> row{std::to_string(o.id)};
  for (const auto& v : o.config.values()) row.push_back(value_to_string(v));
  row.push_back(o.objective ? number(*o.objective) : "");
  row.emplace_back(o.objective ? "done" : "failed");
  row.push_back(o.reason);
  for (double t : {o.timestamp_submit, o.timestamp_start, o.timestamp_end, o.timestamp_gather})
    row.push_back(number(t));
  for (const auto& k : metadata_keys) {
    auto it = o.metadata.find(k);
    row.push_back(it == o.metadata.end() ? "" : it->second);
  }
  rj::StringBuffer buffer;
  rj::Writer<rj::StringBuffer> w(buffer);
  bool extra = false;
  w.StartObject();
  for (const auto& [k, v] : o.metadata) {
    if (std::find(metadata_keys.begin(), metadata_keys.end(), k) != metadata_keys.end()) continue;
    extra = true;
    w.Key(k.c_str());
    w.String(v.c_str());
  }
  w.EndObject();
  row.push_back(extra ? buffer.GetString() : "");
  return csv_line(row) + '\n';
}

// One write(2) for the whole line (looping only if the kernel takes part of it): a row is either
// in the file whole or, after a crash mid-write, the torn last one.
void write_whole(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    KYPER_REQUIRE(n > 0, "results table: write to " << path << " failed: " << std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

// The header: written and synced before the table is used.
void append_whole(int fd, const std::string& bytes, const std::string& path) {
  write_whole(fd, bytes, path);
  KYPER_REQUIRE(::fdatasync(fd) == 0 || errno == EINVAL || errno == EROFS,  // EINVAL: not syncable (a pipe)
                "results table: syncing " << path << " to the disk failed: " << std::strerror(errno));
}

}  // namespace

ResultsTable::ResultsTable(std::string path, const Space& space,
                           std::vector<std::string> metadata_keys, bool append)
    : path_(std::move(path)), metadata_keys_(std::move(metadata_keys)) {
  for (const auto& k : metadata_keys_)
    KYPER_REQUIRE(!k.empty(), "results table " << path_ << ": empty metadata key");
  columns_ = header_for(*space.names(), metadata_keys_);
  const std::string header = csv_line(columns_);

  bool write_header = true;
  if (append) {
    std::ifstream existing(path_);
    std::string first;
    if (existing && std::getline(existing, first) && !first.empty()) {
      if (!first.empty() && first.back() == '\r') first.pop_back();
      KYPER_REQUIRE(first == header, path_ << ":1: header differs from this search's columns ("
                                           << header << ")");
      write_header = false;
    }
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0644);
  KYPER_REQUIRE(fd_ >= 0, "results table: cannot open " << path_ << " for writing: " << std::strerror(errno));
  try {
    if (write_header) append_whole(fd_, header + '\n', path_);
    sync_ = std::make_unique<BackgroundSync>(fd_, path_);
  } catch (...) {
    ::close(fd_);  // the destructor does not run for a constructor that throws
    throw;
  }
}

ResultsTable::~ResultsTable() {
  sync_.reset();  // the last rows to the disk first
  if (fd_ >= 0) ::close(fd_);
}

void ResultsTable::append(const Observation& o) {
  write_whole(fd_, row_line(o, metadata_keys_), path_);
  sync_->written();
}

void ResultsTable::flush() { sync_->flush(); }

void write_results(const std::string& path, const Space& space, const std::vector<std::string>& metadata_keys,
                   const std::vector<Observation>& observations) {
  std::string text = csv_line(header_for(*space.names(), metadata_keys)) + '\n';
  for (const auto& o : observations) text += row_line(o, metadata_keys);
  write_file_atomically(path, text, "results table");
}

namespace {

// A table's rows, and (when tolerated) the torn last row that was left out.
struct ParsedTable {
  std::vector<Observation> rows;
  std::size_t torn_line = 0;  // 0: none
  std::string torn_why;
};

// Byte offset of the start of 1-based `line`.
std::size_t line_offset(const std::string& text, std::size_t line) {
  std::size_t offset = 0;
  for (std::size_t l = 1; l < line; ++l) offset = text.find('\n', offset) + 1;
  return offset;
}

// The line the record after `record` starts on (line breaks inside quoted cells count).
std::size_t line_after(const CsvRecord& record) {
  std::size_t line = record.line + 1;
  for (std::size_t i = 0; i < record.cells.size(); ++i) {
    const std::string& cell = record.cells[i];
    if (record.quoted[i]) line += static_cast<std::size_t>(std::count(cell.begin(), cell.end(), '\n'));
  }
  return line;
}

// Whether a line after `line` starts like a row ("<job id>,"): then an unterminated quote on
// `line` swallowed whole rows, and dropping it as one torn row would lose finished trials.
bool row_starts_after(const std::string& text, std::size_t line) {
  const std::size_t first_break = text.find('\n', line_offset(text, line));
  for (std::size_t at = first_break; at != std::string::npos; at = text.find('\n', at + 1)) {
    std::size_t p = at + 1;
    if (p < text.size() && text[p] == '-') ++p;
    const std::size_t digits = p;
    while (p < text.size() && text[p] >= '0' && text[p] <= '9') ++p;
    if (p > digits && p < text.size() && text[p] == ',') return true;
  }
  return false;
}

ParsedTable parse_table(const std::string& text, const std::string& path, const Space& space, bool tolerate_torn_tail) {
  CsvReader reader(text, path);
  CsvRecord record;
  KYPER_REQUIRE(reader.next(record), path << ":1: empty file (no header)");
  const std::vector<std::string> header = record.cells;
  std::size_t next_line = line_after(record);

  auto column = [&](const std::string& name) -> long {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<long>(it - header.begin());
  };
  auto require_column = [&](const std::string& name) {
    const long c = column(name);
    KYPER_REQUIRE(c >= 0, path << ":1: missing column '" << name << "'");
    return static_cast<std::size_t>(c);
  };
  const std::size_t c_id = require_column("job_id");
  const std::size_t c_objective = require_column("objective");
  const long c_status = column("status"), c_reason = column("reason");
  std::vector<std::size_t> c_param;
  for (const auto& p : space.parameters()) c_param.push_back(require_column("p:" + p.name));
  for (const auto& h : header)
    if (h.rfind("p:", 0) == 0)
      KYPER_REQUIRE(space.has(h.substr(2)), path << ":1: column '" << h
                                                 << "' names no parameter of the space");
  const char* const times[] = {"timestamp_submit", "timestamp_start", "timestamp_end", "timestamp_gather"};
  long c_time[4];
  for (int k = 0; k < 4; ++k) c_time[k] = column(times[k]);
  const long c_metadata = column("metadata");
  const auto names = space.names();

  auto parse_row = [&](const std::vector<std::string>& fields, const std::string& where) {
    KYPER_REQUIRE(fields.size() == header.size(), where << ": " << fields.size()
                                                        << " fields, the header has " << header.size());
    Observation o;
    o.id = static_cast<std::int64_t>(parse_field(fields[c_id], where, "job_id"));
    std::vector<Value> values(space.size());
    for (std::size_t i = 0; i < space.size(); ++i) {
      const std::string& text = fields[c_param[i]];
      if (text.empty()) continue;
      const Parameter& p = space.parameter(i);
      const bool as_string = (p.type == ParameterType::Categorical || p.type == ParameterType::Ordinal) &&
                             p.choice_index(Value(text)) >= 0;
      values[i] = as_string ? Value(text) : Value(parse_field(text, where, "p:" + p.name));
    }
    o.config = Configuration(names, std::move(values));
    try {
      space.validate(o.config);
    } catch (const Error& e) {
      KYPER_FAIL(where << ": " << e.what());
    }
    const std::string status = c_status >= 0 ? fields[static_cast<std::size_t>(c_status)] : "";
    const std::string& objective = fields[c_objective];
    if (!objective.empty() && status != "failed") {
      o.objective = parse_field(objective, where, "objective");
    } else {
      o.reason = c_reason >= 0 ? fields[static_cast<std::size_t>(c_reason)] : "";
      if (o.reason.empty()) o.reason = "failed";
    }
    double* stamps[] = {&o.timestamp_submit, &o.timestamp_start, &o.timestamp_end, &o.timestamp_gather};
    for (int k = 0; k < 4; ++k)
      if (c_time[k] >= 0) *stamps[k] = parse_time(fields[static_cast<std::size_t>(c_time[k])], where, times[k]);
    for (std::size_t c = 0; c < header.size(); ++c)
      if (header[c].rfind("m:", 0) == 0 && !fields[c].empty()) o.metadata[header[c].substr(2)] = fields[c];
    if (c_metadata >= 0 && !fields[static_cast<std::size_t>(c_metadata)].empty()) {
      rj::Document doc;
      const std::string& text = fields[static_cast<std::size_t>(c_metadata)];
      doc.Parse(text.c_str(), text.size());
      KYPER_REQUIRE(!doc.HasParseError() && doc.IsObject(),
                    where << ": column 'metadata' is not a JSON object");
      for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
        std::string value;
        if (it->value.IsString()) {
          value = it->value.GetString();
        } else {
          rj::StringBuffer b;
          rj::Writer<rj::StringBuffer> w(b);
          it->value.Accept(w);
          value = b.GetString();
        }
        o.metadata[it->name.GetString()] = value;
      }
    }
    return o;
  };

  // A row torn by a crash mid-write can only be the last one, in a file that does not end with
  // a line break; every other bad row is an error.
  const bool unterminated = reader.ends_without_newline();
  const std::size_t last_line = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  ParsedTable out;
  for (;;) {
    const std::size_t start_line = next_line;
    try {
      if (!reader.next(record)) break;
    } catch (const Error& e) {  // an unterminated quote: it runs to the end of the file
      if (!(tolerate_torn_tail && unterminated && !row_starts_after(text, start_line))) throw;
      out.torn_line = start_line, out.torn_why = e.what();
      break;
    }
    next_line = line_after(record);
    if (record.blank()) continue;
    const std::string where = path + ":" + std::to_string(record.line);
    const bool may_be_torn = tolerate_torn_tail && unterminated && next_line > last_line;
    try {
      out.rows.push_back(parse_row(record.cells, where));
    } catch (const Error& e) {
      if (!may_be_torn) throw;
      out.torn_line = record.line, out.torn_why = e.what();
      break;
    }
    // Without its line break, only a closing quote shows that the last cell was written whole
    // (the writer quotes the metadata column whenever it is not empty).
    if (may_be_torn && !record.quoted.back()) {
      out.rows.pop_back();
      out.torn_line = record.line, out.torn_why = where + ": no line break after its last cell, which may be cut short";
    }
  }
  return out;
}

}  // namespace

std::vector<Observation> read_results(const std::string& path, const Space& space) {
  return parse_table(read_file(path, "results table"), path, space, false).rows;
}

RecoveredResults recover_results(const std::string& path, const Space& space) {
  const std::string text = read_file(path, "results table");
  RecoveredResults out;
  if (text.empty()) return out;
  if (text.find('\n') == std::string::npos) {  // killed while writing the header: start afresh
    out.dropped_line = 1, out.dropped_why = path + ":1: the header is cut short";
    write_file_atomically(path, std::string(), "results table");
    return out;
  }
  ParsedTable table = parse_table(text, path, space, true);
  out.rows = std::move(table.rows);
  if (table.torn_line > 0) {
    out.dropped_line = table.torn_line, out.dropped_why = table.torn_why;
    write_file_atomically(path, text.substr(0, line_offset(text, table.torn_line)), "results table");
  } else if (text.back() != '\n') {  // whole, but the next row must start on a line of its own
    write_file_atomically(path, text + '\n', "results table");
  }
  return out;
}

std::size_t load_results(const std::string& path, Search& search) {
  auto observations = read_results(path, search.space());
  search.warm_start(observations);
  return observations.size();
}

}  // namespace kyper::search
