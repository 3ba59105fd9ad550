// The processes of one data-parallel job, on MPI (docs/distributed.md). Started by a launcher
// (`mpirun -np N heed train ...`, srun), every process runs the same program and these calls
// connect them; started alone, or in a build without MPI (HEED_MPI=OFF), the process is the
// whole job: rank 0 of 1, and every collective is a no-op.
//
// A collective that gets no answer within the timeout (a rank died or hangs) ends the whole job
// with one line naming this rank and what it was doing, never a silent hang.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace heed::dist {

// Whether this process was started by an MPI launcher (its environment says so).
bool launched_by_mpi();
// Joins the job when launched by MPI in a build with MPI; otherwise nothing. Returns the size.
int init(int* argc, char*** argv);
// Leaves the job (after the last collective); a no-op when init() joined nothing.
void finalize();

int rank();
int size();
inline bool is_root() {
  return rank() == 0;
}

// Seconds a collective may wait for the other ranks before the job is ended (0: forever).
void set_timeout(double seconds);
// What this process is doing, for the timeout's message: "step 120", "the evaluation".
void set_activity(const std::string& what);

// In-place sums over all ranks.
void allreduce_sum(float* data, int64_t n);
void allreduce_sum(double* data, int64_t n);
// In-place maxima over all ranks.
void allreduce_max(double* data, int64_t n);
// Whether `value` is the same on every rank.
bool same_everywhere(uint64_t value);
// Waits for every rank; `timeout` false waits forever (ranks of an experiment run for hours).
// Returns false, leaving the job unsynchronised, when `give_up` (polled while waiting) says so:
// the process is then expected to end (finalize() then skips MPI's own wait for the others).
bool barrier(bool timeout = true, const std::function<bool()>& give_up = {});
// Ends every process of the job with `code` after printing `line` (this rank's); the launcher
// reports the code.
[[noreturn]] void abort_job(const std::string& line, int code);

}  // namespace heed::dist
