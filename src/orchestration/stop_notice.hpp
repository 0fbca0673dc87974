// Internal to the scheduler (not installed): what a search says when it is stopped by a signal.
//
// mpiexec ends every rank with SIGTERM (then SIGKILL) when one rank dies or the job is cancelled;
// a batch system sends SIGTERM at the wall-time limit; a person presses Ctrl-C. Each leaves the
// output folder resumable, and the user should learn so from Kyper, not only from a launcher's
// "process rank 1 exited on signal 9". While a StopNotice lives, SIGTERM, SIGINT and SIGHUP print
// one line naming the signal and the output folder, then take the action they had before (the
// process still ends by that signal, as the launcher expects).
#pragma once

#include <string>

namespace kyper::scheduler_detail {

class StopNotice {
 public:
  // `reports`: this rank prints the notice (one rank of a job); `mpi_job`: the search spans
  // several ranks (the notice then says why mpiexec may have stopped it, and the ranks that do
  // not report end half a second after the signal, so that the one that does has time to).
  StopNotice(const std::string& output_dir, bool reports, bool mpi_job);
  ~StopNotice();  // puts the previous handlers back
  StopNotice(const StopNotice&) = delete;
  StopNotice& operator=(const StopNotice&) = delete;

 private:
  bool active_;
};

}  // namespace kyper::scheduler_detail
