// What the decoding algorithms (decoding.h) see of a model: a StepModel scores the next token
// of each current row and keeps whatever state the model needs (per-layer KV caches, a GRU state,
// or the tokens so far) one row per hypothesis. Each model's stepper lives beside the model
// (seq2seq_stepper.h, rnn_stepper.h); the helpers below are what they share.
#pragma once

#include <cstdint>
#include <vector>

#include "framework/nn/module.h"
#include "framework/tensor.h"
#include "models/attention/attention.h"  // KVCache

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

// Shared checks and state moves of the steppers.
namespace stepping {
// rows as an index tensor, each checked against the `current` rows.
Tensor row_index(const std::vector<int64_t>& rows, int64_t current);
// Each cache's (R, H, T, D) keys and values -> (R', H, T, D) rows `index`.
void reorder_caches(std::vector<KVCache>& caches, const Tensor& index);
// Throws unless tokens is (rows, n ≥ 1) fed at `offset` == `fed`, the positions fed before.
void check_feed(const Tensor& tokens, int64_t rows, int64_t offset, int64_t fed, const char* who);
Tensor last_position(const Tensor& logits);  // (R, T, V) -> (R, V)
}  // namespace stepping

}  // namespace heed
