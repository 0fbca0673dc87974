// Numeric CSV reading and writing (see kyper/csv.hpp).
#include <kyper/csv.hpp>

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

// Walks the cells of one line. A cell is optional whitespace, then either a double-quoted
// string ("" escapes a quote) or bare text up to the next comma, then optional whitespace.
class CellScanner {
 public:
  CellScanner(std::string_view line, const std::string& source, std::size_t line_no)
      : line_(line), source_(source), line_no_(line_no) {}

  // Puts the next cell's raw text in `cell` (quotes removed, "" escapes still doubled) and
  // returns true, or returns false once the line is used up. `column` (1-based) is for errors.
  bool next(std::string_view& cell, bool& quoted, std::size_t column) {
    if (done_) return false;
    std::size_t pos = pos_;
    while (pos < line_.size() && is_space(line_[pos])) ++pos;
    quoted = pos < line_.size() && line_[pos] == '"';
    std::size_t end;
    if (quoted) {
      const std::size_t open = pos++;
      while (true) {
        KYPER_REQUIRE(pos < line_.size(), source_ << ":" << line_no_ << ": column " << column
                                                  << ": unterminated quote (opened at character "
                                                  << open + 1 << ")");
        if (line_[pos] == '"') {
          if (pos + 1 < line_.size() && line_[pos + 1] == '"') {
            pos += 2;
            continue;
          }
          break;
        }
        ++pos;
      }
      cell = line_.substr(open + 1, pos - open - 1);
      ++pos;  // past the closing quote
      while (pos < line_.size() && is_space(line_[pos])) ++pos;
      KYPER_REQUIRE(pos == line_.size() || line_[pos] == ',',
                    source_ << ":" << line_no_ << ": column " << column
                            << ": unexpected text after the closing quote");
      end = pos;
    } else {
      end = line_.find(',', pos);
      if (end == std::string_view::npos) end = line_.size();
      cell = trim(line_.substr(pos, end - pos));
    }
    if (end == line_.size()) {
      done_ = true;
    } else {
      pos_ = end + 1;  // a trailing comma yields one more (empty) cell, as in every CSV reader
    }
    return true;
  }

 private:
  std::string_view line_;
  const std::string& source_;
  std::size_t line_no_;
  std::size_t pos_ = 0;
  bool done_ = false;
};

std::string unescape_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '"') ++i;  // the scanner only lets doubled quotes through
  }
  return out;
}

std::string describe_cell(std::string_view cell) {
  if (cell.empty()) return "an empty cell";
  constexpr std::size_t kMax = 40;  // a runaway cell (wrong delimiter) shouldn't flood the message
  std::string shown(cell.substr(0, kMax));
  if (cell.size() > kMax) shown += "...";
  return "'" + shown + "'";
}

// Reads the lines of `text`, stripping a trailing '\r' (CRLF files).
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}
  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++line_no_;
    return true;
  }
  std::size_t line_no() const { return line_no_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_no_ = 0;
};

Table parse_text(std::string_view text, const std::string& source) {
  // Spreadsheet exports often start with a UTF-8 byte order mark; it is not part of the name.
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);

  Table table;
  table.source = source;
  LineReader lines(text);
  std::string_view line;

  const bool has_first = lines.next(line);
  const bool first_blank = !has_first || trim(line).empty();
  if (first_blank) {
    // Either nothing at all, or a blank line where the header must be.
    std::string_view rest;
    bool anything = false;
    while (lines.next(rest)) anything = anything || !trim(rest).empty();
    KYPER_REQUIRE(anything, source << ": the file is empty; expected a header row on line 1");
    KYPER_FAIL(source << ":1: line 1 is blank; expected the header row (column names)");
  }

  {
    CellScanner cells(line, source, 1);
    std::string_view cell;
    bool quoted = false;
    std::unordered_map<std::string, std::size_t> seen;
    for (std::size_t column = 1; cells.next(cell, quoted, column); ++column) {
      std::string name = quoted ? unescape_quotes(cell) : std::string(cell);
      KYPER_REQUIRE(!name.empty(), source << ":1: column " << column << " has an empty name");
      auto [it, inserted] = seen.emplace(name, column);
      KYPER_REQUIRE(inserted, source << ":1: column '" << name << "' (" << column
                                     << ") duplicates the name of column " << it->second);
      table.columns.push_back(std::move(name));
    }
  }
  const std::size_t ncols = table.columns.size();

  std::size_t first_blank_line = 0;  // a blank line is fine only if nothing but blanks follow
  while (lines.next(line)) {
    const std::size_t line_no = lines.line_no();
    if (trim(line).empty()) {
      if (first_blank_line == 0) first_blank_line = line_no;
      continue;
    }
    KYPER_REQUIRE(first_blank_line == 0,
                  source << ":" << first_blank_line << ": blank line between data rows (data "
                         << "continues on line " << line_no << ")");

    CellScanner cells(line, source, line_no);
    std::string_view cell;
    bool quoted = false;
    std::size_t column = 0;  // 0-based index of the cell being read
    while (cells.next(cell, quoted, column + 1)) {
      if (column >= ncols) {
        std::size_t count = column + 1;
        while (cells.next(cell, quoted, count + 1)) ++count;
        KYPER_FAIL(source << ":" << line_no << ": column " << ncols + 1
                          << " has no header: the row has " << count
                          << " cells but the header has " << ncols << " columns");
      }
      const std::string& name = table.columns[column];
      // from_chars is locale-independent (strtod would read "1,5" in a German locale) but
      // does not take a leading '+', which some writers emit.
      std::string_view number = cell;
      if (number.size() > 1 && number[0] == '+' && number[1] != '-' && number[1] != '+') {
        number.remove_prefix(1);
      }
      double value = 0.0;
      const auto result = std::from_chars(number.data(), number.data() + number.size(), value);
      const bool whole = result.ptr == number.data() + number.size();
      KYPER_REQUIRE(!number.empty() && whole && result.ec != std::errc::invalid_argument,
                    source << ":" << line_no << ": column '" << name << "' (" << column + 1
                           << "): expected a number, got " << describe_cell(cell));
      KYPER_REQUIRE(result.ec != std::errc::result_out_of_range,
                    source << ":" << line_no << ": column '" << name << "' (" << column + 1
                           << "): " << describe_cell(cell) << " is out of the range of a double");
      KYPER_REQUIRE(std::isfinite(value),
                    source << ":" << line_no << ": column '" << name << "' (" << column + 1
                           << "): " << describe_cell(cell)
                           << " is not finite; NaN and infinity are not allowed (impute or "
                           << "drop the row first)");
      table.values.push_back(value);
      ++column;
    }
    KYPER_REQUIRE(column == ncols, source << ":" << line_no << ": column '"
                                          << table.columns[column] << "' (" << column + 1
                                          << ") is missing: the row has " << column
                                          << " cells but the header has " << ncols
                                          << " columns");
  }
  KYPER_REQUIRE(!table.values.empty(),
                source << ": has a header (line 1) but no data rows; expected at least one row "
                       << "on line 2");
  return table;
}

bool needs_quotes(const std::string& name) {
  return name.empty() || is_space(name.front()) || is_space(name.back()) ||
         name.find_first_of(",\"\n") != std::string::npos;
}

template <class T>
void write_csv_impl(const std::string& path, const std::vector<std::string>& columns,
                    const std::vector<T>& values) {
  KYPER_REQUIRE(!columns.empty(), "write_csv('" << path << "'): no columns given");
  KYPER_REQUIRE(values.size() % columns.size() == 0,
                "write_csv('" << path << "'): " << values.size() << " values do not fill rows of "
                              << columns.size() << " columns");
  std::ofstream out(path, std::ios::binary);
  KYPER_REQUIRE(out, "cannot open '" << path << "' for writing: " << std::strerror(errno));

  std::string buffer;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (c) buffer += ',';
    const std::string& name = columns[c];
    KYPER_REQUIRE(name.find('\n') == std::string::npos,
                  "write_csv('" << path << "'): column " << c + 1 << " name contains a newline");
    if (needs_quotes(name)) {
      buffer += '"';
      for (char ch : name) {
        buffer += ch;
        if (ch == '"') buffer += '"';
      }
      buffer += '"';
    } else {
      buffer += name;
    }
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
  out.flush();
  KYPER_REQUIRE(out, "failed writing '" << path << "' (disk full?)");
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

Table parse_csv(std::istream& in, const std::string& source) {
  std::ostringstream text;
  text << in.rdbuf();
  return parse_text(text.str(), source);
}

Table read_csv(const std::string& path) {
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
  return parse_text(text, path);
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
