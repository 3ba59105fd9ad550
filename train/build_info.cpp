#include "train/build_info.h"

#include "framework/runtime.h"

#ifndef HEED_VERSION
#define HEED_VERSION "unknown"
#endif
#include "train/git_commit.h"  // HEED_GIT_COMMIT, generated at every build
#ifndef HEED_BUILD_TYPE
#define HEED_BUILD_TYPE "unknown"
#endif

namespace heed {

BuildInfo build_info() {
  BuildInfo b;
  b.version = HEED_VERSION;
  b.git_commit = HEED_GIT_COMMIT;
  b.build_type = HEED_BUILD_TYPE;
#if defined(__clang__)
  b.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  b.compiler = "g++ " __VERSION__;
#else
  b.compiler = "unknown";
#endif
  b.onednn = onednn_info();
  b.threads = num_threads();
  return b;
}

}  // namespace heed
