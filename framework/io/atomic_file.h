// Whole-file reads and crash-safe whole-file writes.
//
// write_file_atomically() never leaves a half-written `path`: readers (and a process restarted
// after a crash or power loss) see either the old file or the new one. It writes a temporary file
// in the same directory (rename is only atomic within one filesystem), fsyncs it, renames it over
// `path`, then fsyncs the directory so the rename itself is durable.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace heed {

// Throws heed::Error "<path>: <what failed>: <strerror>" on failure, after removing the temporary
// file. Refuses to replace anything but a regular file: renaming over /dev/null or a directory
// would replace the device node or fail half-way.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The whole file (or pipe). Throws heed::Error "<path>: ..." when it is missing, a directory, a
// device or unreadable.
std::string read_file(const std::string& path);

// Fault injection for crash tests: the hook runs at named points of the write protocol, where a
// test may throw (an I/O failure) or _exit() in a forked child (a crash). Points:
//   write_file_atomically: "after_temp_write", "before_rename", "before_dir_fsync"
//   save_checkpoint:       "checkpoint_before_swap", "checkpoint_between_renames",
//                          "checkpoint_after_swap"
// Not thread-safe; pass nullptr to restore the default no-op.
void set_fault_hook(std::function<void(const char* point)> hook);
// Runs the hook at `point` (used by the io/ sources).
void fault_point(const char* point);

// fsync of a directory makes the creations and renames inside it durable. Throws heed::Error.
void fsync_directory(const std::string& dir);

}  // namespace heed
