// rotary: rotary position embedding (RoPE, Su et al. 2021) on q and k of every head, in the
// rotate-half convention of GPT-NeoX and HF transformers: dims m and m + D/2 form a pair rotated
// by position · base^(−2m/D). A rotation by p·θ of q and by p'·θ of k leaves q·k depending on
// p − p' only, so scores see relative positions while q, k keep absolute ones. Keys are rotated
// before they enter the cache, so cached keys keep their positions. Then mha's core.
#include <cmath>

#include "models/attention/positions.h"
#include "models/attention/skeleton.h"

namespace heed {

Tensor apply_rotary(const Tensor& x, int64_t offset, double base) {
  const int64_t T = x.size(-2), D = x.size(-1), half = D / 2;
  if (D % 2 != 0) throw Error("rotary: head dimension must be even, got " + std::to_string(D));
  std::vector<float> c(T * D), s(T * D);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t m = 0; m < half; ++m) {
      // Angles in double: position · frequency loses digits in float32 at long positions.
      const double angle = static_cast<double>(offset + t) *
                           std::pow(base, -2.0 * static_cast<double>(m) / static_cast<double>(D));
      c[t * D + m] = c[t * D + m + half] = static_cast<float>(std::cos(angle));
      s[t * D + m] = s[t * D + m + half] = static_cast<float>(std::sin(angle));
    }
  Tensor cos = Tensor::from_vector(c, {T, D}), sin = Tensor::from_vector(s, {T, D});
  const int64_t last = x.dim() - 1;
  // rotate_half(x) = (−x₂, x₁)
  Tensor rotated = concat({neg(x.slice(last, half, D)), x.slice(last, 0, half)}, last);
  return add(mul(x, cos), mul(rotated, sin));
}

namespace {

class RotaryAttention final : public PackedAttention {
 public:
  explicit RotaryAttention(const AttentionConfig& c)
      : PackedAttention(c, "rotary"), base_(c.extra.get_float("base", 10000.0, 1.0)) {
    const int64_t D = c.d_model / c.heads;
    if (D % 2 != 0)
      throw Error("rotary: head dimension d_model / heads = " + std::to_string(c.d_model) + " / " +
                  std::to_string(c.heads) + " = " + std::to_string(D) + " must be even");
  }

 private:
  // mha's heads, rotated; keys before they enter the cache, so cached keys keep their positions.
  std::array<Tensor, 3> project(const Tensor& query, const Tensor& key, const Tensor& value,
                                const AttentionContext& ctx) override {
    auto [qh, kh, vh] = PackedAttention::project(query, key, value, ctx);  // (B, H, T, D)
    // Self-attention keys sit where the queries do; other keys start after what is cached.
    const int64_t key_offset =
        query.same(key) ? ctx.query_offset : (ctx.cache ? ctx.cache->length() : 0);
    return {apply_rotary(qh, ctx.query_offset, base_), apply_rotary(kh, key_offset, base_), vh};
  }

  double base_;
};

}  // namespace

HEED_REGISTER_ATTENTION(rotary, "RoPE: q and k rotated by position (rotate-half, as GPT-NeoX/HF)",
                        RotaryAttention);

}  // namespace heed
