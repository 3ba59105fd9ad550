# Run at every build (the heed_git_commit target in train/CMakeLists.txt), not at configure time:
# writes OUTPUT with HEED_GIT_COMMIT, the source tree's commit as `git rev-parse --short=12`,
# "+dirty" when tracked files differ from it, "unknown" outside a git checkout. configure_file
# rewrites OUTPUT only when its text changes, so an unchanged commit recompiles nothing.
execute_process(COMMAND git -C ${SOURCE_DIR} rev-parse --short=12 HEAD
  OUTPUT_VARIABLE HEED_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT HEED_GIT_COMMIT)
  set(HEED_GIT_COMMIT unknown)
else()
  execute_process(COMMAND git -C ${SOURCE_DIR} status --porcelain --untracked-files=no
    OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(changes)
    string(APPEND HEED_GIT_COMMIT "+dirty")
  endif()
endif()
file(CONFIGURE OUTPUT ${OUTPUT} CONTENT "#define HEED_GIT_COMMIT \"${HEED_GIT_COMMIT}\"\n")
