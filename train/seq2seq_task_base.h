// The part every encoder-decoder over flat token sequences shares (the transformer Seq2Seq and
// the GRU RnnAttention): teacher-forced loss over make_seq2seq_batch, and decoding with the
// model's stepper. Model: forward(src, dec_in, src_pad) -> (B, T, V) logits; Stepper: built from
// (model, src, src_pad), as models/decoding.h's steppers are.
#pragma once

#include <vector>

#include "datasets/batch.h"
#include "framework/ops.h"
#include "models/decoding.h"
#include "train/task_model.h"

namespace heed {

template <class Model, class Stepper>
class Seq2SeqTaskBase : public TaskModel {
 public:
  template <class ModelConfig>
  explicit Seq2SeqTaskBase(const ModelConfig& config) : model_(config) {}
  Module& module() override { return model_; }

  Tensor loss(const std::vector<Example>& examples, float smoothing, int64_t* tokens) override {
    Seq2SeqBatch b = make_seq2seq_batch(examples);
    if (tokens) *tokens = b.target_tokens;
    Tensor logits = model_.forward(b.src, b.dec_in, b.src_pad);
    return cross_entropy(logits, b.labels, {.ignore_index = kPad, .label_smoothing = smoothing});
  }

  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions& opts) override {
    Seq2SeqBatch b = make_seq2seq_batch(examples);
    Stepper stepper(model_, b.src, b.src_pad);
    return decode(stepper, bos_prefix(b.src.size(0)), opts);
  }

 protected:
  Model model_;
};

}  // namespace heed
