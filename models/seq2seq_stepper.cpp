#include "models/seq2seq_stepper.h"

#include <string>
#include <tuple>

#include "framework/ops.h"

namespace heed {

using stepping::check_feed;
using stepping::last_position;
using stepping::reorder_caches;
using stepping::row_index;

Seq2SeqStepper::Seq2SeqStepper(EncoderDecoder& model, Encode encode, int64_t rows, bool incremental)
    : model_(model),
      eval_(model),
      encode_(std::move(encode)),
      rows_(rows),
      incremental_(incremental) {}

Seq2SeqStepper::Seq2SeqStepper(Seq2Seq& model, Tensor src, Tensor src_padding, bool incremental)
    : Seq2SeqStepper(
          model,
          [&model, src, src_padding] {
            return std::pair{model.encode(src, src_padding), src_padding};
          },
          src.size(0), incremental) {}

void Seq2SeqStepper::start(int64_t batch) {
  if (batch != rows_)
    throw Error("Seq2SeqStepper: start(" + std::to_string(batch) + ") for a source of " +
                std::to_string(rows_) + " rows");
  NoGradGuard no_grad;
  std::tie(memory_, padding_) = encode_();
  caches_.clear();
  history_.clear();
  fed_ = 0;
}

Tensor Seq2SeqStepper::next_logits(const Tensor& tokens, int64_t offset) {
  check_feed(tokens, memory_.defined() ? memory_.size(0) : -1, offset, fed_, "Seq2SeqStepper");
  NoGradGuard no_grad;
  fed_ += tokens.size(1);
  if (incremental_)
    return last_position(model_.decode(tokens, memory_, padding_, &caches_, offset));
  return last_position(model_.decode(history_.append(tokens), memory_, padding_));
}

void Seq2SeqStepper::reorder(const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  Tensor index = row_index(rows, memory_.size(0));
  memory_ = index_select(memory_, 0, index);
  if (padding_.defined()) padding_ = index_select(padding_, 0, index);
  reorder_caches(caches_, index);
  history_.reorder(index);
}

DecoderLMStepper::DecoderLMStepper(DecoderLM& model, bool incremental)
    : model_(model), eval_(model), incremental_(incremental) {}

void DecoderLMStepper::start(int64_t batch) {
  rows_ = batch;
  caches_.clear();
  history_.clear();
  fed_ = 0;
}

Tensor DecoderLMStepper::next_logits(const Tensor& tokens, int64_t offset) {
  check_feed(tokens, rows_, offset, fed_, "DecoderLMStepper");
  NoGradGuard no_grad;
  fed_ += tokens.size(1);
  if (incremental_) return last_position(model_.forward(tokens, &caches_, offset));
  return last_position(model_.forward(history_.append(tokens)));
}

void DecoderLMStepper::reorder(const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  Tensor index = row_index(rows, rows_);
  reorder_caches(caches_, index);
  history_.reorder(index);
  rows_ = static_cast<int64_t>(rows.size());
}

}  // namespace heed
