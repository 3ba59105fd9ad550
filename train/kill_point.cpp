#include "train/kill_point.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "framework/io/atomic_file.h"
#include "framework/tensor.h"
#include "framework/text.h"

namespace heed {

namespace {

// "KILL" | "INT" | "TERM" -> the signal number, or 0.
int signal_named(const std::string& name) {
  if (name == "KILL") return SIGKILL;
  if (name == "INT") return SIGINT;
  if (name == "TERM") return SIGTERM;
  return 0;
}

}  // namespace

void install_kill_point_from_env() {
  const char* value = std::getenv(kKillAtVariable);
  if (value == nullptr) return;
  static const std::vector<std::string> points = {"after_temp_write",
                                                  "before_rename",
                                                  "before_dir_fsync",
                                                  "checkpoint_before_swap",
                                                  "checkpoint_between_renames",
                                                  "checkpoint_after_swap",
                                                  "after_step",
                                                  "evaluation_batch",
                                                  "report"};
  const std::string text = value;
  const std::vector<std::string> parts = split(text, ':');
  long long n = 0;
  std::size_t used = 0;
  try {
    if (parts.size() >= 2) n = std::stoll(parts[1], &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const int signal = parts.size() == 3 ? signal_named(parts[2]) : SIGKILL;
  if (parts.size() < 2 || parts.size() > 3 || used == 0 || used != parts[1].size() || n < 1 ||
      signal == 0 || std::find(points.begin(), points.end(), parts[0]) == points.end())
    throw Error(std::string(kKillAtVariable) + "='" + text +
                "': want POINT:N[:KILL|INT|TERM] with N >= 1 and POINT one of " + join(points));
  set_fault_hook([point = parts[0], remaining = n, signal](const char* at) mutable {
    if (point == at && --remaining == 0) ::kill(::getpid(), signal);
  });
}

}  // namespace heed
