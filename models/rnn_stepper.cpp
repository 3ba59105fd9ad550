#include "models/rnn_stepper.h"

#include <string>

#include "framework/ops.h"

namespace heed {

RnnAttentionStepper::RnnAttentionStepper(RnnAttention& model, Tensor src, Tensor src_padding,
                                         bool incremental)
    : Stepper(model, incremental, "RnnAttentionStepper"),
      model_(model),
      src_(std::move(src)),
      src_padding_(std::move(src_padding)) {}

void RnnAttentionStepper::start(int64_t batch) {
  if (batch != src_.size(0))
    throw Error("RnnAttentionStepper: start(" + std::to_string(batch) + ") for a source of " +
                std::to_string(src_.size(0)) + " rows");
  NoGradGuard no_grad;
  memory_ = model_.encode(src_, src_padding_);
  state_ = memory_.initial;
  restart();
}

Tensor RnnAttentionStepper::next_logits(const Tensor& tokens, int64_t offset) {
  // Recomputation replays the decoder from s_0 over every token so far.
  const Tensor& fed = feed(tokens, state_.defined() ? state_.size(0) : -1, offset);
  NoGradGuard no_grad;
  Tensor state = incremental() ? state_ : memory_.initial;
  const int64_t first = incremental() ? offset : 0;  // the position of fed's first token
  Tensor logits;
  for (int64_t t = 0; t < fed.size(1); ++t) {
    RnnStepOutput o = model_.step(select(fed, 1, t), state, memory_, first + t);
    state = o.state;
    logits = o.logits;
  }
  state_ = state;
  return logits;
}

void RnnAttentionStepper::reorder(const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  Tensor index = reorder_index(rows, state_.size(0));
  for (Tensor* t : {&memory_.annotations, &memory_.padding, &memory_.initial, &state_})
    if (t->defined()) *t = index_select(*t, 0, index);
}

}  // namespace heed
