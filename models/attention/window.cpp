// window: sliding-window local attention (as Longformer's local part, or Mistral's causal
// window). Query i sees keys j with |i − j| ≤ width, or i − width ≤ j ≤ i when causal.
//
// Blocked, so time and memory grow linearly in T for a fixed width and no T×T matrix is formed:
// the sequence is cut into blocks of L ≥ width positions, and the queries of block n score the
// keys of blocks n − 1, n and n + 1 (n − 1 and n when causal) — every key a query may see lies
// there. That is one batched (L × D)·(D × 3L) product per block on contiguous rows, and keys and
// values are copied 3 times, not once per window slot. Slots outside the window, outside [0, T)
// or on padded keys are masked. Self-attention only (a window is defined by positions in one
// sequence), no KV cache. Weights are returned by scattering the block probabilities into a zero
// (B, H, T, T) tensor, only when asked: the one quadratic allocation, for inspecting small T.
// Projections are mha's.
#include <algorithm>
#include <cmath>

#include "models/attention/skeleton.h"

namespace heed {
namespace {

class WindowAttention final : public PackedAttention {
 public:
  explicit WindowAttention(const AttentionConfig& c)
      : PackedAttention(c, "window"), width_(c.extra.get_int("width", 8, 0, 1 << 20)) {}

  AttentionCapabilities capabilities() const override { return {.cross = false}; }

 private:
  void check_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                    const AttentionContext& ctx) const override {
    PackedAttention::check_inputs(query, key, value, ctx);
    if (!query.same(key) || !key.same(value))
      throw Error("window: self-attention only (query, key and value must be the same tensor)");
    if (ctx.cache) throw Error("window: incremental decoding (a KV cache) is not supported");
  }

  // Blocked in place of the full core: out (B, H, T, D), weights (B, H, T, T) when asked for.
  AttentionCoreOutput attend(const Tensor& qh, const Tensor& kh, const Tensor& vh,
                             const AttentionContext& ctx) override {
    const int64_t B = qh.size(0), H = heads_, T = qh.size(2), D = qh.size(3);
    const Blocks g = blocks(T, ctx.causal);
    // (B, H, T, D) -> (B, H, N, L, D): queries of block n.
    Tensor qb = view(contiguous(pad_time(qh, 0, g.N * g.L - T)), {B, H, g.N, g.L, D});
    Tensor kb = key_blocks(kh, g), vb = key_blocks(vh, g);  // (B, H, N, S, D), S = K·L
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    Tensor scores = mul(matmul(qb, kb.transpose(-1, -2)), scale);  // (B, H, N, L, S)
    Tensor p = softmax(scores, block_mask(ctx, B, T, g));          // a fully hidden row gives zeros
    Tensor pd = dropout(p, dropout_, is_training());
    Tensor out = view(matmul(pd, vb), {B, H, g.N * g.L, D});  // (B, H, N·L, D)
    return {slice(out, 2, 0, T), ctx.need_weights ? scatter_weights(p, T, g) : Tensor()};
  }

  // N blocks of L positions; each block's queries see K blocks of keys starting at block n − 1.
  struct Blocks {
    int64_t L, N, K;
    int64_t S() const { return K * L; }
    // Key position of slot s for the queries of block n.
    int64_t key(int64_t n, int64_t s) const { return (n - 1) * L + s; }
  };
  Blocks blocks(int64_t T, bool causal) const {
    // L ≥ width keeps the window inside the neighbouring blocks; at least 32 (or T) so the
    // block products are not tiny.
    const int64_t L = std::max<int64_t>({width_, std::min<int64_t>(32, T), 1});
    return {L, (T + L - 1) / L, causal ? 2 : 3};
  }

  // x (B, H, T, D) with `before` and `after` zero rows added along T.
  static Tensor pad_time(const Tensor& x, int64_t before, int64_t after) {
    if (before == 0 && after == 0) return x;
    std::vector<Tensor> parts;
    if (before > 0) parts.push_back(Tensor::zeros({x.size(0), x.size(1), before, x.size(3)}));
    parts.push_back(x);
    if (after > 0) parts.push_back(Tensor::zeros({x.size(0), x.size(1), after, x.size(3)}));
    return concat(parts, 2);
  }

  // (B, H, T, D) -> (B, H, N, K·L, D): for block n the keys of blocks n − 1 .. n + K − 2.
  static Tensor key_blocks(const Tensor& x, const Blocks& g) {
    const int64_t B = x.size(0), H = x.size(1), T = x.size(2), D = x.size(3);
    const int64_t padded = g.N + 2;  // one zero block in front, one or more behind
    Tensor xb = view(contiguous(pad_time(x, g.L, padded * g.L - g.L - T)), {B, H, padded, g.L, D});
    std::vector<Tensor> shifted;
    for (int64_t k = 0; k < g.K; ++k) shifted.push_back(slice(xb, 2, k, k + g.N));
    return concat(shifted, 3);
  }

  // (B or 1, 1, N, L, S) additive: −inf where a slot is outside the query's window, outside the
  // sequence or on a padded key.
  Tensor block_mask(const AttentionContext& ctx, int64_t B, int64_t T, const Blocks& g) const {
    const Tensor& pad = ctx.key_padding;
    if (pad.defined() && (pad.dim() != 2 || pad.size(0) != B || pad.size(1) != T))
      throw Error("window: key_padding " + shape_str(pad.shape()) + " does not match (batch " +
                  std::to_string(B) + ", keys " + std::to_string(T) + ")");
    const int64_t Bm = pad.defined() ? B : 1, S = g.S();
    std::vector<float> padded = pad.defined() ? pad.to_vector() : std::vector<float>();
    std::vector<float> m(Bm * g.N * g.L * S, 0.0f);
    for (int64_t b = 0; b < Bm; ++b)
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t r = 0; r < g.L; ++r) {
          const int64_t i = n * g.L + r;
          float* row = &m[((b * g.N + n) * g.L + r) * S];
          for (int64_t s = 0; s < S; ++s) {
            const int64_t j = g.key(n, s);
            const bool visible = j >= 0 && j < T && j >= i - width_ &&
                                 j <= (ctx.causal ? i : i + width_) &&
                                 !(pad.defined() && padded[b * T + j] != 0);
            if (!visible) row[s] = kMaskedScore;
          }
        }
    return Tensor::from_vector(m, {Bm, 1, g.N, g.L, S});
  }

  // p: (B, H, N, L, S) -> (B, H, T, T), zero outside the window; no autograd.
  static Tensor scatter_weights(const Tensor& p, int64_t T, const Blocks& g) {
    const int64_t BH = p.size(0) * p.size(1), S = g.S();
    Tensor pc = p.detach().contiguous();
    Tensor full = Tensor::zeros({p.size(0), p.size(1), T, T});
    const float* src = pc.data<float>();
    float* dst = full.data<float>();
    for (int64_t r = 0; r < BH; ++r)
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t q = 0; q < g.L; ++q) {
          const int64_t i = n * g.L + q;
          if (i >= T) break;
          for (int64_t s = 0; s < S; ++s) {
            const int64_t j = g.key(n, s);
            if (j >= 0 && j < T) dst[(r * T + i) * T + j] = src[((r * g.N + n) * g.L + q) * S + s];
          }
        }
    return full;
  }

  int64_t width_;
};

}  // namespace

HEED_REGISTER_ATTENTION(window, "sliding-window local attention: |i - j| <= width, linear in T",
                        WindowAttention);

}  // namespace heed
