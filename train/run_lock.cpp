#include "train/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "train/config.h"

namespace heed {

RunLock::RunLock(const std::string& run_dir) {
  namespace fs = std::filesystem;
  // The error_code form: a bad out_dir (a path through a file, /dev/full) is bad input, which
  // must reach the user as one heed::Error naming the key, not as a filesystem_error.
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec)
    throw ConfigError("out_dir " + run_dir + ": cannot create the run directory (" + ec.message() +
                      ")");
  const std::string path = (fs::path(run_dir) / "train.lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw ConfigError(path + ": cannot open the run's lock file (" + std::strerror(errno) + ")");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw ConfigError(run_dir + ": another heed process is training this run directory (it " +
                        "holds " + path + "); wait for it or stop it first");
    throw ConfigError(path + ": cannot lock (" + std::strerror(err) + ")");
  }
}

bool run_directory_busy(const std::string& run_dir) {
  const std::string path = (std::filesystem::path(run_dir) / "train.lock").string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the lock when it was taken
  return busy;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace heed
