#include "framework/dist.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#ifdef HEED_HAVE_MPI
#include <mpi.h>
#endif

namespace heed::dist {
namespace {

double g_timeout_s = 60;
std::string g_activity = "starting";

}  // namespace

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

void set_timeout(double seconds) {
  g_timeout_s = seconds;
}

void set_activity(const std::string& what) {
  g_activity = what;
}

#ifdef HEED_HAVE_MPI

namespace {

bool g_joined = false;
int g_rank = 0, g_size = 1;

bool g_abandoned = false;  // a collective was left unfinished: MPI_Finalize would wait for it

// Completes `request`, testing it often enough to drive the transfer (MPI progresses nonblocking
// collectives inside its calls); past the timeout the job ends. Returns false when `give_up`
// said to stop waiting.
bool wait_for(MPI_Request& request, bool timeout, const std::function<bool()>& give_up = {}) {
  const auto start = std::chrono::steady_clock::now();
  for (int polls = 0;; ++polls) {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return true;
    if (give_up && give_up()) {
      g_abandoned = true;
      return false;
    }
    if (polls < 10000) {
      std::this_thread::yield();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (timeout && g_timeout_s > 0 && waited > g_timeout_s) {
      char line[256];
      std::snprintf(line, sizeof line,
                    "no answer from the other ranks for %.0f s during %s (dist.timeout_s): a "
                    "rank died or hangs; ending the job (the last checkpoint is kept)",
                    waited, g_activity.c_str());
      abort_job(line, 1);
    }
  }
}

void allreduce(void* data, int64_t n, MPI_Datatype type, MPI_Op op) {
  if (g_size == 1 || n == 0) return;
  MPI_Request request;
  MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(n), type, op, MPI_COMM_WORLD, &request);
  wait_for(request, true);
}

}  // namespace

int init(int* argc, char*** argv) {
  if (g_joined || !launched_by_mpi()) return g_size;
  int provided = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_joined = true;
  return g_size;
}

void finalize() {
  if (!g_joined || g_abandoned) return;
  MPI_Finalize();
  g_joined = false;
}

int rank() {
  return g_rank;
}
int size() {
  return g_size;
}

void allreduce_sum(float* data, int64_t n) {
  allreduce(data, n, MPI_FLOAT, MPI_SUM);
}
void allreduce_sum(double* data, int64_t n) {
  allreduce(data, n, MPI_DOUBLE, MPI_SUM);
}
void allreduce_max(double* data, int64_t n) {
  allreduce(data, n, MPI_DOUBLE, MPI_MAX);
}

bool same_everywhere(uint64_t value) {
  uint64_t range[2] = {value, ~value};  // max of both: the largest value and the smallest
  allreduce(range, 2, MPI_UINT64_T, MPI_MAX);
  return range[0] == value && ~range[1] == value;
}

bool barrier(bool timeout, const std::function<bool()>& give_up) {
  if (g_size == 1) return true;
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  return wait_for(request, timeout, give_up);
}

void abort_job(const std::string& line, int code) {
  std::fprintf(stderr, "heed: rank %d: %s\n", g_rank, line.c_str());
  std::fflush(stderr);
  if (g_joined) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

#else  // a build without MPI: one process is the whole job

int init(int*, char***) {
  const char* n = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (!n) n = std::getenv("PMI_SIZE");
  if (n && std::atoi(n) > 1) {
    std::fprintf(stderr,
                 "heed: started as one of %s processes, but this heed was built without MPI "
                 "(configure with -DHEED_MPI=ON, libopenmpi-dev installed)\n",
                 n);
    std::exit(2);
  }
  return 1;
}
void finalize() {}
int rank() {
  return 0;
}
int size() {
  return 1;
}
void allreduce_sum(float*, int64_t) {}
void allreduce_sum(double*, int64_t) {}
void allreduce_max(double*, int64_t) {}
bool same_everywhere(uint64_t) {
  return true;
}
bool barrier(bool, const std::function<bool()>&) {
  return true;
}
void abort_job(const std::string& line, int code) {
  std::fprintf(stderr, "heed: %s\n", line.c_str());
  std::_Exit(code);
}

#endif

}  // namespace heed::dist
