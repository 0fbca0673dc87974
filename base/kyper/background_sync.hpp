// A file appended to by one thread and synced to the disk (fdatasync) by another, so that the
// writer never waits on the disk: an append is in the kernel (a kill -9 of the process loses
// nothing) when write(2) returns, and on the disk a few milliseconds later (a power loss loses
// at most the appends of the last sync). flush() waits until every append made before it is on
// the disk, for a reader on another node of a network file system.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace kyper {

class BackgroundSync {
 public:
  // `fd`: an open file (not owned: the caller closes it after this is destroyed); `path` names it
  // in errors.
  BackgroundSync(int fd, std::string path);
  ~BackgroundSync();  // syncs what is left, then stops the syncing thread
  BackgroundSync(const BackgroundSync&) = delete;
  BackgroundSync& operator=(const BackgroundSync&) = delete;

  // After a write to the file: it will be synced. Throws kyper::Error when an earlier sync failed.
  void written();
  // Waits until everything written before the call is on the disk; throws when a sync failed.
  void flush();

 private:
  void run();
  void throw_if_failed() const;  // with mutex_ held

  int fd_;
  std::string path_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t written_ = 0, synced_ = 0;
  bool stopping_ = false;
  std::string error_;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace kyper
