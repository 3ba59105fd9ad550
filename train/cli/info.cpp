// `heed info`: the build.
#include <iostream>

#include "framework/precision.h"
#include "framework/runtime.h"
#include "train/build_info.h"
#include "train/cli/commands.h"

namespace heed {

Command add_info_command(CLI::App& app) {
  CLI::App* info =
      app.add_subcommand("info", "Show the build: version, commit, compiler, oneDNN ISA, threads");
  return {info, [](const std::string&) {
            BuildInfo b = build_info();
            std::cout << "heed " << b.version << " (commit " << b.git_commit << ", " << b.build_type
                      << ")\n"
                      << "compiler: " << b.compiler << "\n"
                      << "oneDNN:   " << b.onednn << "\n"
                      << "threads:  " << b.threads << "\n"
                      << "bf16 products: " << bf16_info() << "\n"
                      << "OpenMP waits: " << openmp_waits() << "\n";
            return 0;
          }};
}

}  // namespace heed
