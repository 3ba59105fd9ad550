// The gradient allreduce of data-parallel training, timed alone (docs/distributed.md): for each
// parameter count, the median of 30 in-place sums of that many floats over the job's ranks,
// after 5 untimed ones. Run under MPI:
//   mpirun -np 2 build/bin/bench_allreduce [PARAMETERS ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "framework/dist.h"

int main(int argc, char** argv) {
  using namespace heed;
  dist::init(&argc, &argv);
  std::vector<long> counts;
  for (int i = 1; i < argc; ++i) counts.push_back(std::atol(argv[i]));
  if (counts.empty()) counts = {140000, 930320, 10000000};
  if (dist::is_root())
    std::printf(
        "| parameters | MiB | ranks | median ms | GB/s per rank (2(N-1)/N x bytes) |\n"
        "|---|---|---|---|---|\n");
  for (long n : counts) {
    std::vector<float> data(static_cast<std::size_t>(n), 1.0f);
    std::vector<double> ms;
    for (int rep = 0; rep < 35; ++rep) {
      dist::barrier();
      const auto t0 = std::chrono::steady_clock::now();
      dist::allreduce_sum(data.data(), n);
      const auto t1 = std::chrono::steady_clock::now();
      if (rep >= 5) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
    const double med = ms[ms.size() / 2], N = dist::size();
    const double bytes = 4.0 * n * 2 * (N - 1) / N;
    if (dist::is_root())
      std::printf("| %ld | %.1f | %d | %.3f | %.2f |\n", n, 4.0 * n / (1 << 20), dist::size(), med,
                  med > 0 ? bytes / (med * 1e6) : 0.0);
  }
  dist::finalize();
  return 0;
}
