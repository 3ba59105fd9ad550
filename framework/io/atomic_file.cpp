#include "framework/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "framework/tensor.h"

namespace heed {
namespace {

std::function<void(const char*)>& hook() {
  static std::function<void(const char*)> h;
  return h;
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int err) {
  throw Error(path + ": " + what + ": " + std::strerror(err));
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// 0 or errno. Loops because write() may write less than asked (signals, pipes, large sizes).
int write_all(int fd, std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const std::size_t chunk = std::min<std::size_t>(bytes.size() - done, std::size_t{1} << 30);
    const ssize_t n = ::write(fd, bytes.data() + done, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

}  // namespace

void set_fault_hook(std::function<void(const char* point)> h) {
  hook() = std::move(h);
}

void fault_point(const char* point) {
  if (hook()) hook()(point);
}

void fsync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(dir, "cannot open directory to fsync it", errno);
  const int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  // Some filesystems cannot fsync a directory (EINVAL); their renames are as durable as they get.
  if (rc != 0 && rc != EINVAL) fail(dir, "fsync of directory failed", rc);
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  if (path.empty()) throw Error("write_file_atomically: empty path");
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw Error(path + ": exists and is not a regular file; refusing to replace it");

  // Unique per process and call, so concurrent writers of different files never collide; a
  // leftover from a crashed process has another pid and is simply never reused.
  static std::atomic<uint64_t> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 100))
      fail(path, "cannot create temporary file " + tmp, errno);
  }

  try {
    if (int err = write_all(fd, bytes)) fail(path, "cannot write temporary file " + tmp, err);
    fault_point("after_temp_write");
    // Without fsync before rename, a power loss can leave the new name pointing at an empty file.
    if (::fsync(fd) != 0) fail(path, "fsync of temporary file " + tmp + " failed", errno);
    const int closed = ::close(fd);
    fd = -1;
    if (closed != 0) fail(path, "closing temporary file " + tmp + " failed", errno);
    fault_point("before_rename");
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      fail(path, "cannot rename temporary file " + tmp + " over it", errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  fault_point("before_dir_fsync");
  fsync_directory(directory_of(path));
}

std::string read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail(path, "cannot stat", err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": is a directory, not a file");
  }
  // Pipes are fine (process substitution); devices such as /dev/zero never end.
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": is not a regular file");
  }
  std::string out;
  // st_size is a hint only: the file may change under us, and devices report 0.
  std::size_t capacity = S_ISREG(st.st_mode) ? static_cast<std::size_t>(st.st_size) + 1 : 65536;
  std::size_t size = 0;
  for (;;) {
    if (size == capacity) capacity *= 2;
    out.resize(capacity);
    const ssize_t n = ::read(fd, out.data() + size, capacity - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail(path, "read failed", err);
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(size);
  return out;
}

}  // namespace heed
