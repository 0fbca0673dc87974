#include "process.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kyper/error.hpp>

namespace kyper::process {

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// What the two children run. Everything here is async-signal-safe: plain system calls, no
// allocation, no locks, no stdio (the parent may have had other threads when it forked).

// The supervisor's report to Kyper, written once into a pipe.
struct Report {
  int magic = 0x4b595052;  // "KYPR"
  int status = 0;          // waitpid status of the program
  int exited = 0;          // the program ended (status is valid)
  int timed_out = 0, killed = 0, leftover = 0;
  int stopped = 0;         // Kyper asked for the stop (a byte on the lifeline)
  int exec_errno = 0;      // the program could not be started
  int exec_stage = 0;      // 1: fork, 2: working directory, 3: exec
};

// Everything the children need, prepared by the parent before fork.
struct Plan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* working_dir;
  int lifeline;      // read end; EOF when Kyper is gone, a byte when Kyper asks for the stop
  int report;        // write end
  int in, out, err;  // the program's stdin, stdout, stderr
  int devnull;
  long long deadline_ns;  // CLOCK_MONOTONIC; 0: none
  long long grace_ns;
  unsigned max_fd;
};

long long monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void close_fds(unsigned first, unsigned last, unsigned max_fd) {
  if (first > last) return;
#ifdef SYS_close_range
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
  for (unsigned fd = first; fd <= last && fd < max_fd; ++fd) close(int(fd));
}

// Closes every descriptor but the `n` in `keep`.
void close_all_except(int* keep, int n, unsigned max_fd) {
  for (int i = 1; i < n; ++i)  // insertion sort: n is tiny
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      const int t = keep[j];
      keep[j] = keep[j - 1], keep[j - 1] = t;
    }
  unsigned next = 0;
  for (int i = 0; i < n; ++i) {
    if (keep[i] < 0 || unsigned(keep[i]) < next) continue;
    if (unsigned(keep[i]) > next) close_fds(next, unsigned(keep[i]) - 1, max_fd);
    next = unsigned(keep[i]) + 1;
  }
  close_fds(next, UINT_MAX, max_fd);
}

void write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n, size -= size_t(n);
  }
}

void pause_ms(int ms) { poll(nullptr, 0, ms); }

void reset_signals() {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s)
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &action, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// The program: its own process group, killed if the supervisor dies, stdio on the pipes.
[[noreturn]] void exec_program(const Plan& p, pid_t supervisor, int failure_pipe) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != supervisor) _exit(127);  // the supervisor died before prctl took effect
  int stage = 3, error = 0;
  if (dup2(p.in, 0) < 0 || dup2(p.out, 1) < 0 || dup2(p.err, 2) < 0) error = errno;
  // The failure pipe becomes descriptor 3 (the originals of 0-2 are no longer needed).
  if (failure_pipe != 3) {
    if (dup3(failure_pipe, 3, O_CLOEXEC) < 0) _exit(127);
    failure_pipe = 3;
  }
  int keep[] = {0, 1, 2, 3};
  close_all_except(keep, 4, p.max_fd);
  reset_signals();
  if (!error && chdir(p.working_dir) != 0) error = errno, stage = 2;
  if (!error) {
    execve(p.program, p.argv, p.envp);
    error = errno, stage = 3;
  }
  int message[2] = {stage, error};
  write_all(failure_pipe, message, sizeof message);
  _exit(127);
}

// Reaps every child that has ended (orphans of the program come to the supervisor, a subreaper);
// notes the program's status.
void reap(pid_t program, Report& report) {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
    if (pid == program) report.exited = 1, report.status = status;
}

bool group_alive(pid_t group, Report& report) {
  reap(group, report);
  return kill(-group, 0) == 0;
}

// Kills what is left of the program's group (SIGTERM, then SIGKILL after the grace period), then
// every process that left the group and was handed to the supervisor as an orphan.
void clean_up(pid_t group, const Plan& p, Report& report, bool terminate_sent, long long kill_at) {
  if (group_alive(group, report)) {
    if (report.exited && !report.timed_out && !report.stopped) report.leftover = 1;
    if (!terminate_sent) kill(-group, SIGTERM);
    const long long until = terminate_sent ? kill_at : monotonic_ns() + p.grace_ns;
    while (group_alive(group, report) && monotonic_ns() < until) pause_ms(5);
    if (group_alive(group, report)) {
      kill(-group, SIGKILL);
      if (report.timed_out || report.stopped) report.killed = 1;
    }
    for (int i = 0; i < 2000 && group_alive(group, report); ++i) pause_ms(5);
  }
  // Orphans that left the group (setsid) are the supervisor's children now: /proc lists them.
  for (int round = 0; round < 200; ++round) {
    reap(group, report);
    const int fd = open("/proc/thread-self/children", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buffer[4096];
    const ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return;
    long pid = 0;
    bool digits = false;
    for (ssize_t i = 0; i <= n; ++i) {
      if (i < n && buffer[i] >= '0' && buffer[i] <= '9') {
        pid = pid * 10 + (buffer[i] - '0'), digits = true;
      } else if (digits) {
        kill(pid_t(pid), SIGKILL);
        if (report.exited) report.leftover = 1;
        pid = 0, digits = false;
      }
    }
    pause_ms(5);
  }
}

[[noreturn]] void supervise(const Plan& p) {
  // Survive what would kill Kyper's process group (a terminal's Ctrl-C, a batch system's SIGTERM)
  // long enough to clean up; the lifeline tells when Kyper is gone.
  struct sigaction ignore;
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU})
    sigaction(s, &ignore, nullptr);
  struct sigaction normal;
  memset(&normal, 0, sizeof normal);
  normal.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &normal, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  dup2(p.devnull, 0), dup2(p.devnull, 1), dup2(p.devnull, 2);
  int keep[] = {0, 1, 2, p.lifeline, p.report, p.in, p.out, p.err};
  close_all_except(keep, 8, p.max_fd);

  Report report;
  int failure[2];
  if (pipe2(failure, O_CLOEXEC) != 0) {
    report.exec_errno = errno, report.exec_stage = 1;
    write_all(p.report, &report, sizeof report);
    _exit(0);
  }
  const pid_t supervisor = getpid();
  // vfork: the program borrows the supervisor's memory until it execs, so the page tables of
  // Kyper's memory (which the supervisor still maps) are not copied a second time.
  const pid_t program = vfork();
  if (program == 0) {
    close(failure[0]);
    exec_program(p, supervisor, failure[1]);
  }
  if (program < 0) {
    report.exec_errno = errno, report.exec_stage = 1;
    write_all(p.report, &report, sizeof report);
    _exit(0);
  }
  setpgid(program, program);  // as the program does itself: whichever runs first
  close(failure[1]), close(p.in), close(p.out), close(p.err);
  int message[2] = {0, 0};
  size_t got = 0;
  while (got < sizeof message) {
    const ssize_t n = read(failure[0], reinterpret_cast<char*>(message) + got, sizeof message - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
  }
  close(failure[0]);
  if (got == sizeof message) report.exec_stage = message[0], report.exec_errno = message[1];

  int pidfd = -1;
#ifdef SYS_pidfd_open
  pidfd = int(syscall(SYS_pidfd_open, program, 0));
#endif
  bool kyper_gone = false, terminate_sent = false;
  long long kill_at = 0;
  for (;;) {
    reap(program, report);
    if (report.exited) break;
    const long long now = monotonic_ns();
    if (p.deadline_ns && now >= p.deadline_ns && !terminate_sent) {
      kill(-program, SIGTERM);
      terminate_sent = true, report.timed_out = 1, kill_at = now + p.grace_ns;
    }
    if (terminate_sent && !report.killed && now >= kill_at) {
      kill(-program, SIGKILL);
      report.killed = 1;
    }
    long long wake = LLONG_MAX;
    if (p.deadline_ns && !terminate_sent) wake = p.deadline_ns;
    if (terminate_sent && !report.killed) wake = kill_at;
    int timeout_ms = wake == LLONG_MAX ? -1 : int(std::min<long long>((wake - now) / 1000000 + 1, 1000000));
    if (pidfd < 0 || (terminate_sent && report.killed)) timeout_ms = timeout_ms < 0 ? 10 : std::min(timeout_ms, 10);
    pollfd fds[2] = {{p.lifeline, POLLIN, 0}, {pidfd, POLLIN, 0}};
    poll(fds, pidfd >= 0 ? 2 : 1, timeout_ms);
    if (fds[0].revents) {
      char byte;
      const ssize_t n = read(p.lifeline, &byte, 1);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        kyper_gone = true;
        break;
      }
      if (n == 1 && !terminate_sent) {  // a stop request: as at the deadline, without the timeout
        kill(-program, SIGTERM);
        terminate_sent = true, report.stopped = 1, kill_at = monotonic_ns() + p.grace_ns;
      }
    }
  }
  clean_up(program, p, report, terminate_sent, kill_at);
  if (!kyper_gone) write_all(p.report, &report, sizeof report);
  _exit(0);
}

// ---------------------------------------------------------------------------------------------
// Kyper's side.

struct Descriptor {
  int fd = -1;
  Descriptor() = default;
  explicit Descriptor(int f) : fd(f) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() { reset(); }
  void reset(int f = -1) {
    if (fd >= 0) close(fd);
    fd = f;
  }
};

// One byte to the supervisor. It may have exited already (the program ended), so the write can
// fail with EPIPE: SIGPIPE is blocked in this thread for it and a signal it raised is taken back.
void send_stop(int lifeline) {
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE);
  ssize_t n;
  do n = write(lifeline, "S", 1);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EPIPE && !was_pending) {
    const timespec zero{0, 0};
    sigtimedwait(&pipe_signal, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

// A descriptor numbered 3 or more, close-on-exec (so it never lands on a child's stdio).
int above_stdio(int fd) {
  if (fd >= 3) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int error = errno;
  close(fd);
  KYPER_REQUIRE(moved >= 0, "cannot duplicate a file descriptor: " << std::strerror(error));
  return moved;
}

void make_pipe(Descriptor& read_end, Descriptor& write_end) {
  int fds[2];
  KYPER_REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "cannot create a pipe: " << std::strerror(errno));
  read_end.reset(above_stdio(fds[0]));
  write_end.reset(above_stdio(fds[1]));
}

// One output stream: its first `limit` bytes go to a file, its last `tail_cap` stay in memory.
class Capture {
 public:
  Capture(const std::string& path, std::size_t limit, std::size_t tail_cap) : limit_(limit), tail_cap_(tail_cap) {
    if (!path.empty()) {
      file_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      KYPER_REQUIRE(file_ >= 0, "cannot create " << path << ": " << std::strerror(errno));
    }
  }
  ~Capture() {
    if (file_ >= 0) close(file_);
  }
  void add(const char* data, std::size_t n) {
    if (file_ >= 0 && written_ < limit_) {
      const std::size_t take = std::min(n, limit_ - written_);
      write_all(file_, data, take);
      written_ += take;
    }
    total_ += n;
    tail_.append(data, n);
    if (tail_.size() > 2 * tail_cap_ + 65536) tail_.erase(0, tail_.size() - tail_cap_);
  }
  // Ends the file: when the stream outgrew the limit, a note and the part of the tail after the head.
  std::string finish() {
    if (tail_.size() > tail_cap_) tail_.erase(0, tail_.size() - tail_cap_);
    if (file_ >= 0 && total_ > written_) {
      const std::size_t tail_start = total_ - tail_.size();
      const std::size_t skip = written_ > tail_start ? written_ - tail_start : 0;
      const std::string note = "\n[kyper: " + std::to_string(total_ - written_ - (tail_.size() - skip)) +
                               " bytes of output not kept; its last " + std::to_string(tail_.size() - skip) +
                               " bytes follow]\n";
      write_all(file_, note.data(), note.size());
      write_all(file_, tail_.data() + skip, tail_.size() - skip);
    }
    return tail_;
  }
  std::size_t total() const { return total_; }

 private:
  int file_ = -1;
  std::size_t limit_, tail_cap_, written_ = 0, total_ = 0;
  std::string tail_;
};

std::string describe_start_failure(int stage, int error, const Request& r) {
  if (stage == 1) return std::string("cannot start a process: ") + std::strerror(error);
  if (stage == 2) return "cannot enter the working directory " + r.working_dir + ": " + std::strerror(error);
  return "cannot run " + r.program + ": " + std::strerror(error);
}

}  // namespace

std::string signal_name(int signal) {
  switch (signal) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGSYS: return "SIGSYS";
    default: return "signal " + std::to_string(signal);
  }
}

std::string find_program(const std::string& name, const std::string& base_dir) {
  KYPER_REQUIRE(!name.empty(), "the program name is empty");
  auto check = [](const fs::path& path, const std::string& shown) {
    std::error_code ec;
    const auto status = fs::status(path, ec);
    KYPER_REQUIRE(fs::exists(status), "program '" << shown << "' does not exist");
    KYPER_REQUIRE(!fs::is_directory(status), "program '" << shown << "' is a directory");
    KYPER_REQUIRE(access(path.c_str(), X_OK) == 0, "program '" << shown << "' is not executable");
    return fs::absolute(path).lexically_normal().string();
  };
  if (name.find('/') != std::string::npos) {
    const fs::path path = fs::path(name).is_absolute() ? fs::path(name) : fs::path(base_dir) / name;
    return check(path, name);
  }
  const char* path_variable = std::getenv("PATH");
  const std::string search = path_variable ? path_variable : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  std::string found_not_executable;
  while (start <= search.size()) {
    const std::size_t end = std::min(search.find(':', start), search.size());
    const fs::path candidate = fs::path(end == start ? "." : search.substr(start, end - start)) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) {
      if (access(candidate.c_str(), X_OK) == 0) return fs::absolute(candidate).lexically_normal().string();
      found_not_executable = candidate.string();
    }
    start = end + 1;
  }
  KYPER_REQUIRE(found_not_executable.empty(), "program '" << name << "' (" << found_not_executable << ") is not executable");
  KYPER_FAIL("program '" << name << "' not found on PATH");
}

Result run(const Request& r) {
  Result result;
  const auto started = std::chrono::steady_clock::now();
  std::vector<char*> argv, envp;
  for (const auto& a : r.arguments) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : r.environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  Descriptor devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  KYPER_REQUIRE(devnull.fd >= 0, "cannot open /dev/null: " << std::strerror(errno));
  devnull.fd = above_stdio(devnull.fd);
  Descriptor input;
  if (!r.stdin_path.empty()) {
    input.reset(open(r.stdin_path.c_str(), O_RDONLY | O_CLOEXEC));
    KYPER_REQUIRE(input.fd >= 0, "cannot open " << r.stdin_path << ": " << std::strerror(errno));
    input.fd = above_stdio(input.fd);
  }
  Descriptor lifeline_read, lifeline_write, report_read, report_write, out_read, out_write, err_read, err_write;
  make_pipe(lifeline_read, lifeline_write);
  make_pipe(report_read, report_write);
  make_pipe(out_read, out_write);
  make_pipe(err_read, err_write);
  Capture out(r.stdout_path, r.output_limit, r.tail_bytes), err(r.stderr_path, r.output_limit, r.tail_bytes);

  rlimit files{};
  const unsigned max_fd =
      getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY ? unsigned(std::min<rlim_t>(files.rlim_cur, 1 << 20)) : 65536u;
  long long deadline_ns = 0;
  if (r.deadline) {
    // steady_clock is CLOCK_MONOTONIC on Linux: the same clock the supervisor reads.
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(*r.deadline - std::chrono::steady_clock::now()).count();
    deadline_ns = std::max<long long>(monotonic_ns() + std::max<long long>(left, 0), 1);
  }
  const Plan plan{r.program.c_str(), argv.data(), envp.data(), r.working_dir.c_str(), lifeline_read.fd, report_write.fd,
                  input.fd >= 0 ? input.fd : devnull.fd, out_write.fd, err_write.fd, devnull.fd, deadline_ns,
                  (long long)(std::max(0.0, r.grace_seconds) * 1e9), max_fd};
  const pid_t supervisor = fork();
  KYPER_REQUIRE(supervisor >= 0, "cannot start a process: " << std::strerror(errno));
  if (supervisor == 0) supervise(plan);
  lifeline_read.reset(), report_write.reset(), out_write.reset(), err_write.reset(), input.reset();

  for (Descriptor* d : {&out_read, &err_read, &report_read}) fcntl(d->fd, F_SETFL, fcntl(d->fd, F_GETFL) | O_NONBLOCK);
  Report report;
  std::size_t report_bytes = 0;
  bool report_done = false;
  std::chrono::steady_clock::time_point drain_until{};
  std::vector<char> buffer(1 << 16);
  std::string line;  // stdout not yet ended by a line break, for on_stdout_line
  bool stop_requested = false;
  for (;;) {
    pollfd fds[3];
    Descriptor* owners[3];
    int n = 0;
    for (Descriptor* d : {&out_read, &err_read, &report_read})
      if (d->fd >= 0) fds[n] = {d->fd, POLLIN, 0}, owners[n++] = d;
    if (n == 0) break;
    int timeout_ms = -1;
    if (report_done) {
      // The group is gone; only a process that escaped it could still hold the pipes open.
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(drain_until - std::chrono::steady_clock::now()).count();
      if (left <= 0) break;
      timeout_ms = int(left);
    }
    const int ready = poll(fds, nfds_t(n), timeout_ms);
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < n && ready > 0; ++i) {
      if (!fds[i].revents) continue;
      Descriptor* d = owners[i];
      if (d == &report_read) {
        const ssize_t got = read(d->fd, reinterpret_cast<char*>(&report) + report_bytes, sizeof report - report_bytes);
        if (got > 0) report_bytes += std::size_t(got);
        if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN) || report_bytes == sizeof report) {
          d->reset();
          report_done = true;
          drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        }
        continue;
      }
      const ssize_t got = read(d->fd, buffer.data(), buffer.size());
      if (got > 0) (d == &out_read ? out : err).add(buffer.data(), std::size_t(got));
      else if (got == 0 || (errno != EINTR && errno != EAGAIN)) d->reset();
      if (got > 0 && d == &out_read && r.on_stdout_line) {
        // Whole lines to the caller; one that wants the program stopped gets it stopped once.
        line.append(buffer.data(), std::size_t(got));
        for (std::size_t end; (end = line.find('\n')) != std::string::npos; line.erase(0, end + 1))
          if (!stop_requested && r.on_stdout_line(line.substr(0, end))) {
            send_stop(lifeline_write.fd);
            stop_requested = true;
          }
        if (line.size() > r.tail_bytes) line.erase(0, line.size() - r.tail_bytes);  // a runaway line
      }
    }
  }
  out_read.reset(), err_read.reset(), report_read.reset();
  int status = 0;
  pid_t waited;
  do waited = waitpid(supervisor, &status, 0);
  while (waited < 0 && errno == EINTR);
  lifeline_write.reset();  // only now: the supervisor takes its closing for Kyper's death

  result.stdout_tail = out.finish(), result.stderr_tail = err.finish();
  result.stdout_bytes = out.total(), result.stderr_bytes = err.total();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (report_bytes != sizeof report || report.magic != Report().magic) {
    result.error = waited == supervisor && WIFSIGNALED(status)
                       ? "the trial's supervisor process was killed by " + signal_name(WTERMSIG(status))
                       : std::string("the trial's supervisor process ended without a report");
    return result;
  }
  if (report.exec_errno) {
    result.error = describe_start_failure(report.exec_stage, report.exec_errno, r);
    return result;
  }
  result.started = true;
  result.timed_out = report.timed_out, result.killed = report.killed, result.leftover = report.leftover;
  result.stopped = report.stopped;
  if (report.exited && WIFEXITED(report.status)) result.exited = true, result.exit_code = WEXITSTATUS(report.status);
  if (report.exited && WIFSIGNALED(report.status)) result.signal = WTERMSIG(report.status);
  return result;
}

}  // namespace kyper::process
