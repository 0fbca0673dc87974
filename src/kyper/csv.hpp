// Numeric CSV tables: read_csv loads a header + numeric rows into a row-major Table, and
// write_csv writes predictions. Every error names the file, the 1-based line (the header is
// line 1) and the column (name and 1-based index) so a bad input can be fixed without a debugger.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <vector>

namespace kyper {

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
