// topk: each query keeps only its k highest-scoring keys (as in Zhao et al. 2019's "Explicit
// Sparse Transformer"); the others get −inf before the softmax. Which keys survive is decided on
// the scores without gradient; the kept scores get their gradient through the shared attention
// core as in mha. Keys tied with the k-th score are all kept. Projections are mha's; option `k`
// (default 8). The worked example of docs/adding-an-attention-variant.md.
#include <algorithm>
#include <cmath>
#include <functional>

#include "models/attention/skeleton.h"

namespace heed {
namespace {

class TopkAttention final : public PackedAttention {
 public:
  explicit TopkAttention(const AttentionConfig& c)
      : PackedAttention(c, "topk"), k_(c.extra.get_int("k", 8, 1)) {}

 private:
  // (B, H, Tq, Tk) additive: ctx's mask plus −inf on every key below the row's k-th best score.
  Tensor noncausal_mask(const Tensor& qh, const Tensor& kh,
                        const AttentionContext& ctx) const override {
    // Chosen among the keys the query may see: causal and padding.
    Tensor mask = attention_mask(ctx, qh.size(0), qh.size(2), kh.size(2));
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
      float kth = kMaskedScore;  // fewer than k visible keys: keep them all
      if (k_ < tk) {
        std::nth_element(row.begin(), row.begin() + (k_ - 1), row.end(), std::greater<float>());
        kth = row[k_ - 1];
      }
      for (int64_t j = 0; j < tk; ++j)
        x[j] = x[j] >= kth && x[j] != kMaskedScore ? 0.0f : kMaskedScore;
    }
    return s;
  }

  int64_t k_;
};

}  // namespace

HEED_REGISTER_ATTENTION(topk, "top-k sparse attention: each query keeps its k best-scoring keys",
                        TopkAttention);

}  // namespace heed
