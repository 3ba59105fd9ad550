# Run at every build (the heed_git_commit target in train/CMakeLists.txt) and once at configure
# time: writes OUTPUT with HEED_GIT_COMMIT, the source tree's commit as `git rev-parse
# --short=12`, "+dirty" when tracked files differ from it, or "unknown" when SOURCE_DIR is not
# the top of a git checkout (a tarball unpacked inside another repository must not take that
# repository's commit). configure_file-style writing: OUTPUT changes only when its text does, so
# an unchanged commit recompiles nothing; a new commit, or a flip between clean and dirty,
# recompiles build_info.cpp and relinks the programs.
# Inputs: SOURCE_DIR, OUTPUT, GIT_EXECUTABLE (may be empty: no git).
set(commit unknown)
if(GIT_EXECUTABLE)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --show-toplevel
    OUTPUT_VARIABLE top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SOURCE_DIR}" source)
  endif()
  if(rc EQUAL 0 AND top STREQUAL source)
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse --short=12 HEAD
      OUTPUT_VARIABLE head OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
    if(rc EQUAL 0 AND head)
      set(commit ${head})
      # --no-optional-locks: a status taken during a build must not hold the index lock that
      # the user's own `git commit` may be waiting for.
      execute_process(COMMAND ${GIT_EXECUTABLE} --no-optional-locks -C ${SOURCE_DIR} status
        --porcelain --untracked-files=no
        OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(changes)
        string(APPEND commit "+dirty")
      endif()
    endif()
  endif()
endif()
file(CONFIGURE OUTPUT ${OUTPUT} CONTENT "#define HEED_GIT_COMMIT \"${commit}\"\n")
