// A test hook for crash tests of real training runs (docs/reliability.md, promise 3).
//
// HEED_TEST_KILL_AT=POINT:N makes the process SIGKILL itself the N-th time (1-based) it reaches
// the named point, so a test can stop `heed train` at an exact place of its write protocol or
// loop and check what a crash there leaves behind. HEED_TEST_KILL_AT=POINT:N:INT (or :TERM) sends
// that signal instead, as Ctrl-C or a scheduler would at exactly that moment. The points: the
// file-write protocol's
// ("after_temp_write", "before_rename", "before_dir_fsync"), the checkpoint swap's
// ("checkpoint_before_swap", "checkpoint_between_renames", "checkpoint_after_swap"; see
// framework/io/atomic_file.h) and the training loop's ("after_step": an optimizer step and its
// logging, evaluation and checkpoint are done; "evaluation_batch": an evaluation batch scored;
// "report": the report's curves are drawn, its attention pictures are next).
#pragma once

namespace heed {

inline constexpr const char* kKillAtVariable = "HEED_TEST_KILL_AT";

// Reads HEED_TEST_KILL_AT and installs the fault hook; does nothing when it is unset. A value
// that is not POINT:N with a known point and N >= 1 throws heed::Error naming the variable.
void install_kill_point_from_env();

}  // namespace heed
