// Internal to the scheduler (not installed): one search per output folder. A search holds
// <output>/.kyper.lock, a small text file naming its host, pid and process start time, from the
// moment it opens the folder until it ends; a second search (or --resume) on a held folder is
// refused with an error naming the holder.
//
// The file is created with open(O_CREAT | O_EXCL), not flock(): exclusive creation is atomic on
// local file systems and on NFS (v3 and later) and Lustre, where flock() is often local to one
// node or switched off, so two jobs on two nodes would both get it. The price is that a lock does
// not vanish with its process: a holder that is gone (same host, no such process, or the pid
// now belongs to a process started later) is detected and its lock taken over with a warning. A
// lock held from another host cannot be checked from here and is refused; the message says
// which file to delete if that job is known to be dead.
#pragma once

#include <string>

namespace kyper::scheduler_detail {

class OutputLock {
 public:
  // Takes the lock of `folder` (created when missing). Throws kyper::Error naming the holder
  // (host, pid) when another live search holds it.
  explicit OutputLock(const std::string& folder);
  // Releases it (removes the file, unless it is no longer this lock's).
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string record_;  // what this lock wrote into the file
};

// The lock file's name inside an output folder.
inline const char* output_lock_name() { return ".kyper.lock"; }

}  // namespace kyper::scheduler_detail
