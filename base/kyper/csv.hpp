// The one CSV reader of Kyper. CsvReader splits any CSV text into records (quoted cells may hold
// commas, quotes and line breaks); read_csv builds numeric tables (datasets) on it, and the search's
// results table reads its mixed text/number rows with it. Numbers are parsed locale-independently.
// Every error names the file, the 1-based line (the header is line 1) and the column (name and
// 1-based index) so a bad input can be fixed without a debugger.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace kyper {

// One record: its cells (quotes removed, "" unescaped, unquoted cells trimmed of spaces and tabs)
// and the line it starts on.
struct CsvRecord {
  std::vector<std::string> cells;
  std::vector<char> quoted;  // per cell: was it written in double quotes
  std::size_t line = 0;
  // A line with nothing but spaces.
  bool blank() const { return cells.size() == 1 && cells[0].empty() && !quoted[0]; }
};

class CsvReader {
 public:
  // `source` names the text in errors (a path). A leading UTF-8 byte order mark is skipped.
  CsvReader(std::string text, std::string source);
  static CsvReader from_file(const std::string& path);

  // Reads the next record; false at the end of the text. Throws kyper::Error on an unterminated
  // quote or text after a closing quote.
  bool next(CsvRecord& record);
  const std::string& source() const { return source_; }
  // True when the text ended without a final line break (the last record may be cut short).
  bool ends_without_newline() const;

 private:
  std::string text_, source_;
  std::size_t pos_ = 0, line_ = 1;
};

enum class NumberParse { ok, not_a_number, out_of_range };
// Parses a whole cell as a double ("1.5", "-2e3", "+4", "inf", "nan"), independent of the locale.
NumberParse parse_number(std::string_view cell, double& value);
// A cell for error messages: 'text' (cut at 40 characters), or "an empty cell".
std::string describe_cell(std::string_view cell);
// `field` as a CSV cell: quoted when it holds a comma, quote or line break, or starts or ends with
// a space, so CsvReader returns it unchanged.
std::string csv_quote(const std::string& field);

// A numeric table as read from a CSV file. Data row r sits on line r + 2 of `source`
// (read_csv rejects blank lines between data rows, so this mapping always holds).
struct Table {
  std::vector<std::string> columns;  // header names, unique
  std::vector<double> values;        // rows() x cols(), row-major, all finite
  std::string source;                // the path it was read from (used in error messages)

  std::size_t rows() const { return columns.empty() ? 0 : values.size() / columns.size(); }
  std::size_t cols() const { return columns.size(); }
  double at(std::size_t row, std::size_t col) const { return values[row * columns.size() + col]; }

  // 0-based index of `name`; throws kyper::Error naming the file, the missing column and
  // the available ones.
  std::size_t column_index(const std::string& name) const;
};

// Reads a comma-separated file: a header row (names may be double-quoted, "" escapes a quote),
// then rows of finite numbers. Surrounding spaces/tabs, CRLF line ends, a UTF-8 BOM and blank
// trailing lines are accepted. Throws kyper::Error on anything else.
Table read_csv(const std::string& path);

// Same as read_csv, from a stream; `source` is the name used in error messages.
Table parse_csv(std::istream& in, const std::string& source);

// Writes a header and row-major `values` (values.size() must be a multiple of columns.size()).
// Each value is written as the shortest text that parses back to the same value, so read_csv
// returns the same bits. Non-finite values are written as nan/inf (read_csv rejects them).
void write_csv(const std::string& path, const std::vector<std::string>& columns,
               const std::vector<double>& values);
void write_csv(const std::string& path, const std::vector<std::string>& columns,
               const std::vector<float>& values);

}  // namespace kyper
