#include "stop_notice.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace kyper::scheduler_detail {

namespace {

constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP};
struct sigaction previous[3];
// Written before the handlers are installed, read only by them: a handler may only write(2).
char notice[4096];
std::size_t notice_length = 0;

void append(const char* text) {
  const std::size_t n = std::min(std::strlen(text), sizeof notice - 1 - notice_length);
  std::memcpy(notice + notice_length, text, n);
  notice_length += n;
}

void take_previous_action(int signal) {
  for (int i = 0; i < 3; ++i)
    if (kSignals[i] == signal) ::sigaction(signal, &previous[i], nullptr);
  ::raise(signal);  // by default the process ends by this signal
}

void on_signal(int signal) {
  const char* name = signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "SIGHUP";
  const char head[] = "\nkyper: stopped by ";
  [[maybe_unused]] ssize_t w = ::write(STDERR_FILENO, head, sizeof head - 1);
  w = ::write(STDERR_FILENO, name, std::strlen(name));
  w = ::write(STDERR_FILENO, notice, notice_length);
  take_previous_action(signal);
}

// Open MPI's mpiexec sends SIGTERM to every rank, then SIGKILL as soon as one of them has ended
// (its one-second wait between the two is cut short by SIGCHLD). A rank that ended at once would
// get the reporting rank killed before it could print; the other ranks so end half a second late.
void on_signal_quietly(int signal) {
  timespec left{0, 500'000'000};
  while (::nanosleep(&left, &left) != 0) {
  }
  take_previous_action(signal);
}

void install(void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &action, &previous[i]);
}

}  // namespace

StopNotice::StopNotice(const std::string& output_dir, bool reports, bool mpi_job) : active_(reports || mpi_job) {
  if (!reports) {
    if (mpi_job) install(on_signal_quietly);
    return;
  }
  notice_length = 0;
  if (mpi_job) append(" (mpiexec stops every rank when one dies, or when the job is cancelled or out of time)");
  append(". Every finished trial is in ");
  append(output_dir.c_str());
  append("/results*.csv; run the same command with --resume to go on from there.\n");
  install(on_signal);
}

StopNotice::~StopNotice() {
  if (!active_) return;
  for (int i = 0; i < 3; ++i) ::sigaction(kSignals[i], &previous[i], nullptr);
}

}  // namespace kyper::scheduler_detail
