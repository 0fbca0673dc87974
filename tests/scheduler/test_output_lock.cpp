// One search per output folder (src/orchestration/output_lock.hpp): a held folder is refused with
// an error naming the holder, a lock whose holder is gone is taken over with a warning, and the
// lock goes away when the search ends. test_output_lock.sh checks the same across processes and
// MPI jobs.
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <support/error_of.hpp>
#include <kyper/error.hpp>
#include <kyper/scheduler.hpp>
#include <kyper/search/random_search.hpp>
#include <kyper/search/results_table.hpp>

#include "output_lock.hpp"

using namespace kyper;
using kyper::testing::error_of;
using scheduler_detail::OutputLock;
namespace fs = std::filesystem;

namespace {
std::string fresh_dir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "kyper_lock_" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}
std::string lock_file(const std::string& dir) { return dir + "/.kyper.lock"; }
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
std::string host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}
std::string holder(long pid) { return "host " + host() + ", pid " + std::to_string(pid); }
// A pid that no process has any more (a child that exited and was reaped).
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return child;
}
}  // namespace

TEST(OutputLock, IsTakenRecordingTheHolderAndReleased) {
  const std::string dir = fresh_dir("basic");
  {
    OutputLock lock(dir);
    const std::string record = slurp(lock_file(dir));
    EXPECT_NE(record.find("host=" + host() + "\n"), std::string::npos) << record;
    EXPECT_NE(record.find("pid=" + std::to_string(::getpid()) + "\n"), std::string::npos) << record;
  }
  EXPECT_FALSE(fs::exists(lock_file(dir)));
  OutputLock again(dir);  // free again
}

TEST(OutputLock, ALiveHolderIsRefusedByName) {
  const std::string dir = fresh_dir("held");
  OutputLock first(dir);
  const std::string error = error_of([&] { OutputLock second(dir); });
  EXPECT_NE(error.find("is in use by another search (" + holder(::getpid()) + ")"), std::string::npos) << error;
  EXPECT_TRUE(fs::exists(lock_file(dir)));  // the refused search did not touch it
}

TEST(OutputLock, AStaleLockIsTakenOverWithAWarning) {
  const std::string dir = fresh_dir("stale");
  const pid_t gone = dead_pid();
  std::ofstream(lock_file(dir)) << "host=" << host() << "\npid=" << gone << "\n";
  ::testing::internal::CaptureStderr();
  {
    OutputLock lock(dir);
    const std::string warning = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(warning.find("kyper: warning: output folder '" + dir + "' was locked by a search that is gone (" +
                           holder(gone)),
              std::string::npos)
        << warning;
    EXPECT_NE(warning.find("taking the lock over"), std::string::npos) << warning;
    EXPECT_NE(slurp(lock_file(dir)).find("pid=" + std::to_string(::getpid())), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(lock_file(dir)));
}

TEST(OutputLock, AnExitedButUnreapedHolderIsGone) {
  const std::string dir = fresh_dir("zombie");
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // exited, not reaped: a zombie
  std::ofstream(lock_file(dir)) << "host=" << host() << "\npid=" << child << "\n";
  ::testing::internal::CaptureStderr();
  { OutputLock lock(dir); }
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("taking the lock over"), std::string::npos);
  ::waitpid(child, nullptr, 0);
}

TEST(OutputLock, APidNowUsedByAnotherProcessIsStale) {
  const std::string dir = fresh_dir("reused");
  // This process's pid, but a start time that is not this process's: the holder died and the
  // pid was given to a process started later.
  std::ofstream(lock_file(dir)) << "host=" << host() << "\npid=" << ::getpid() << "\nstarted=1\n";
  ::testing::internal::CaptureStderr();
  { OutputLock lock(dir); }
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("now belongs to a process started later"), std::string::npos);
}

TEST(OutputLock, AHalfWrittenLockIsWaitedForThenTakenOver) {
  const std::string dir = fresh_dir("half");
  std::ofstream(lock_file(dir)) << "";
  const auto start = std::chrono::steady_clock::now();
  ::testing::internal::CaptureStderr();
  { OutputLock lock(dir); }  // young: waited for (a search may be writing it), then judged left behind
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("its lock file names no holder"), std::string::npos);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // An old one is taken over at once.
  std::ofstream(lock_file(dir)) << "host=";
  struct utimbuf old {};
  old.actime = old.modtime = std::time(nullptr) - 60;
  ::utime(lock_file(dir).c_str(), &old);
  const auto again = std::chrono::steady_clock::now();
  ::testing::internal::CaptureStderr();
  { OutputLock lock(dir); }
  ::testing::internal::GetCapturedStderr();
  EXPECT_LT(std::chrono::steady_clock::now() - again, std::chrono::seconds(1));
}

TEST(OutputLock, AHolderOnAnotherHostIsRefusedWithTheFileToDelete) {
  const std::string dir = fresh_dir("other_host");
  std::ofstream(lock_file(dir)) << "host=elsewhere.example\npid=4242\n";
  const std::string error = error_of([&] { OutputLock lock(dir); });
  EXPECT_NE(error.find("in use by a search on another host (host elsewhere.example, pid 4242)"), std::string::npos)
      << error;
  EXPECT_NE(error.find("delete " + lock_file(dir)), std::string::npos) << error;
}

TEST(OutputLock, TwoConcurrentSearchesOnOneFolder) {
  search::Space space;
  space.add_float("x", 0, 1);
  SchedulerOptions options;
  options.output_dir = fresh_dir("concurrent");
  options.max_evaluations = 8;
  options.verbose = false;
  std::atomic<bool> first_running{false};
  TrialFunction slow = [&](const search::Configuration& c, const TrialContext&) {
    first_running = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return TrialOutcome::success(c.number("x"));
  };
  search::RandomSearch first(space, {1, true});
  std::thread running([&] { run_search(first, slow, options); });
  while (!first_running) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // A second search, fresh or resuming, is refused while the first runs, and changes nothing.
  for (bool resume : {false, true}) {
    SchedulerOptions second_options = options;
    second_options.resume = resume;
    search::RandomSearch second(space, {2, true});
    const std::string error = error_of([&] { run_search(second, slow, second_options); });
    EXPECT_NE(error.find("output folder '" + options.output_dir + "' is in use by another search (" +
                         holder(::getpid()) + ")"),
              std::string::npos)
        << error;
  }
  running.join();
  EXPECT_EQ(search::read_results(options.output_dir + "/results.csv", space).size(), 8u);
  EXPECT_FALSE(fs::exists(lock_file(options.output_dir)));  // released at the end of the search
  // Free again: a resume runs.
  options.resume = true;
  options.max_evaluations = 10;
  search::RandomSearch third(space, {3, true});
  EXPECT_EQ(run_search(third, slow, options).finished, 10);
}
