// alibi: Attention with Linear Biases (Press et al. 2022). No position embeddings: each head
// subtracts slope_h · distance from its scores, with fixed geometric slopes, so nearby keys win
// and the penalty extends to any length (the paper's length-extrapolation argument). The bias is
// symmetric, −slope·|i − j|, which under a causal mask is the paper's −slope·(i − j) for j ≤ i.
// Projections are mha's.
#include <cmath>

#include "models/attention/positions.h"
#include "models/attention/skeleton.h"

namespace heed {

std::vector<float> alibi_slopes(int64_t heads) {
  if (heads <= 0) throw Error("alibi: heads must be positive, got " + std::to_string(heads));
  auto power_of_two = [](int64_t n) {  // start = 2^(−8/n), slope_h = start^(h+1)
    std::vector<float> s;
    const double start = std::pow(2.0, -8.0 / static_cast<double>(n));
    for (int64_t h = 0; h < n; ++h)
      s.push_back(static_cast<float>(std::pow(start, static_cast<double>(h + 1))));
    return s;
  };
  int64_t closest = 1;
  while (closest * 2 <= heads) closest *= 2;
  std::vector<float> s = power_of_two(closest);
  if (closest == heads) return s;
  std::vector<float> more = alibi_slopes(2 * closest);
  for (int64_t i = 0; static_cast<int64_t>(s.size()) < heads; i += 2) s.push_back(more[i]);
  return s;
}

Tensor alibi_bias(const std::vector<float>& slopes, int64_t tq, int64_t tk, int64_t query_offset) {
  const int64_t H = static_cast<int64_t>(slopes.size());
  Tensor bias = Tensor::empty({H, tq, tk});
  float* p = bias.data<float>();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < tq; ++i)
      for (int64_t j = 0; j < tk; ++j)
        p[(h * tq + i) * tk + j] = -slopes[h] * static_cast<float>(std::abs(query_offset + i - j));
  return bias;
}

namespace {

class AlibiAttention final : public PackedAttention {
 public:
  explicit AlibiAttention(const AttentionConfig& c)
      : PackedAttention(c, "alibi"), slopes_(alibi_slopes(c.heads)) {}

 private:
  // (H, Tq, Tk), constant.
  Tensor score_bias(const Tensor& qh, const Tensor& kh,
                    const AttentionContext& ctx) const override {
    return alibi_bias(slopes_, qh.size(2), kh.size(2), ctx.query_offset);
  }

  std::vector<float> slopes_;  // (H,)
};

}  // namespace

HEED_REGISTER_ATTENTION(alibi,
                        "ALiBi: a fixed per-head linear distance penalty, no position embeddings",
                        AlibiAttention);

}  // namespace heed
