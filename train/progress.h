// Training progress: a one-line bar redrawn in place on a terminal, plain lines otherwise.
#pragma once

#include <cstdint>
#include <string>

namespace heed {

class Progress {
 public:
  Progress(int64_t total_steps, bool terminal);
  // Called every step; draws at most ~10 times a second on a terminal, or every `log_every`
  // steps as a plain line when not a terminal.
  void update(int64_t step, double loss, double tokens_per_s, double elapsed_s, int64_t log_every);
  void set_eval(const std::string& summary) { eval_ = summary; }
  // Prints a line of its own (e.g. an evaluation), keeping the bar intact.
  void message(const std::string& line);
  void finish();

 private:
  int64_t total_;
  bool terminal_;
  std::string eval_;
  double last_draw_ = -1;
  bool drawn_ = false;
};

bool stderr_is_terminal();

}  // namespace heed
