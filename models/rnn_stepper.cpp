#include "models/rnn_stepper.h"

#include <string>

#include "framework/ops.h"

namespace heed {

using stepping::check_feed;
using stepping::row_index;

RnnAttentionStepper::RnnAttentionStepper(RnnAttention& model, Tensor src, Tensor src_padding,
                                         bool incremental)
    : model_(model),
      eval_(model),
      src_(std::move(src)),
      src_padding_(std::move(src_padding)),
      incremental_(incremental) {}

void RnnAttentionStepper::start(int64_t batch) {
  if (batch != src_.size(0))
    throw Error("RnnAttentionStepper: start(" + std::to_string(batch) + ") for a source of " +
                std::to_string(src_.size(0)) + " rows");
  NoGradGuard no_grad;
  memory_ = model_.encode(src_, src_padding_);
  state_ = memory_.initial;
  history_.clear();
  fed_ = 0;
}

Tensor RnnAttentionStepper::next_logits(const Tensor& tokens, int64_t offset) {
  check_feed(tokens, state_.defined() ? state_.size(0) : -1, offset, fed_, "RnnAttentionStepper");
  NoGradGuard no_grad;
  fed_ += tokens.size(1);
  // Recomputation replays the decoder from s_0 over every token so far.
  const Tensor& feed = incremental_ ? tokens : history_.append(tokens);
  Tensor state = incremental_ ? state_ : memory_.initial;
  const int64_t first = incremental_ ? offset : 0;  // the position of feed's first token
  Tensor logits;
  for (int64_t t = 0; t < feed.size(1); ++t) {
    RnnStepOutput o = model_.step(select(feed, 1, t), state, memory_, first + t);
    state = o.state;
    logits = o.logits;
  }
  state_ = state;
  return logits;
}

void RnnAttentionStepper::reorder(const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  Tensor index = row_index(rows, state_.size(0));
  for (Tensor* t : {&memory_.annotations, &memory_.padding, &memory_.initial, &state_})
    if (t->defined()) *t = index_select(*t, 0, index);
  history_.reorder(index);
}

}  // namespace heed
