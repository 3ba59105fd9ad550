#include "train/stop_signal.h"

#include <atomic>
#include <csignal>

namespace heed {
namespace {

std::atomic<int> g_signal{0};
bool g_deferred = false;
static_assert(std::atomic<int>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

extern "C" void on_stop_signal(int signal) {
  g_signal.store(signal);
}

}  // namespace

StopSignals::StopSignals() {
  g_signal.store(0);
  g_deferred = false;
  previous_int_ = std::signal(SIGINT, on_stop_signal);
  previous_term_ = std::signal(SIGTERM, on_stop_signal);
}

StopSignals::~StopSignals() {
  std::signal(SIGINT, previous_int_);
  std::signal(SIGTERM, previous_term_);
}

int stop_signal() {
  return g_signal.load();
}

void request_stop(int signal) {
  g_signal.store(signal);
}

void throw_if_stopping() {
  if (stop_requested() && !g_deferred) throw Interrupted{};
}

void defer_stops() {
  g_deferred = true;
}

int stop_exit_code() {
  return 128 + (stop_signal() ? stop_signal() : SIGINT);
}

}  // namespace heed
