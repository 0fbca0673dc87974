#include <kyper/csv.hpp>
#include <kyper/error.hpp>
#include <kyper/json.hpp>
#include <kyper/search/results_table.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

}  // namespace

ResultsTable::ResultsTable(std::string path, const Space& space,
                           std::vector<std::string> metadata_keys, bool append)
    : path_(std::move(path)), parameter_names_(*space.names()),
      metadata_keys_(std::move(metadata_keys)) {
  for (const auto& k : metadata_keys_)
    KYPER_REQUIRE(!k.empty(), "results table " << path_ << ": empty metadata key");
  columns_ = header_for(parameter_names_, metadata_keys_);
  std::string header;
  for (std::size_t i = 0; i < columns_.size(); ++i) header += (i ? "," : "") + csv_quote(columns_[i]);

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
  out_.open(path_, append ? std::ios::app : std::ios::trunc);
  KYPER_REQUIRE(out_, "results table: cannot open " << path_ << " for writing");
  if (write_header) out_ << header << '\n' << std::flush;
}

void ResultsTable::append(const Observation& o) {
  std::vector<std::string> row{std::to_string(o.id)};
  for (const auto& v : o.config.values()) row.push_back(value_to_string(v));
  row.push_back(o.objective ? number(*o.objective) : "");
  row.emplace_back(o.objective ? "done" : "failed");
  row.push_back(o.reason);
  for (double t : {o.timestamp_submit, o.timestamp_start, o.timestamp_end, o.timestamp_gather})
    row.push_back(number(t));
  for (const auto& k : metadata_keys_) {
    auto it = o.metadata.find(k);
    row.push_back(it == o.metadata.end() ? "" : it->second);
  }
  rj::StringBuffer buffer;
  rj::Writer<rj::StringBuffer> w(buffer);
  bool extra = false;
  w.StartObject();
  for (const auto& [k, v] : o.metadata) {
    if (std::find(metadata_keys_.begin(), metadata_keys_.end(), k) != metadata_keys_.end()) continue;
    extra = true;
    w.Key(k.c_str());
    w.String(v.c_str());
  }
  w.EndObject();
  row.push_back(extra ? buffer.GetString() : "");
  std::string line;
  for (std::size_t i = 0; i < row.size(); ++i) line += (i ? "," : "") + csv_quote(row[i]);
  out_ << line << '\n' << std::flush;
  KYPER_REQUIRE(out_, "results table: write to " << path_ << " failed");
}

std::vector<Observation> read_results(const std::string& path, const Space& space) {
  CsvReader reader = CsvReader::from_file(path);
  CsvRecord record;
  KYPER_REQUIRE(reader.next(record), path << ":1: empty file (no header)");
  const std::vector<std::string> header = record.cells;
  std::vector<std::string> fields;

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

  std::vector<Observation> out;
  const auto names = space.names();
  for (;;) {
    if (!reader.next(record)) break;
    if (record.blank()) continue;
    const std::size_t record_line = record.line;
    fields = std::move(record.cells);
    const std::string where = path + ":" + std::to_string(record_line);
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
    out.push_back(std::move(o));
  }
  return out;
}

std::size_t load_results(const std::string& path, Search& search) {
  auto observations = read_results(path, search.space());
  search.warm_start(observations);
  return observations.size();
}

}  // namespace kyper::search
