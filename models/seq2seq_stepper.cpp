#include "models/seq2seq_stepper.h"

#include <string>
#include <tuple>

#include "framework/ops.h"

namespace heed {

Seq2SeqStepper::Seq2SeqStepper(EncoderDecoder& model, Encode encode, int64_t rows, bool incremental)
    : Stepper(model, incremental, "Seq2SeqStepper"),
      model_(model),
      encode_(std::move(encode)),
      rows_(rows) {}

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
  restart();
}

Tensor Seq2SeqStepper::next_logits(const Tensor& tokens, int64_t offset) {
  const Tensor& fed = feed(tokens, memory_.defined() ? memory_.size(0) : -1, offset);
  NoGradGuard no_grad;
  if (incremental()) return last_position(model_.decode(fed, memory_, padding_, &caches_, offset));
  return last_position(model_.decode(fed, memory_, padding_));
}

void Seq2SeqStepper::reorder(const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  Tensor index = reorder_index(rows, memory_.size(0));
  memory_ = index_select(memory_, 0, index);
  if (padding_.defined()) padding_ = index_select(padding_, 0, index);
  reorder_caches(caches_, index);
}

DecoderLMStepper::DecoderLMStepper(DecoderLM& model, bool incremental)
    : Stepper(model, incremental, "DecoderLMStepper"), model_(model) {}

void DecoderLMStepper::start(int64_t batch) {
  rows_ = batch;
  caches_.clear();
  restart();
}

Tensor DecoderLMStepper::next_logits(const Tensor& tokens, int64_t offset) {
  const Tensor& fed = feed(tokens, rows_, offset);
  NoGradGuard no_grad;
  if (incremental()) return last_position(model_.forward(fed, &caches_, offset));
  return last_position(model_.forward(fed));
}

void DecoderLMStepper::reorder(const std::vector<int64_t>& rows) {
  NoGradGuard no_grad;
  reorder_caches(caches_, reorder_index(rows, rows_));
  rows_ = static_cast<int64_t>(rows.size());
}

}  // namespace heed
