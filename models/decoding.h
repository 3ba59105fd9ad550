// Decoding: greedy, sampling and beam search over any model that scores the next token.
//
// The algorithms see a model only through StepModel, which keeps whatever state the model needs
// (per-layer KV caches, a GRU state, or the tokens so far) one row per hypothesis. The steppers
// below adapt Seq2Seq, DecoderLM and RnnAttention, each either incrementally (feeding only the
// new token, with cached state) or by full recomputation over the whole prefix at every step;
// the two give the same tokens and logits, which the tests check. Decoding runs under
// NoGradGuard, with the model in eval mode for the stepper's lifetime.
//
// Token layout: 0 = pad, 1 = bos, 2 = eos, data from 3. A prefix (B, P) starts every row: [bos]
// for the encoder–decoders, the prompt for a decoder-only model (all rows the same length; batch
// prompts by length, since DecoderLM has no key padding). The generated tokens exclude the
// prefix and stop before EOS.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "datasets/batch.h"  // the token layout (kPad, kBos, kEos), shared with the tasks
#include "models/rnn_attention.h"
#include "models/seq2seq.h"

namespace heed {

class StepModel {
 public:
  virtual ~StepModel() = default;
  // Begins decoding `batch` rows, dropping any earlier state.
  virtual void start(int64_t batch) = 0;
  // tokens: (R, n) ids at positions offset..offset+n−1 of each of the R current rows, right
  // after the ones fed before -> logits (R, V) for the token that follows them.
  virtual Tensor next_logits(const Tensor& tokens, int64_t offset) = 0;
  // Row i of the state becomes old row rows[i]. Rows may repeat (beams sharing a prefix) or be
  // left out (finished sequences).
  virtual void reorder(const std::vector<int64_t>& rows) = 0;
};

struct DecodeOptions {
  std::string strategy = "greedy";  // greedy | sample | beam, for decode()
  int64_t max_len = 64;             // generated tokens per row at most, EOS included
  int64_t eos = kEos;
  bool keep_logits = false;  // return every step's raw logits
  // Sampling: softmax(logits / temperature) over the top_k likeliest tokens (0 = all of them);
  // temperature 0 is argmax. Row b draws from Rng(mix64(seed, b)), so its tokens depend only on
  // (seed, b, model), not on the other rows or on when they finish.
  float temperature = 1.0f;
  int64_t top_k = 0;
  uint64_t seed = 0;
  // Beam search keeps beam_width hypotheses per row and ranks by score = log_prob / length^α,
  // α = length_penalty, length = scored steps (tokens plus the EOS). α = 0 (default) is the plain
  // sum of log-probs, which favours short outputs; α = 1 is the mean log-prob per token.
  int64_t beam_width = 4;
  float length_penalty = 0.0f;
};

struct Hypothesis {
  std::vector<int64_t> tokens;  // generated, without the prefix, stopping before EOS
  // Σ log p(token) under the model itself (temperature 1, whole vocabulary) over the tokens and,
  // when finished, the EOS.
  double log_prob = 0;
  double score = 0;       // what beam search ranks by; log_prob for greedy and sampling
  bool finished = false;  // ended with EOS, rather than reaching max_len
  Tensor logits;          // (steps, V), steps = tokens + finished; with keep_logits only
};

// prefix: (B, P) int ids. One hypothesis per row b.
std::vector<Hypothesis> greedy_decode(StepModel& model, const Tensor& prefix,
                                      const DecodeOptions& opts = {});
std::vector<Hypothesis> sample_decode(StepModel& model, const Tensor& prefix,
                                      const DecodeOptions& opts = {});
// The best hypothesis per row. A row stops as soon as no live beam can outscore its best
// finished one (exact: its score can only fall, and its length is at most max_len). Finished
// hypotheses are kept as they appear; one cut at max_len is returned only when none finished.
std::vector<Hypothesis> beam_search(StepModel& model, const Tensor& prefix,
                                    const DecodeOptions& opts = {});
// One of the three, by opts.strategy.
std::vector<Hypothesis> decode(StepModel& model, const Tensor& prefix, const DecodeOptions& opts);

Tensor bos_prefix(int64_t batch, int64_t bos = kBos);  // (B, 1) of bos

// Keeps a module in eval mode while alive and restores its previous mode after.
class EvalModeScope {
 public:
  explicit EvalModeScope(Module& m) : module_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalModeScope() { module_.train(was_training_); }
  EvalModeScope(const EvalModeScope&) = delete;
  EvalModeScope& operator=(const EvalModeScope&) = delete;

 private:
  Module& module_;
  bool was_training_;
};

// The tokens fed so far, one row per hypothesis: the state of a stepper that recomputes.
class TokenHistory {
 public:
  void clear() { tokens_ = Tensor(); }
  const Tensor& append(const Tensor& tokens);  // (R, n) -> all tokens (R, t + n)
  void reorder(const Tensor& rows);
  int64_t length() const { return tokens_.defined() ? tokens_.size(1) : 0; }

 private:
  Tensor tokens_;
};

// Seq2Seq: encodes src once per start(); the decoder runs incrementally over per-layer KV caches,
// or over the whole history at every step.
class Seq2SeqStepper final : public StepModel {
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
  EvalModeScope eval_;
  Encode encode_;
  int64_t rows_;
  bool incremental_;
  Tensor memory_, padding_;  // (R, S, C), (R, S): the source of each current row
  std::vector<KVCache> caches_;
  TokenHistory history_;
  int64_t fed_ = 0;  // positions fed so far
};

class DecoderLMStepper final : public StepModel {
 public:
  explicit DecoderLMStepper(DecoderLM& model, bool incremental = true);
  void start(int64_t batch) override;
  Tensor next_logits(const Tensor& tokens, int64_t offset) override;
  void reorder(const std::vector<int64_t>& rows) override;

 private:
  DecoderLM& model_;
  EvalModeScope eval_;
  bool incremental_;
  int64_t rows_ = 0;
  std::vector<KVCache> caches_;
  TokenHistory history_;
  int64_t fed_ = 0;
};

// RnnAttention: the GRU state is the cache; recomputation replays the decoder from s_0.
class RnnAttentionStepper final : public StepModel {
 public:
  RnnAttentionStepper(RnnAttention& model, Tensor src, Tensor src_padding = Tensor(),
                      bool incremental = true);
  void start(int64_t batch) override;
  Tensor next_logits(const Tensor& tokens, int64_t offset) override;
  void reorder(const std::vector<int64_t>& rows) override;

 private:
  RnnAttention& model_;
  EvalModeScope eval_;
  Tensor src_, src_padding_;
  bool incremental_;
  RnnMemory memory_;
  Tensor state_;  // (R, L, H)
  TokenHistory history_;
  int64_t fed_ = 0;
};

}  // namespace heed
