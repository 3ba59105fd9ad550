#include <unistd.h>

#include <cstdlib>
#include <string>

#include "framework/runtime.h"

namespace heed {

void prefer_short_spins(char** argv) {
  // libgomp reads its settings when it is loaded, before main: an environment variable set now
  // takes effect only in a new image of this program. The variable makes the exec happen once.
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (setenv("GOMP_SPINCOUNT", kSpinCount, 1) != 0) return;
  execv("/proc/self/exe", argv);  // returns only on failure: then run on with the default
}

std::string openmp_waits() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spins = std::getenv("GOMP_SPINCOUNT");
  if (policy != nullptr) return std::string("OMP_WAIT_POLICY=") + policy;
  if (spins != nullptr) return std::string("spin ") + spins + ", then sleep (GOMP_SPINCOUNT)";
  return "libgomp's default (spin 300000, then sleep)";
}

}  // namespace heed
