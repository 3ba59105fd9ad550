// The q/k/v/out projections of torch.nn.MultiheadAttention (packed in_proj_weight (3C, C),
// in_proj_bias (3C), out_proj): mha's, and those of the variants that keep its parameters and
// change only how heads attend (relative, alibi, rotary, window, linear, topk, tree variants),
// usually through PackedAttention (skeleton.h). Same names and initialization everywhere, so
// their checkpoints exchange projection weights with mha and with PyTorch.
#pragma once

#include <array>
#include <memory>

#include "framework/nn/init.h"
#include "framework/nn/layers.h"
#include "framework/ops.h"
#include "models/attention/attention.h"
#include "models/attention/heads.h"

namespace heed {

class PackedProjection {
 public:
  // Checks the config (errors name `who`), then registers in_proj_weight, in_proj_bias and
  // out_proj on `owner` in torch's order: construct it before the variant's own parameters.
  PackedProjection(Module& owner, const AttentionConfig& c, const char* who)
      : d_model_(c.d_model), heads_(c.heads) {
    check_attention_config(c, who);
    const int64_t C = d_model_;
    weight_ = owner.register_parameter("in_proj_weight", Tensor::empty({3 * C, C}));
    bias_ = owner.register_parameter("in_proj_bias", Tensor::zeros({3 * C}));
    out_proj_ = owner.register_module("out_proj", std::make_shared<Linear>(C, C));
    xavier_uniform_(weight_);  // as torch's _reset_parameters
    zeros_(out_proj_->bias());
  }

  // query: (B, Tq, C), key/value: (B, Tk, C) -> q: (B, H, Tq, D), k, v: (B, H, Tk, D).
  std::array<Tensor, 3> project(const Tensor& query, const Tensor& key, const Tensor& value) const {
    const int64_t C = d_model_;
    if (query.same(key) && key.same(value)) {
      // Self-attention: one (B·T, C) x (C, 3C) product, then views (B, T, 3, H, D) -> 3 x (B, H, T,
      // D).
      const int64_t B = query.size(0), T = query.size(1);
      Tensor qkv = linear(query, weight_, bias_)
                       .view({B, T, 3, heads_, C / heads_})
                       .permute({2, 0, 3, 1, 4});
      return {select(qkv, 0, 0), select(qkv, 0, 1), select(qkv, 0, 2)};
    }
    auto part = [&](const Tensor& x, int64_t i) {
      return split_heads(
          linear(x, weight_.slice(0, i * C, (i + 1) * C), bias_.slice(0, i * C, (i + 1) * C)),
          heads_);
    };
    return {part(query, 0), part(key, 1), part(value, 2)};
  }

  // heads: (B, H, Tq, D) -> (B, Tq, C).
  Tensor output(const Tensor& heads) const { return out_proj_->forward(merge_heads(heads)); }

 private:
  int64_t d_model_, heads_;
  Tensor weight_, bias_;
  std::shared_ptr<Linear> out_proj_;
};

}  // namespace heed
