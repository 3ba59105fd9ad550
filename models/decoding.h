// Decoding: greedy, sampling and beam search over any model that scores the next token.
//
// The algorithms see a model only through StepModel (step_model.h). Each model's stepper lives
// beside it (seq2seq_stepper.h for Seq2Seq and DecoderLM, rnn_stepper.h for RnnAttention) and
// runs either incrementally (feeding only the new token, with cached state) or by full
// recomputation over the whole prefix at every step; the two give the same tokens and logits,
// which the tests check. Decoding runs under NoGradGuard, with the model in eval mode for the
// stepper's lifetime.
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
#include "models/step_model.h"

namespace heed {

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

}  // namespace heed
