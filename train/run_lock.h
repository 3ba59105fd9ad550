// The lock a training run holds on its run directory: `heed train` (fresh or --resume) takes an
// exclusive flock on RUN/train.lock before it writes anything there and holds it until it exits,
// so two processes never train one run directory at once (two `heed train --resume RUN`, or an
// experiment started twice). The kernel drops the lock when the process dies, however it dies,
// so a crash never leaves a stale lock behind.
#pragma once

#include <string>

namespace heed {

class RunLock {
 public:
  // Creates `run_dir` when missing and locks it. Throws ConfigError (bad input, exit code 2)
  // naming the directory when it cannot be created or another process holds its lock.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// Whether another process holds `run_dir`'s lock now (false when the directory or its lock file
// does not exist). Takes nothing: for a caller deciding whether to start a trainer there.
bool run_directory_busy(const std::string& run_dir);

}  // namespace heed
