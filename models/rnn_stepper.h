// The stepper of the GRU encoder–decoder with additive attention, for decoding.h.
#pragma once

#include "models/rnn_attention.h"
#include "models/step_model.h"

namespace heed {

// RnnAttention: the GRU state is the cache; recomputation replays the decoder from s_0.
class RnnAttentionStepper final : public Stepper {
 public:
  RnnAttentionStepper(RnnAttention& model, Tensor src, Tensor src_padding = Tensor(),
                      bool incremental = true);
  void start(int64_t batch) override;
  Tensor next_logits(const Tensor& tokens, int64_t offset) override;
  void reorder(const std::vector<int64_t>& rows) override;

 private:
  RnnAttention& model_;
  Tensor src_, src_padding_;
  RnnMemory memory_;
  Tensor state_;  // (R, L, H)
};

}  // namespace heed
