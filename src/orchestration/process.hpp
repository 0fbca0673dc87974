// Running one program under a supervisor, for command trials (internal). Kyper forks a small
// supervisor process, which forks the program into a process group of its own. The supervisor
// enforces the deadline (SIGTERM to the whole group, SIGKILL after a grace period), kills what
// the program leaves behind in its group (and, as a child subreaper, anything that left the
// group), and watches a pipe from Kyper: when Kyper dies in any way (even kill -9) the kernel
// closes its end, and the supervisor kills the group and exits. Between fork and exec both
// children call async-signal-safe functions only (Kyper may have threads: OpenMP, MPI).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kyper::process {

struct Request {
  std::string program;                 // absolute path of an executable (find_program)
  std::vector<std::string> arguments;  // argv, argv[0] included
  std::vector<std::string> environment;  // "NAME=value", the whole environment of the program
  std::string working_dir;             // must exist
  std::string stdin_path;              // empty: /dev/null
  std::string stdout_path, stderr_path;  // files that keep the streams (bounded); empty: none
  std::optional<std::chrono::steady_clock::time_point> deadline;
  double grace_seconds = 5;            // SIGTERM, then SIGKILL this much later
  std::size_t output_limit = 1 << 20;  // bytes of each stream kept in its file (then its tail)
  std::size_t tail_bytes = 256 << 10;  // bytes of each stream's end kept in memory
  // Called with each complete line of stdout as it arrives (without its line break); returning
  // true asks for the program to stop: its group gets SIGTERM, then SIGKILL after the grace
  // period, as at the deadline (Result::stopped, not timed_out).
  std::function<bool(const std::string& line)> on_stdout_line;
};

struct Result {
  bool started = false;       // false: fork or exec failed (error says why)
  std::string error;          // why it did not start
  bool exited = false;        // ended by exit(); exit_code is valid
  int exit_code = -1;
  int signal = 0;             // ended by this signal
  bool timed_out = false;     // the deadline passed: the group got SIGTERM
  bool stopped = false;       // on_stdout_line asked for the stop: the group got SIGTERM
  bool killed = false;        // ... and SIGKILL after the grace period
  bool leftover = false;      // processes were left running after the program exited; killed
  std::string stdout_tail, stderr_tail;  // the last tail_bytes of each stream
  std::size_t stdout_bytes = 0, stderr_bytes = 0;
  double seconds = 0;
};

// Runs the request to its end (see above). Never throws for what the program does; throws
// kyper::Error only when Kyper itself cannot set up (pipes, files).
Result run(const Request& request);

// The absolute path of `name`: searched on PATH when it has no '/', else taken relative to
// `base_dir`. Throws kyper::Error saying "not found on PATH", "does not exist", "is a directory"
// or "is not executable".
std::string find_program(const std::string& name, const std::string& base_dir);

// "SIGKILL" for 9, "signal 77" for what has no name.
std::string signal_name(int signal);

}  // namespace kyper::process
