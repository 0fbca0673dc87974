// CSV dataset: the record splitter, the numeric table reader, and column selection on the table.
#include "fuzz_common.hpp"
#include "fuzz_drivers.hpp"

#include <kyper/csv.hpp>
#include <kyper/dataset.hpp>
#include <kyper/error.hpp>

#include <sstream>

namespace kyper::fuzz {

void fuzz_csv_dataset(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = text(data, size);
  try {
    CsvReader reader(bytes, "fuzz.csv");
    CsvRecord record;
    while (reader.next(record)) {
    }
    (void)reader.ends_without_newline();
  } catch (const Error& e) {
    note(e);
  }
  try {
    std::istringstream in(bytes);
    const Table table = parse_csv(in, "fuzz.csv");
    if (table.cols() >= 2) {
      // The last column as the target, the others as features (the job's default).
      const Dataset d = select(table, {}, {table.columns.back()});
      (void)d.rows();
    }
  } catch (const Error& e) {
    note(e);
  }
}

}  // namespace kyper::fuzz
