// topk: each query keeps only its k highest-scoring keys (as in Zhao et al. 2019's "Explicit
// Sparse Transformer"); the others get −inf before the softmax. Which keys survive is decided on
// the scores without gradient; the kept scores get their gradient through the shared attention
// core as in mha. Keys tied with the k-th score are all kept. Projections are mha's; option `k`
// (default 8). The worked example of docs/adding-an-attention-variant.md.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "models/attention/attention.h"
#include "models/attention/heads.h"
#include "models/attention/projection.h"

namespace heed {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

class TopkAttention final : public Attention {
 public:
  explicit TopkAttention(const AttentionConfig& c)
      : d_model_(c.d_model),
        dropout_(c.dropout),
        k_(c.extra.get_int("k", 8, 1)),
        proj_(*this, c, "topk") {}

  AttentionCapabilities capabilities() const override { return {.kv_cache = true}; }

  AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                          const AttentionContext& ctx) override {
    check_attention_inputs(query, key, value, d_model_, "topk");
    auto [qh, kh, vh] = proj_.project(query, key, value);  // (B, H, T, D)
    std::tie(kh, vh) = append_to_cache(ctx.cache, kh, vh);
    Tensor mask = attention_mask(ctx, query.size(0), qh.size(2), kh.size(2));
    AttentionCoreOutput a = scaled_dot_product_attention(
        qh, kh, vh, Tensor(), top_k_mask(qh, kh, mask), dropout_, is_training());
    AttentionOutput out{proj_.output(a.out), Tensor()};
    if (ctx.need_weights) out.weights = a.weights;
    return out;
  }

 private:
  // (B, H, Tq, Tk) additive mask: `mask` plus −inf on every key below the row's k-th best score.
  Tensor top_k_mask(const Tensor& qh, const Tensor& kh, const Tensor& mask) const {
    NoGradGuard no_grad;
    const float scale = 1.0f / std::sqrt(static_cast<float>(qh.size(3)));
    Tensor s = mul(matmul(qh.detach(), kh.detach().transpose(-1, -2)), scale);  // (B, H, Tq, Tk)
    if (mask.defined()) s = add(s, mask);
    s = s.contiguous();
    float* p = s.data<float>();
    const int64_t tk = s.size(3), rows = s.numel() / std::max<int64_t>(tk, 1);
    std::vector<float> row;
    for (int64_t r = 0; r < rows; ++r) {
      float* x = p + r * tk;
      row.assign(x, x + tk);
      float kth = kNegInf;  // fewer than k visible keys: keep them all
      if (k_ < tk) {
        std::nth_element(row.begin(), row.begin() + (k_ - 1), row.end(), std::greater<float>());
        kth = row[k_ - 1];
      }
      for (int64_t j = 0; j < tk; ++j) x[j] = x[j] >= kth && x[j] != kNegInf ? 0.0f : kNegInf;
    }
    return s;
  }

  int64_t d_model_;
  float dropout_;
  int64_t k_;
  PackedProjection proj_;
};

}  // namespace

HEED_REGISTER_ATTENTION(topk, "top-k sparse attention: each query keeps its k best-scoring keys",
                        TopkAttention);

}  // namespace heed
