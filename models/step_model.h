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

// What every stepper keeps besides its model's own state: the model held in eval mode, whether it
// runs incrementally, and what was fed so far (the positions; the tokens too when it recomputes).
class Stepper : public StepModel {
 protected:
  Stepper(Module& model, bool incremental, const char* name);
  bool incremental() const { return incremental_; }
  // Forgets what was fed, for start().
  void restart();
  // Checks that tokens is (rows, n ≥ 1) and that offset is the number of positions fed before,
  // then counts them -> what the model reads: the new tokens (R, n) when incremental, every token
  // so far (R, offset + n) when recomputing.
  const Tensor& feed(const Tensor& tokens, int64_t rows, int64_t offset);
  // Checks rows against the `current` rows and moves the history -> rows as an index tensor, for
  // the stepper to move its own state.
  Tensor reorder_index(const std::vector<int64_t>& rows, int64_t current);

 private:
  EvalModeScope eval_;
  bool incremental_;
  const char* name_;  // in error messages
  Tensor history_;    // (R, t) the tokens fed so far, when recomputing
  int64_t fed_ = 0;   // positions fed so far
};

// Each cache's (R, H, T, D) keys and values -> (R', H, T, D) rows `index`.
void reorder_caches(std::vector<KVCache>& caches, const Tensor& index);
Tensor last_position(const Tensor& logits);  // (R, T, V) -> (R, V)

}  // namespace heed
