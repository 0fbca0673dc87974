#include <kyper/atomic_file.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <kyper/error.hpp>

namespace kyper {

namespace {
// fsync of a file, or of a folder so that a rename in it survives a power loss.
void sync_path(const std::string& path, bool folder) {
  const int fd = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return;  // best effort: some file systems do not open folders
  (void)::fsync(fd);
  ::close(fd);
}
}  // namespace

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           const std::string& what) {
  const std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    KYPER_REQUIRE(out, "cannot write " << what << " '" << partial << "': " << std::strerror(errno));
    write(out);
    out.flush();
    KYPER_REQUIRE(out.good(), "failed writing " << what << " '" << partial << "' (disk full?)");
  }
  sync_path(partial, false);
  KYPER_REQUIRE(std::rename(partial.c_str(), path.c_str()) == 0,
                "cannot move " << what << " into place at '" << path << "': " << std::strerror(errno));
  const std::string folder = std::filesystem::path(path).parent_path().string();
  sync_path(folder.empty() ? "." : folder, true);
}

void write_file_atomically(const std::string& path, const std::string& content, const std::string& what) {
  write_file_atomically(path, [&](std::ostream& out) { out << content; }, what);
}

}  // namespace kyper
