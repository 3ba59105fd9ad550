#include "models/transformer.h"

#include "framework/nn/init.h"
#include "framework/ops.h"

namespace heed {

LayerConfig TransformerShape::layer() const {
  LayerConfig l;
  l.d_model = d_model;
  l.heads = heads;
  l.d_ff = d_ff;
  l.dropout = dropout;
  l.attention = attention;
  l.attention_options = attention_options;
  return l;
}
namespace {

AttentionConfig attention_config(const LayerConfig& c, const Options& extra) {
  return AttentionConfig{c.d_model, c.heads, c.dropout, extra};
}

}  // namespace

FeedForward::FeedForward(Module& layer, const LayerConfig& c) : dropout_(c.dropout) {
  linear1_ = layer.register_module("linear1", std::make_shared<Linear>(c.d_model, c.d_ff));
  linear2_ = layer.register_module("linear2", std::make_shared<Linear>(c.d_ff, c.d_model));
}

Tensor FeedForward::forward(const Tensor& x, bool training) const {
  return dropout(linear2_->forward(dropout(gelu(linear1_->forward(x)), dropout_, training)),
                 dropout_, training);
}

EncoderLayer::EncoderLayer(const LayerConfig& c) : dropout_(c.dropout) {
  self_attn_ = register_module(
      "self_attn", make_attention(c.attention, attention_config(c, c.attention_options)));
  ffn_ = FeedForward(*this, c);
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(c.d_model));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(c.d_model));
}

Tensor EncoderLayer::forward(const Tensor& x, const AttentionContext& ctx, Tensor* weights) const {
  const bool training = is_training();
  Tensor h = norm1_->forward(x);
  AttentionContext c = ctx;
  c.need_weights = weights != nullptr;
  AttentionOutput a = self_attn_->forward(h, h, h, c);
  if (weights) *weights = a.weights;
  Tensor y = add(x, dropout(a.out, dropout_, training));
  return add(y, ffn_.forward(norm2_->forward(y), training));
}

DecoderLayer::DecoderLayer(const LayerConfig& c) : dropout_(c.dropout) {
  self_attn_ = register_module(
      "self_attn", make_attention(c.attention, attention_config(c, c.attention_options)));
  cross_attn_ = register_module(
      "multihead_attn",
      make_attention(c.cross_attention, attention_config(c, c.cross_attention_options)));
  if (!cross_attn_->capabilities().cross)
    throw Error("attention '" + c.cross_attention +
                "' cannot attend across sequences (decoder cross-attention)");
  ffn_ = FeedForward(*this, c);
  norm1_ = register_module("norm1", std::make_shared<LayerNorm>(c.d_model));
  norm2_ = register_module("norm2", std::make_shared<LayerNorm>(c.d_model));
  norm3_ = register_module("norm3", std::make_shared<LayerNorm>(c.d_model));
}

Tensor DecoderLayer::forward(const Tensor& x, const Tensor& memory,
                             const AttentionContext& self_ctx, const AttentionContext& cross_ctx,
                             Tensor* cross_weights) const {
  const bool training = is_training();
  Tensor h = norm1_->forward(x);
  Tensor y = add(x, dropout(self_attn_->forward(h, h, h, self_ctx).out, dropout_, training));
  Tensor h2 = norm2_->forward(y);
  AttentionContext c = cross_ctx;
  c.need_weights = cross_weights != nullptr;
  AttentionOutput a = cross_attn_->forward(h2, memory, memory, c);
  if (cross_weights) *cross_weights = a.weights;
  y = add(y, dropout(a.out, dropout_, training));
  return add(y, ffn_.forward(norm3_->forward(y), training));
}

Encoder::Encoder(const LayerConfig& c, int64_t num_layers) {
  layers_ = register_module("layers", std::make_shared<ModuleList<EncoderLayer>>());
  for (int64_t i = 0; i < num_layers; ++i) layers_->push_back(std::make_shared<EncoderLayer>(c));
  norm_ = register_module("norm", std::make_shared<LayerNorm>(c.d_model));
}

Tensor Encoder::forward(Tensor x, const AttentionContext& ctx, std::vector<Tensor>* weights) const {
  for (std::size_t i = 0; i < layers_->size(); ++i) {
    Tensor w;
    x = (*layers_)[i].forward(x, ctx, weights ? &w : nullptr);
    if (weights) weights->push_back(w);
  }
  return norm_->forward(x);
}

std::vector<Tensor> Encoder::attention(const Tensor& x, const AttentionContext& ctx) const {
  std::vector<Tensor> weights;
  forward(x, ctx, &weights);
  return weights;
}

Tensor Encoder::forward_cached(Tensor x, AttentionContext ctx, std::vector<KVCache>& caches) const {
  caches.resize(layers_->size());
  for (std::size_t i = 0; i < layers_->size(); ++i) {
    ctx.cache = &caches[i];
    x = (*layers_)[i].forward(x, ctx);
  }
  return norm_->forward(x);
}

Decoder::Decoder(const LayerConfig& c, int64_t num_layers) {
  layers_ = register_module("layers", std::make_shared<ModuleList<DecoderLayer>>());
  for (int64_t i = 0; i < num_layers; ++i) layers_->push_back(std::make_shared<DecoderLayer>(c));
  norm_ = register_module("norm", std::make_shared<LayerNorm>(c.d_model));
}

Tensor Decoder::forward(Tensor x, const Tensor& memory, AttentionContext self_ctx,
                        const AttentionContext& cross_ctx, std::vector<KVCache>* caches,
                        std::vector<Tensor>* cross_weights) const {
  if (caches) caches->resize(layers_->size());
  for (std::size_t i = 0; i < layers_->size(); ++i) {
    self_ctx.cache = caches ? &(*caches)[i] : nullptr;
    Tensor w;
    x = (*layers_)[i].forward(x, memory, self_ctx, cross_ctx, cross_weights ? &w : nullptr);
    if (cross_weights) cross_weights->push_back(w);
  }
  return norm_->forward(x);
}

void xavier_init_matrices(const Module& m) {
  for (const auto& [name, p] : m.named_parameters())
    if (p.dim() > 1) xavier_uniform_(p);
}

}  // namespace heed
