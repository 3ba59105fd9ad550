// Process-wide settings: the thread count used by OpenMP loops and oneDNN (one setting).
#pragma once

#include <string>

namespace heed {

// Sets the threads for every kernel. oneDNN reads the count when a primitive is created, so
// this also clears the primitive cache. n <= 0 means "all cores".
void set_num_threads(int n);
int num_threads();
// oneDNN's version and the CPU instruction set it dispatches to, e.g. "2.6.3 (avx512_core)".
const char* onednn_info();

// Called first thing in main: unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set, sets
// GOMP_SPINCOUNT=1000 and re-executes the program with the same arguments. An OpenMP worker
// then spins about a thousand times between parallel regions before it sleeps, not libgomp's
// 300,000, so it stops burning a core another process needs. Measured on this 2-core machine
// with copy-tiny at 2 threads beside a busy loop: 4,439 target tok/s with libgomp's spins, 7,556
// with 1000 (1 thread: 8,244); idle it costs 3-18% on copy-tiny (noisy), none on sort-small and
// long-lm (docs/performance.md). Set GOMP_SPINCOUNT=300000 to get libgomp's default back.
inline constexpr const char* kSpinCount = "1000";
void prefer_short_spins(char** argv);
// How OpenMP workers wait in this process, for `heed info`.
std::string openmp_waits();

}  // namespace heed
