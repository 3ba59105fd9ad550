#include "train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace heed {

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

Progress::Progress(int64_t total_steps, bool terminal) : total_(total_steps), terminal_(terminal) {}

void Progress::update(int64_t step, double loss, double tokens_per_s, double elapsed_s,
                      int64_t log_every) {
  const double frac = total_ ? static_cast<double>(step) / total_ : 1.0;
  const double eta = step ? elapsed_s / step * (total_ - step) : 0.0;
  if (terminal_) {
    if (elapsed_s - last_draw_ < 0.1 && step != total_) return;
    last_draw_ = elapsed_s;
    constexpr int kWidth = 24;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r[%s] %lld/%lld loss %.4f %.0f tok/s%s ETA %.0fs\033[K", bar.c_str(),
                 static_cast<long long>(step), static_cast<long long>(total_), loss, tokens_per_s,
                 eval_.empty() ? "" : (" | " + eval_).c_str(), eta);
    std::fflush(stderr);
    drawn_ = true;
  } else if (step % log_every == 0 || step == total_) {
    std::fprintf(stderr, "step %lld/%lld loss %.4f %.0f tok/s elapsed %.1fs ETA %.0fs\n",
                 static_cast<long long>(step), static_cast<long long>(total_), loss, tokens_per_s,
                 elapsed_s, eta);
  }
}

void Progress::message(const std::string& line) {
  if (terminal_ && drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", line.c_str());
  drawn_ = false;
}

void Progress::finish() {
  if (terminal_ && drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace heed
