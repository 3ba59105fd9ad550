// additive: Bahdanau attention (Bahdanau, Cho & Bengio 2015), the attention network that started
// it, with heads: e_ij = v_hᵀ tanh(W q_i + U k_j) per head h, with W, U (C, C) split into heads
// and one learned v_h of size D per head; weights softmax(e + mask); output = weights · (value
// projection), then an output projection. Scoring forms the (B, H, Tq, Tk, D) tensor of
// tanh arguments, so memory is D times mha's score matrix: fine for the toy lengths it is meant
// for. Option `bias` (default true) gives W a bias; U has none, since both would add to the
// same pre-activation. The skeleton does the rest; only the scoring (attend) is Bahdanau's.
#include <cmath>

#include "framework/nn/init.h"
#include "framework/nn/layers.h"
#include "models/attention/heads.h"
#include "models/attention/skeleton.h"

namespace heed {
namespace {

class AdditiveAttention final : public AttentionSkeleton {
 public:
  explicit AdditiveAttention(const AttentionConfig& c) : AttentionSkeleton(c, "additive") {
    const bool bias = c.extra.get_bool("bias", true);
    const int64_t C = d_model_, D = C / heads_;
    query_proj_ = register_module("query_proj", std::make_shared<Linear>(C, C, bias));
    key_proj_ = register_module("key_proj", std::make_shared<Linear>(C, C, false));
    value_proj_ = register_module("value_proj", std::make_shared<Linear>(C, C));
    out_proj_ = register_module("out_proj", std::make_shared<Linear>(C, C));
    score_weight_ = register_parameter("score_weight", Tensor::empty({heads_, D}));  // v_h
    const float bound = 1.0f / std::sqrt(static_cast<float>(D));
    uniform_(score_weight_, -bound, bound);
  }

 private:
  std::array<Tensor, 3> project(const Tensor& query, const Tensor& key, const Tensor& value,
                                const AttentionContext&) override {
    return {split_heads(query_proj_->forward(query), heads_),  // (B, H, Tq, D)
            split_heads(key_proj_->forward(key), heads_),      // (B, H, Tk, D)
            split_heads(value_proj_->forward(value), heads_)};
  }
  Tensor output(const Tensor& heads) override { return out_proj_->forward(merge_heads(heads)); }

  AttentionCoreOutput attend(const Tensor& qh, const Tensor& kh, const Tensor& vh,
                             const AttentionContext& ctx) override {
    const int64_t D = qh.size(3);
    // (B, H, Tq, 1, D) + (B, H, 1, Tk, D) -> (B, H, Tq, Tk, D); · v_h -> scores (B, H, Tq, Tk)
    Tensor energy = tanh(add(unsqueeze(qh, 3), unsqueeze(kh, 2)));
    Tensor scores = squeeze(matmul(energy, score_weight_.view({1, heads_, 1, D, 1})), 4);
    Tensor p = softmax(scores, visible_mask(qh, kh, ctx));
    return {matmul(dropout(p, dropout_, is_training()), vh), p.detach()};  // (B, H, Tq, D)
  }

  std::shared_ptr<Linear> query_proj_, key_proj_, value_proj_, out_proj_;
  Tensor score_weight_;  // (H, D)
};

}  // namespace

HEED_REGISTER_ATTENTION(additive, "Bahdanau additive attention: v^T tanh(W q + U k) per head",
                        AdditiveAttention);

}  // namespace heed
