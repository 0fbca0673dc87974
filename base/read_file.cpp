#include <kyper/read_file.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <kyper/error.hpp>

namespace kyper {

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  KYPER_REQUIRE(in, "cannot open " << what << " '" << path << "': " << std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace kyper
