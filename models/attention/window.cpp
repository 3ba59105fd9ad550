// window: sliding-window local attention (as Longformer's local part, or Mistral's causal
// window). Query i sees keys j with |i − j| ≤ width, or i − width ≤ j ≤ i when causal. The
// windows are gathered into (B, H, T, W, D) with a row index tensor, W = 2·width + 1 (width + 1
// when causal), so time and memory grow linearly in T for a fixed width: no T×T matrix is
// formed. Window slots outside [0, T) and padded keys are masked. Self-attention only (a window
// is defined by positions in one sequence), no KV cache. Weights are returned by scattering the
// (B, H, T, W) probabilities into a zero (B, H, T, T) tensor, only when asked: that is the one
// quadratic allocation, meant for inspecting small T. Projections are mha's.
#include <algorithm>
#include <cmath>
#include <limits>

#include "models/attention/attention.h"
#include "models/attention/heads.h"
#include "models/attention/projection.h"

namespace heed {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

class WindowAttention final : public Attention {
 public:
  explicit WindowAttention(const AttentionConfig& c)
      : d_model_(c.d_model),
        heads_(c.heads),
        dropout_(c.dropout),
        width_(c.extra.get_int("width", 8, 0, 1 << 20)),
        proj_(*this, c, "window") {}

  AttentionCapabilities capabilities() const override { return {.cross = false}; }

  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) override {
    check_attention_inputs(query, key, value, d_model_, "window");
    if (!query.same(key) || !key.same(value))
      throw Error("window: self-attention only (query, key and value must be the same tensor)");
    if (ctx.cache) throw Error("window: incremental decoding (a KV cache) is not supported");
    auto [qh, kh, vh] = proj_.project(query, key, value);  // (B, H, T, D)
    const int64_t B = qh.size(0), H = heads_, T = qh.size(2), D = qh.size(3);
    const int64_t W = ctx.causal ? width_ + 1 : 2 * width_ + 1;  // slot o holds key i − width + o
    // Rows of the (B·H·T, D) key/value tables, picked by a (B·H, T, W) row index: an embedding
    // lookup copies whole rows (gather's per-element indexing cost 3x more end to end).
    Tensor rows = window_rows(B * H, T, W);
    auto windows = [&](const Tensor& x) {  // (B, H, T, D) -> (B, H, T, W, D)
      return embedding(reshape(x, {B * H * T, D}), rows).view({B, H, T, W, D});
    };
    Tensor kw = windows(kh), vw = windows(vh);
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
    // (B, H, T, 1, D) @ (B, H, T, D, W) -> scores (B, H, T, W)
    Tensor scores = mul(squeeze(matmul(unsqueeze(qh, 3), kw.transpose(-1, -2)), 3), scale);
    Tensor p = softmax(scores, window_mask(ctx, B, T, W));  // a fully hidden row gives zeros
    Tensor pd = dropout(p, dropout_, is_training());
    Tensor out = squeeze(matmul(unsqueeze(pd, 3), vw), 3);  // (B, H, T, D)
    AttentionOutput result{proj_.output(out), Tensor()};
    if (ctx.need_weights) result.weights = scatter_weights(p, T, W);
    return result;
  }

 private:
  // (BH, T, W): row bh·T + j of key slot o of query i, j = i − width + o clamped into [0, T)
  // (clamped slots are masked anyway).
  Tensor window_rows(int64_t BH, int64_t T, int64_t W) const {
    Tensor index = Tensor::empty({BH, T, W}, DType::I64);
    int64_t* p = index.data<int64_t>();
    for (int64_t bh = 0; bh < BH; ++bh)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t o = 0; o < W; ++o)
          p[(bh * T + i) * W + o] = bh * T + std::clamp<int64_t>(i - width_ + o, 0, T - 1);
    return index;
  }

  // (B or 1, 1, T, W) additive: −inf for slots outside the sequence or on padded keys.
  Tensor window_mask(const AttentionContext& ctx, int64_t B, int64_t T, int64_t W) const {
    const Tensor& pad = ctx.key_padding;
    if (pad.defined() && (pad.dim() != 2 || pad.size(0) != B || pad.size(1) != T))
      throw Error("window: key_padding " + shape_str(pad.shape()) + " does not match (batch " +
                  std::to_string(B) + ", keys " + std::to_string(T) + ")");
    const int64_t Bm = pad.defined() ? B : 1;
    std::vector<float> padded = pad.defined() ? pad.to_vector() : std::vector<float>();
    std::vector<float> m(Bm * T * W, 0.0f);
    for (int64_t b = 0; b < Bm; ++b)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t o = 0; o < W; ++o) {
          const int64_t j = i - width_ + o;
          if (j < 0 || j >= T || (pad.defined() && padded[b * T + j] != 0))
            m[(b * T + i) * W + o] = kNegInf;
        }
    return Tensor::from_vector(m, {Bm, 1, T, W});
  }

  // p: (B, H, T, W) -> (B, H, T, T), zero outside the window; no autograd.
  Tensor scatter_weights(const Tensor& p, int64_t T, int64_t W) const {
    const int64_t BH = p.size(0) * p.size(1);
    Tensor pc = p.detach().contiguous();
    Tensor full = Tensor::zeros({p.size(0), p.size(1), T, T});
    const float* src = pc.data<float>();
    float* dst = full.data<float>();
    for (int64_t r = 0; r < BH; ++r)
      for (int64_t i = 0; i < T; ++i)
        for (int64_t o = 0; o < W; ++o) {
          const int64_t j = i - width_ + o;
          if (j >= 0 && j < T) dst[(r * T + i) * T + j] = src[(r * T + i) * W + o];
        }
    return full;
  }

  int64_t d_model_, heads_;
  float dropout_;
  int64_t width_;
  PackedProjection proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(window, "sliding-window local attention: |i - j| <= width, linear in T",
                        WindowAttention);

}  // namespace heed
