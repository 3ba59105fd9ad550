#include "train/experiment/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "framework/tensor.h"

namespace heed {
namespace {

int open_output(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(path + ": cannot open for writing (" + std::strerror(errno) + ")");
  return fd;
}

// This process's environment without the MPI launcher's variables: a run started by a rank of
// `mpirun heed experiment` is a process of its own, not a member of the rank's MPI job.
std::vector<char*> child_environment() {
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) {
    const std::string_view v(*e);
    if (v.starts_with("OMPI_") || v.starts_with("PMI_") || v.starts_with("PMIX_")) continue;
    env.push_back(*e);
  }
  env.push_back(nullptr);
  return env;
}

}  // namespace

pid_t start_child(const ChildSpec& spec) {
  // Everything the child needs is made before fork: between fork and exec only async-signal-safe
  // calls are allowed.
  const int out = open_output(spec.stdout_path);
  const int err = spec.stderr_path.empty() ? out : open_output(spec.stderr_path);
  std::vector<char*> argv;
  for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> env = child_environment();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    ::execve(argv[0], argv.data(), env.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(out);
  if (err != out) ::close(err);
  if (pid < 0) throw Error(std::string("cannot start a run: fork: ") + std::strerror(fork_errno));
  return pid;
}

std::optional<ChildExit> reap_child() {
  int status = 0;
  struct rusage usage {};
  const pid_t pid = ::wait4(-1, &status, WNOHANG, &usage);
  if (pid <= 0) return std::nullopt;
  return ChildExit{pid, status, usage.ru_maxrss / 1024.0};  // ru_maxrss is in KiB on Linux
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "ended with status " + std::to_string(status);
}

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string self_executable() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find the heed binary: /proc/self/exe: " + ec.message());
  return p.string();
}

std::string last_heed_line(const std::string& path, long long offset) {
  std::ifstream in(path);
  in.seekg(offset);
  std::string line, last;
  while (std::getline(in, line))
    if (line.rfind("heed: ", 0) == 0) last = line.substr(6);
  return last;
}

}  // namespace heed
