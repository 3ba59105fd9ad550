// The steppers of the transformer encoder–decoder (any EncoderDecoder, Seq2Seq among them) and of
// the decoder-only DecoderLM, for the decoding algorithms of decoding.h.
#pragma once

#include <functional>
#include <utility>

#include "models/seq2seq.h"
#include "models/step_model.h"

namespace heed {

// Seq2Seq: encodes src once per start(); the decoder runs incrementally over per-layer KV caches,
// or over the whole history at every step.
class Seq2SeqStepper final : public Stepper {
 public:
  // The memory (R, S, C) and its padding (R, S) (undefined: none) of R source rows.
  using Encode = std::function<std::pair<Tensor, Tensor>()>;
  // Any encoder–decoder: start() runs `encode` (in eval mode, without gradients) for its rows.
  Seq2SeqStepper(EncoderDecoder& model, Encode encode, int64_t rows, bool incremental = true);
  // A Seq2Seq over token sources src (R, S) with optional src_padding (R, S).
  Seq2SeqStepper(Seq2Seq& model, Tensor src, Tensor src_padding = Tensor(),
                 bool incremental = true);
  void start(int64_t batch) override;
  Tensor next_logits(const Tensor& tokens, int64_t offset) override;
  void reorder(const std::vector<int64_t>& rows) override;

 private:
  EncoderDecoder& model_;
  Encode encode_;
  int64_t rows_;
  Tensor memory_, padding_;  // (R, S, C), (R, S): the source of each current row
  std::vector<KVCache> caches_;
};

class DecoderLMStepper final : public Stepper {
 public:
  explicit DecoderLMStepper(DecoderLM& model, bool incremental = true);
  void start(int64_t batch) override;
  Tensor next_logits(const Tensor& tokens, int64_t offset) override;
  void reorder(const std::vector<int64_t>& rows) override;

 private:
  DecoderLM& model_;
  int64_t rows_ = 0;  // current rows
  std::vector<KVCache> caches_;
};

}  // namespace heed
