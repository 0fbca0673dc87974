#include <kyper/background_sync.hpp>

#include <cerrno>
#include <cstring>

#include <unistd.h>

#include <kyper/error.hpp>

namespace kyper {

BackgroundSync::BackgroundSync(int fd, std::string path) : fd_(fd), path_(std::move(path)), thread_([this] { run(); }) {}

BackgroundSync::~BackgroundSync() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();  // the thread syncs what was written before it stops
}

void BackgroundSync::written() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    throw_if_failed();
    ++written_;
  }
  changed_.notify_all();
}

void BackgroundSync::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t target = written_;
  changed_.wait(lock, [&] { return synced_ >= target || !error_.empty(); });
  throw_if_failed();
}

void BackgroundSync::throw_if_failed() const {
  KYPER_REQUIRE(error_.empty(), error_);
}

void BackgroundSync::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [&] { return written_ > synced_ || stopping_; });
    if (written_ == synced_ && stopping_) return;
    const std::uint64_t target = written_;
    lock.unlock();
    // EINVAL / EROFS: a file that cannot be synced (a pipe, a read-only mount's special file).
    const bool ok = ::fdatasync(fd_) == 0 || errno == EINVAL || errno == EROFS;
    const std::string why = ok ? "" : std::strerror(errno);
    lock.lock();
    synced_ = target;
    if (!ok && error_.empty()) error_ = "syncing " + path_ + " to the disk failed: " + why;
    lock.unlock();
    changed_.notify_all();
    lock.lock();
  }
}

}  // namespace kyper
