// Ctrl-C (SIGINT) and SIGTERM while training. The handler only records the signal; the training
// loop polls it between steps, and the long pieces of work between steps (evaluation, the report)
// poll it too, so a signal stops a run within about a second wherever it arrives. A checkpoint
// being written when it arrives is finished first (checkpoints are atomic either way).
#pragma once

namespace heed {

// Thrown by throw_if_stopping(): unwinds an evaluation or a report that a signal made pointless.
// Deliberately not a std::exception, so that code which turns failures into messages (the
// report's "not updated" note) lets it through to the training loop.
struct Interrupted {};

// Installs the handlers for its lifetime and restores the previous ones after; clears any stop
// recorded before.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  void (*previous_int_)(int);
  void (*previous_term_)(int);
};

// The signal that asked to stop (SIGINT or SIGTERM), or 0.
int stop_signal();
inline bool stop_requested() {
  return stop_signal() != 0;
}
// Records a stop as if `signal` had arrived (tests, and the handler itself).
void request_stop(int signal);
// Throws Interrupted when a stop was requested, unless stops are deferred.
void throw_if_stopping();
// From now on (until the next StopSignals) throw_if_stopping() does not throw: the caller polls
// stop_requested() itself at the points where it may stop (data-parallel training, whose ranks
// must stop together).
void defer_stops();
// The conventional exit code of a process ended by the stop's signal: 128 + the signal number
// (130 for SIGINT, 143 for SIGTERM).
int stop_exit_code();

}  // namespace heed
