// Process-wide settings: the thread count used by OpenMP loops and oneDNN (one setting).
#pragma once

namespace heed {

// Sets the threads for every kernel. oneDNN reads the count when a primitive is created, so
// this also clears the primitive cache. n <= 0 means "all cores".
void set_num_threads(int n);
int num_threads();
// oneDNN's version and the CPU instruction set it dispatches to, e.g. "2.6.3 (avx512_core)".
const char* onednn_info();

}  // namespace heed
