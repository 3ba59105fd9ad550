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
                                                  "evaluation_batch"};
  const std::string text = value;
  const std::size_t colon = text.rfind(':');
  const std::string point = text.substr(0, colon);
  long long n = 0;
  std::size_t used = 0;
  try {
    if (colon != std::string::npos) n = std::stoll(text.substr(colon + 1), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (colon == std::string::npos || used == 0 || used != text.size() - colon - 1 || n < 1 ||
      std::find(points.begin(), points.end(), point) == points.end())
    throw Error(std::string(kKillAtVariable) + "='" + text +
                "': want POINT:N with N >= 1 and POINT one of " + join(points));
  set_fault_hook([point, remaining = n](const char* at) mutable {
    if (point == at && --remaining == 0) ::kill(::getpid(), SIGKILL);
  });
}

}  // namespace heed
