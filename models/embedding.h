// Token embedding scaled by √d_model plus positions, then dropout — the reference's
// TokenAndPosition. Positions: "sinusoidal" (fixed, any length), "learned" (a (max_len, d)
// table named pos.weight) or "none" (for variants that encode position themselves).
#pragma once

#include "framework/nn/layers.h"
#include "framework/nn/module.h"

namespace heed {

// (T, d) fixed sinusoidal encoding of positions offset..offset+T-1, as the reference:
// pe[p, 2i] = sin(p·ω_i), pe[p, 2i+1] = cos(p·ω_i), ω_i = 10000^(−2i/d).
Tensor sinusoidal_positions(int64_t offset, int64_t length, int64_t d_model);

class TokenAndPosition : public Module {
 public:
  TokenAndPosition(int64_t vocab, int64_t d_model, const std::string& position, int64_t max_len,
                   float dropout);
  // ids: (B, T) -> (B, T, d); `offset` is the position of the first token (incremental decoding).
  Tensor forward(const Tensor& ids, int64_t offset = 0) const;
  const Embedding& embed() const { return *embed_; }

 private:
  std::shared_ptr<Embedding> embed_;
  std::shared_ptr<Embedding> pos_;  // learned positions only
  std::string position_;
  int64_t d_model_, max_len_;
  std::shared_ptr<Dropout> dropout_;
};

}  // namespace heed
