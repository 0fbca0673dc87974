#include "output_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <kyper/error.hpp>

namespace kyper::scheduler_detail {

namespace fs = std::filesystem;

namespace {

// A lock file younger than this that does not name its holder yet is being written; an older
// one was left half-written by a search killed while taking it.
constexpr std::time_t kIncompleteGraceSeconds = 2;

struct Holder {
  std::string host;
  long pid = 0;
  std::string started;  // process start time (clock ticks after boot); empty when unknown

  bool complete() const { return !host.empty() && pid > 0; }
  std::string describe() const { return "host " + host + ", pid " + std::to_string(pid); }
};

std::string this_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

// What /proc/<pid>/stat says: the state (field 3; 'Z' a zombie) and the start time (field 22,
// which tells a reused pid from the holder). Empty on systems without /proc.
struct ProcessInfo {
  char state = '?';
  std::string started;
};

ProcessInfo process_info(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(in, text);
  const std::size_t name_end = text.rfind(')');  // the command name may hold spaces and parentheses
  ProcessInfo info;
  if (name_end == std::string::npos) return info;
  std::istringstream fields(text.substr(name_end + 1));
  fields >> info.state;
  std::string field;
  for (int f = 4; f <= 22 && fields >> field; ++f)
    if (f == 22) info.started = field;
  return info;
}

std::string record_of_this_process() {
  return "host=" + this_host() + "\npid=" + std::to_string(::getpid()) +
         "\nstarted=" + process_info(::getpid()).started + "\n";
}

Holder parse_record(const std::string& text) {
  Holder h;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "host") h.host = value;
    if (key == "started") h.started = value;
    if (key == "pid") h.pid = std::strtol(value.c_str(), nullptr, 10);
  }
  return h;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::time_t age_seconds(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return std::time(nullptr) - info.st_mtime;
}

// Why the holder (on this host) is gone, or "" when it still runs.
std::string why_gone(const Holder& h) {
  const std::string pid = std::to_string(h.pid);
  if (::kill(static_cast<pid_t>(h.pid), 0) != 0 && errno == ESRCH) return "no process " + pid + " runs";
  const ProcessInfo now = process_info(h.pid);
  if (now.state == 'Z' || now.state == 'X') return "process " + pid + " has exited";
  if (!h.started.empty() && !now.started.empty() && now.started != h.started)
    return "pid " + pid + " now belongs to a process started later";
  return "";
}

// Removes the lock file `path` if it still holds `stale` (the record judged gone). It is first
// renamed aside, which only one search can do, and put back when another search has taken the
// lock over since `stale` was read. True when removed.
bool remove_stale(const std::string& path, const std::string& stale) {
  const std::string aside = path + ".stale." + this_host() + "." + std::to_string(::getpid());
  if (std::rename(path.c_str(), aside.c_str()) != 0) return false;
  const auto moved = read_file(aside);
  if (moved && *moved == stale) {
    std::remove(aside.c_str());
    return true;
  }
  (void)::link(aside.c_str(), path.c_str());  // fails only if yet another search took the name
  std::remove(aside.c_str());
  return false;
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    KYPER_REQUIRE(n > 0, "cannot write the lock file '" << path << "': " << std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

OutputLock::OutputLock(const std::string& folder)
    : path_((fs::path(folder) / output_lock_name()).string()), record_(record_of_this_process()) {
  fs::create_directories(folder);
  for (int takeovers = 0;;) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      try {
        write_all(fd, record_, path_);
      } catch (...) {
        ::close(fd);
        std::remove(path_.c_str());
        throw;
      }
      ::close(fd);
      return;
    }
    KYPER_REQUIRE(errno == EEXIST, "cannot create the lock file '" << path_ << "': " << std::strerror(errno));
    const auto text = read_file(path_);
    if (!text) continue;  // released since
    const Holder holder = parse_record(*text);
    std::string gone;
    if (!holder.complete()) {
      if (age_seconds(path_) < kIncompleteGraceSeconds) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      gone = "its lock file names no holder";
    } else {
      KYPER_REQUIRE(holder.host == this_host(),
                    "output folder '" << folder << "' is in use by a search on another host (" << holder.describe()
                                      << "), which cannot be checked from " << this_host()
                                      << ": wait for it to finish, or choose another folder; if that search is "
                                      << "gone, delete " << path_);
      gone = why_gone(holder);
      KYPER_REQUIRE(!gone.empty(), "output folder '" << folder << "' is in use by another search ("
                                                     << holder.describe()
                                                     << "): wait for it to finish, or choose another folder");
    }
    KYPER_REQUIRE(++takeovers <= 20, "cannot take the lock " << path_ << ": other searches keep taking it");
    if (remove_stale(path_, *text))
      std::fprintf(stderr, "kyper: warning: output folder '%s' was locked by a search that is gone (%s: %s); "
                   "taking the lock over\n", folder.c_str(), holder.complete() ? holder.describe().c_str() : "unknown",
                   gone.c_str());
  }
}

OutputLock::~OutputLock() {
  const auto text = read_file(path_);
  if (text && *text == record_) std::remove(path_.c_str());
}

}  // namespace kyper::scheduler_detail
