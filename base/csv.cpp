// Numeric CSV reading and writing (see kyper/csv.hpp).
#include <kyper/csv.hpp>

#include <kyper/atomic_file.hpp>
#include <kyper/error.hpp>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace kyper {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

Table table_from_records(CsvReader& reader) {
  const std::string& source = reader.source();
  Table table;
  table.source = source;
  CsvRecord record;

  const bool has_first = reader.next(record);
  if (!has_first || record.blank()) {
    // Either nothing at all, or a blank line where the header must be.
    bool anything = false;
    while (reader.next(record)) anything = anything || !record.blank();
    KYPER_REQUIRE(anything, source << ": the file is empty; expected a header row on line 1");
    KYPER_FAIL(source << ":1: line 1 is blank; expected the header row (column names)");
  }

  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t column = 1; column <= record.cells.size(); ++column) {
    std::string& name = record.cells[column - 1];
    KYPER_REQUIRE(!name.empty(), source << ":1: column " << column << " has an empty name");
    auto [it, inserted] = seen.emplace(name, column);
    KYPER_REQUIRE(inserted, source << ":1: column '" << name << "' (" << column
                                   << ") duplicates the name of column " << it->second);
    table.columns.push_back(std::move(name));
  }
  const std::size_t ncols = table.columns.size();

  std::size_t first_blank_line = 0;  // a blank line is fine only if nothing but blanks follow
  while (reader.next(record)) {
    const std::size_t line_no = record.line;
    if (record.blank()) {
      if (first_blank_line == 0) first_blank_line = line_no;
      continue;
    }
    KYPER_REQUIRE(first_blank_line == 0,
                  source << ":" << first_blank_line << ": blank line between data rows (data "
                         << "continues on line " << line_no << ")");
    const std::size_t count = record.cells.size();
    KYPER_REQUIRE(count <= ncols, source << ":" << line_no << ": column " << ncols + 1
                                         << " has no header: the row has " << count
                                         << " cells but the header has " << ncols << " columns");
    KYPER_REQUIRE(count == ncols, source << ":" << line_no << ": column '" << table.columns[count] << "' ("
                                         << count + 1 << ") is missing: the row has " << count
                                         << " cells but the header has " << ncols << " columns");
    for (std::size_t column = 0; column < ncols; ++column) {
      const std::string& cell = record.cells[column];
      const std::string& name = table.columns[column];
      double value = 0.0;
      const NumberParse parsed = parse_number(cell, value);
      KYPER_REQUIRE(parsed != NumberParse::not_a_number,
                    source << ":" << line_no << ": column '" << name << "' (" << column + 1
                           << "): expected a number, got " << describe_cell(cell));
      KYPER_REQUIRE(parsed != NumberParse::out_of_range,
                    source << ":" << line_no << ": column '" << name << "' (" << column + 1
                           << "): " << describe_cell(cell) << " is out of the range of a double");
      KYPER_REQUIRE(std::isfinite(value),
                    source << ":" << line_no << ": column '" << name << "' (" << column + 1
                           << "): " << describe_cell(cell)
                           << " is not finite; NaN and infinity are not allowed (impute or "
                           << "drop the row first)");
      table.values.push_back(value);
    }
  }
  KYPER_REQUIRE(!table.values.empty(),
                source << ": has a header (line 1) but no data rows; expected at least one row "
                       << "on line 2");
  return table;
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  KYPER_REQUIRE(in, "cannot open CSV file '" << path << "': " << std::strerror(errno));
  std::string text;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<std::size_t>(size));
    in.seekg(0, std::ios::beg);
    in.read(text.data(), size);
    KYPER_REQUIRE(in, "failed reading CSV file '" << path << "'");
  } else {
    // Not seekable (a pipe or /dev/stdin): read it as a stream.
    in.clear();
    in.seekg(0, std::ios::beg);
    std::ostringstream stream;
    stream << in.rdbuf();
    text = stream.str();
  }
  return text;
}

template <class T>
void write_csv_impl(const std::string& path, const std::vector<std::string>& columns,
                    const std::vector<T>& values) {
  KYPER_REQUIRE(!columns.empty(), "write_csv('" << path << "'): no columns given");
  KYPER_REQUIRE(values.size() % columns.size() == 0,
                "write_csv('" << path << "'): " << values.size() << " values do not fill rows of "
                              << columns.size() << " columns");
  // Atomic: a reader never sees a half-written table, and a crash leaves the old one.
  write_file_atomically(path, [&](std::ostream& out) {

  std::string buffer;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (c) buffer += ',';
    const std::string& name = columns[c];
    KYPER_REQUIRE(name.find('\n') == std::string::npos,
                  "write_csv('" << path << "'): column " << c + 1 << " name contains a newline");
    buffer += name.empty() ? std::string("\"\"") : csv_quote(name);
  }
  buffer += '\n';

  char number[64];
  const std::size_t ncols = columns.size();
  for (std::size_t i = 0; i < values.size(); ++i) {
    // Shortest text that parses back to the same value: exact round trips, small files.
    // Non-finite predictions are written as nan/inf rather than hidden.
    const auto result = std::to_chars(number, number + sizeof(number), values[i]);
    buffer.append(number, result.ptr);
    buffer += (i % ncols == ncols - 1) ? '\n' : ',';
    if (buffer.size() > (1u << 20)) {
      out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      buffer.clear();
    }
  }
  out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  }, "CSV file");
}

}  // namespace

std::size_t Table::column_index(const std::string& name) const {
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == name) return c;
  }
  std::ostringstream available;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    available << (c ? ", " : "") << "'" << columns[c] << "'";
  }
  KYPER_FAIL(source << ": no column named '" << name << "'; available columns: "
                    << available.str());
}

CsvReader::CsvReader(std::string text, std::string source) : text_(std::move(text)), source_(std::move(source)) {
  // Spreadsheet exports often start with a UTF-8 byte order mark; it is not part of the first name.
  if (text_.size() >= 3 && std::memcmp(text_.data(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
}

CsvReader CsvReader::from_file(const std::string& path) { return CsvReader(read_whole_file(path), path); }

bool CsvReader::ends_without_newline() const { return !text_.empty() && text_.back() != '\n'; }

bool CsvReader::next(CsvRecord& record) {
  if (pos_ >= text_.size()) return false;
  record.line = line_;
  std::size_t count = 0;
  auto cell = [&]() -> std::string& {
    if (record.cells.size() <= count) record.cells.emplace_back(), record.quoted.push_back(0);
    return record.cells[count];
  };
  const std::size_t n = text_.size();
  for (;;) {  // one cell per pass
    std::string& out = cell();
    out.clear();
    std::size_t p = pos_;
    while (p < n && (text_[p] == ' ' || text_[p] == '\t')) ++p;
    const bool quoted = p < n && text_[p] == '"';
    record.quoted[count] = quoted;
    if (quoted) {
      const std::size_t open_line = line_;
      const std::size_t line_start = p == 0 ? std::string::npos : text_.rfind('\n', p - 1);
      const std::size_t open_at = line_start == std::string::npos ? p : p - line_start - 1;
      ++p;
      for (;;) {
        KYPER_REQUIRE(p < n, source_ << ":" << open_line << ": column " << count + 1
                                     << ": unterminated quote (opened at character " << open_at + 1 << ")");
        const char c = text_[p];
        if (c == '"') {
          if (p + 1 < n && text_[p + 1] == '"') {
            out += '"';
            p += 2;
            continue;
          }
          ++p;
          break;
        }
        if (c == '\n') ++line_;
        out += c;
        ++p;
      }
      while (p < n && is_space(text_[p])) ++p;
      KYPER_REQUIRE(p >= n || text_[p] == ',' || text_[p] == '\n',
                    source_ << ":" << line_ << ": column " << count + 1 << ": unexpected text after the closing quote");
    } else {
      const std::size_t end = std::min(text_.find_first_of(",\n", pos_), n);
      const std::string_view raw = trim(std::string_view(text_).substr(pos_, end - pos_));
      out.assign(raw.data(), raw.size());
      p = end;
    }
    ++count;
    if (p < n && text_[p] == ',') {
      pos_ = p + 1;  // a trailing comma yields one more (empty) cell, as in every CSV reader
      continue;
    }
    pos_ = p + 1;  // past the line break (or the end)
    ++line_;
    break;
  }
  record.cells.resize(count);
  record.quoted.resize(count);
  return true;
}

NumberParse parse_number(std::string_view cell, double& value) {
  // from_chars is locale-independent (strtod would read "1,5" in a German locale) but does not
  // take a leading '+', which some writers emit.
  std::string_view number = cell;
  if (number.size() > 1 && number[0] == '+' && number[1] != '-' && number[1] != '+') number.remove_prefix(1);
  if (number.empty()) return NumberParse::not_a_number;
  const auto result = std::from_chars(number.data(), number.data() + number.size(), value);
  if (result.ec == std::errc::invalid_argument || result.ptr != number.data() + number.size())
    return NumberParse::not_a_number;
  if (result.ec == std::errc::result_out_of_range) return NumberParse::out_of_range;
  return NumberParse::ok;
}

std::string describe_cell(std::string_view cell) {
  if (cell.empty()) return "an empty cell";
  constexpr std::size_t kMax = 40;  // a runaway cell (wrong delimiter) shouldn't flood the message
  std::string shown(cell.substr(0, kMax));
  if (cell.size() > kMax) shown += "...";
  return "'" + shown + "'";
}

std::string csv_quote(const std::string& field) {
  const bool needs = !field.empty() && (is_space(field.front()) || is_space(field.back()) ||
                                        field.find_first_of(",\"\n\r") != std::string::npos);
  if (!needs) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Table parse_csv(std::istream& in, const std::string& source) {
  std::ostringstream text;
  text << in.rdbuf();
  CsvReader reader(text.str(), source);
  return table_from_records(reader);
}

Table read_csv(const std::string& path) {
  CsvReader reader = CsvReader::from_file(path);
  return table_from_records(reader);
}

void write_csv(const std::string& path, const std::vector<std::string>& columns,
               const std::vector<double>& values) {
  write_csv_impl(path, columns, values);
}

void write_csv(const std::string& path, const std::vector<std::string>& columns,
               const std::vector<float>& values) {
  write_csv_impl(path, columns, values);
}

}  // namespace kyper
