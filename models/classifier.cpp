#include "models/classifier.h"

#include "framework/ops.h"

namespace heed {

Classifier::Classifier(const ClassifierConfig& c) : config_(c) {
  if (c.vocab < 1 || c.num_classes < 1 || c.layers < 0)
    throw Error("classifier: vocab and num_classes must be positive, layers non-negative");
  if (c.d_model <= 0 || c.heads <= 0 || c.d_model % c.heads != 0)
    throw Error("classifier: d_model " + std::to_string(c.d_model) + " is not divisible by heads " +
                std::to_string(c.heads));
  if (c.pooling != "mean" && c.pooling != "first")
    throw Error("classifier: pooling '" + c.pooling + "' is not one of: mean, first");
  embed_ = register_module("embed", std::make_shared<TokenAndPosition>(
                                        c.vocab, c.d_model, c.position, c.max_len, c.dropout));
  encoder_ = register_module("encoder", std::make_shared<Encoder>(c.layer(), c.layers));
  xavier_init_matrices(*encoder_);  // as Seq2Seq's stacks
  head_ = register_module("head", std::make_shared<Linear>(c.d_model, c.num_classes));
}

Tensor Classifier::pool(const Tensor& h, const Tensor& padding) const {
  if (config_.pooling == "first") return select(h, 1, 0);
  if (!padding.defined()) return mean(h, {1});
  const int64_t B = h.size(0), T = h.size(1);
  Tensor keep = Tensor::zeros({B, T, 1});  // 1 at real tokens; rows of all padding pool to 0
  std::vector<float> inv_count(B);
  std::vector<int64_t> p = padding.to_ints();
  float* kp = keep.data<float>();
  for (int64_t b = 0; b < B; ++b) {
    int64_t n = 0;
    for (int64_t t = 0; t < T; ++t) {
      const bool real = p[b * T + t] == 0;
      kp[b * T + t] = real ? 1.0f : 0.0f;
      n += real ? 1 : 0;
    }
    inv_count[b] = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
  }
  return mul(sum(mul(h, keep), {1}), Tensor::from_vector(inv_count, {B, 1}));
}

Tensor Classifier::forward(const Tensor& ids, const Tensor& padding) const {
  if (ids.dim() != 2) throw Error("classifier: ids must be (B, T), got " + shape_str(ids.shape()));
  if (padding.defined() && padding.shape() != ids.shape())
    throw Error("classifier: padding " + shape_str(padding.shape()) + " does not match ids " +
                shape_str(ids.shape()));
  AttentionContext ctx;
  ctx.key_padding = padding;
  return head_->forward(pool(encoder_->forward(embed_->forward(ids), ctx), padding));
}

std::vector<Tensor> Classifier::encoder_attention(const Tensor& ids, const Tensor& padding) const {
  NoGradGuard no_grad;
  AttentionContext ctx;
  ctx.key_padding = padding;
  return encoder_->attention(embed_->forward(ids), ctx);
}

}  // namespace heed
