// Child processes of `heed experiment`: each run is `heed train` (or `heed eval`) in a process
// of its own, started from this binary, that dies with the experiment. PR_SET_PDEATHSIG makes
// the kernel SIGKILL a child whose parent dies, however it dies (a SIGKILL too), so no run keeps
// training, and holding its run directory's lock, after the experiment that started it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace heed {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is the program run
  std::string stdout_path;        // created or appended to
  std::string stderr_path;        // appended to ("" = the same file as stdout)
};

// Starts the child; throws heed::Error when its output files cannot be opened or fork fails.
pid_t start_child(const ChildSpec& spec);

struct ChildExit {
  pid_t pid = 0;
  int status = 0;          // as waitpid gives it
  double peak_rss_mb = 0;  // the child's peak resident memory (getrusage's ru_maxrss)
};

// A child that has ended, or nullopt when none has (does not block).
std::optional<ChildExit> reap_child();

// "exit code 2", "killed by signal 9 (Killed)".
std::string describe_exit(int status);
// The exit code, or -1 when a signal ended the child.
int exit_code(int status);

// The last line of `path` from byte `offset` on that starts "heed: ", without it: a failed
// command's reason ("" when none).
std::string last_heed_line(const std::string& path, long long offset = 0);

// The path of the running program (/proc/self/exe resolved), what the experiment's children run.
std::string self_executable();

}  // namespace heed
