#include <kyper/error.hpp>

#include <cstring>

namespace kyper::detail {

namespace {
// The source tree's root as the build saw it (set by CMake); stripped so a location never
// carries the path of the machine Kyper was built on.
const char* relative_to_source_root(const char* file) {
#ifdef KYPER_SOURCE_ROOT
  const std::size_t n = std::strlen(KYPER_SOURCE_ROOT);
  if (std::strncmp(file, KYPER_SOURCE_ROOT, n) == 0) {
    file += n;
    while (*file == '/') ++file;
    return file;
  }
#endif
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}
}  // namespace

void throw_error(const char* file, int line, const std::string& message) {
  throw Error(message, std::string(relative_to_source_root(file)) + ":" + std::to_string(line));
}

}  // namespace kyper::detail
