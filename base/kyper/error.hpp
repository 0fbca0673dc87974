// Kyper's error type and the KYPER_REQUIRE check. Messages name the user's input (file, line,
// column, key, node) so a bad input can be fixed without reading the source. The place in Kyper's
// own source that raised an error is kept apart from the message: what() never shows it, and the
// command line prints it only with --verbose or in a debug build.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace kyper {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string source_location = {})
      : std::runtime_error(message), source_location_(std::move(source_location)) {}

  // "base/csv.cpp:120" (relative to Kyper's source tree), or "" when unknown. For developers.
  const std::string& source_location() const { return source_location_; }

 private:
  std::string source_location_;
};

namespace detail {
// Throws kyper::Error(message) remembering where in Kyper it was raised.
[[noreturn]] void throw_error(const char* file, int line, const std::string& message);
}  // namespace detail

}  // namespace kyper

// Throws kyper::Error with `message` (a stream expression) when `condition` is false.
#define KYPER_REQUIRE(condition, message)                              \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::ostringstream kyper_require_stream_;                        \
      kyper_require_stream_ << message;                                \
      ::kyper::detail::throw_error(__FILE__, __LINE__, kyper_require_stream_.str()); \
    }                                                                  \
  } while (false)

#define KYPER_FAIL(message) KYPER_REQUIRE(false, message)
