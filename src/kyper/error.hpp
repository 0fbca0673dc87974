// Kyper's error type and the KYPER_REQUIRE check. Messages name the user's input (file, line,
// column, key, node) so a bad input can be fixed without reading the source.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace kyper {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void throw_error(const char* file, int line, const std::string& message) {
  std::ostringstream out;
  out << message << " [" << file << ":" << line << "]";
  throw Error(out.str());
}
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
