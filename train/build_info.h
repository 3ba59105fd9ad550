// What this binary is: version, git commit, build type, compiler, oneDNN — for `heed info` and
// run provenance.
#pragma once

#include <string>

namespace heed {

struct BuildInfo {
  std::string version, git_commit, build_type, compiler, onednn;
  int threads;
};
BuildInfo build_info();

}  // namespace heed
