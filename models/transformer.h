// Pre-LayerNorm transformer layers and stacks with torch.nn.Transformer's structure and
// parameter names (self_attn, multihead_attn, linear1, linear2, norm1..3; layers.N; norm), GELU
// feed-forward and dropout at torch's places, over any registered attention variant.
#pragma once

#include "framework/nn/layers.h"
#include "models/attention/attention.h"

namespace heed {

struct LayerConfig {
  int64_t d_model = 128, heads = 4, d_ff = 512;
  float dropout = 0.1f;
  std::string attention = "mha";  // self-attention variant
  Options attention_options;
  std::string cross_attention = "mha";  // decoder → encoder variant
  Options cross_attention_options;
};

// What the configs of every transformer model (seq2seq.h, classifier.h, tree_encoder.h) share:
// the vocabulary, the widths, dropout and the self-attention variant.
struct TransformerShape {
  int64_t vocab = 16;
  int64_t d_model = 128, heads = 4, d_ff = 512;
  float dropout = 0.1f;
  std::string attention = "mha";
  Options attention_options;
  // The layers' config: this self-attention; cross-attention as LayerConfig's defaults.
  LayerConfig layer() const;
};

// Children named "0", "1", ... as torch.nn.ModuleList.
template <class T>
class ModuleList : public Module {
 public:
  void push_back(std::shared_ptr<T> m) {
    items_.push_back(register_module(std::to_string(items_.size()), m));
  }
  std::size_t size() const { return items_.size(); }
  T& operator[](std::size_t i) const { return *items_[i]; }

 private:
  std::vector<std::shared_ptr<T>> items_;
};

// The position-wise feed-forward of every layer here with the dropout of its residual branch:
// dropout(linear2(dropout(gelu(linear1(x))))). Its parameters are the owning layer's linear1.*
// and linear2.*, as torch.nn.TransformerEncoderLayer names them; constructing it registers them
// (so where the layer constructs it fixes the order of initialization).
class FeedForward {
 public:
  FeedForward() = default;
  FeedForward(Module& layer, const LayerConfig& c);
  Tensor forward(const Tensor& x, bool training) const;  // (…, C) -> (…, C)

 private:
  std::shared_ptr<Linear> linear1_, linear2_;
  float dropout_ = 0;
};

class EncoderLayer : public Module {
 public:
  explicit EncoderLayer(const LayerConfig& c);
  // x = x + drop1(attn(norm1(x)));  x = x + drop2(linear2(drop(gelu(linear1(norm2(x))))))
  Tensor forward(const Tensor& x, const AttentionContext& ctx, Tensor* weights = nullptr) const;
  Attention& self_attn() const { return *self_attn_; }

 private:
  std::shared_ptr<Attention> self_attn_;
  FeedForward ffn_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  float dropout_;
};

class DecoderLayer : public Module {
 public:
  explicit DecoderLayer(const LayerConfig& c);
  // self (causal) attention, cross attention over memory, feed-forward; each pre-normed.
  // cross_weights: when given, receives the cross-attention weights (B, H, T, S), undefined
  // when the variant returns none.
  Tensor forward(const Tensor& x, const Tensor& memory, const AttentionContext& self_ctx,
                 const AttentionContext& cross_ctx, Tensor* cross_weights = nullptr) const;

 private:
  std::shared_ptr<Attention> self_attn_, cross_attn_;
  FeedForward ffn_;
  std::shared_ptr<LayerNorm> norm1_, norm2_, norm3_;
  float dropout_;
};

// layers.N + a final norm, as torch.nn.TransformerEncoder(norm=LayerNorm).
class Encoder : public Module {
 public:
  Encoder(const LayerConfig& c, int64_t num_layers);
  // weights: when given, receives each layer's attention weights (B, H, T, T).
  Tensor forward(Tensor x, const AttentionContext& ctx,
                 std::vector<Tensor>* weights = nullptr) const;
  // Only the weights: one (B, H, T, T) per layer, undefined where the variant returns none.
  std::vector<Tensor> attention(const Tensor& x, const AttentionContext& ctx) const;
  // Incremental decoding for a decoder-only model: one cache per layer.
  Tensor forward_cached(Tensor x, AttentionContext ctx, std::vector<KVCache>& caches) const;

 private:
  std::shared_ptr<ModuleList<EncoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

class Decoder : public Module {
 public:
  Decoder(const LayerConfig& c, int64_t num_layers);
  // caches: null for full recomputation, else one per layer for the self-attention keys.
  // cross_weights: when given, receives each layer's cross-attention weights (B, H, T, S).
  Tensor forward(Tensor x, const Tensor& memory, AttentionContext self_ctx,
                 const AttentionContext& cross_ctx, std::vector<KVCache>* caches = nullptr,
                 std::vector<Tensor>* cross_weights = nullptr) const;

 private:
  std::shared_ptr<ModuleList<DecoderLayer>> layers_;
  std::shared_ptr<LayerNorm> norm_;
};

// xavier_uniform_ on every parameter with more than one dimension, as nn.Transformer does.
void xavier_init_matrices(const Module& m);

}  // namespace heed
