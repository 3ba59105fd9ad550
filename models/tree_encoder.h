// Tree encoder and tree classifier: node token embeddings (+ positions), then either
//
//   composition "none":  a pre-LN transformer Encoder over the nodes (models/transformer.h) with
//                        any registered self-attention variant; tree variants (tree_mask,
//                        tree_distance) read the batch through AttentionContext::tree;
//   composition "child_attention": `layers` bottom-up passes of ChildAttentionLayer, each node
//                        composed from its own input and an attention over its children's
//                        states (query from the node, keys and values from the children),
//                        level by level from the deepest to the root, one batched op per level;
//   composition "child_fold" (experimental): the same bottom-up passes, ChildFoldLayer folding a
//                        node's children into its state one at a time with a GRU cell.
//
// Positions: "tree" (Shiv & Quirk, models/tree_position.h), "sinusoidal" over the pre-order
// index, or "none". TreeClassifier pools the root (node 0, pre-order) or the mean over real nodes
// into a linear head.
//
// Parameters (d_model C, d_ff F): encoder.embed.weight (vocab, C), encoder.pos.p (tree positions
// only), then composition none: encoder.transformer.layers.N.{self_attn.*, linear1, linear2,
// norm1, norm2}, encoder.transformer.norm; child_attention: encoder.layers.N.{attn.in_proj_weight,
// attn.in_proj_bias, attn.out_proj, linear1, linear2, norm1, norm2}; child_fold:
// encoder.layers.N.{gru.*, linear1, linear2, norm1, norm2}; then head.weight/bias. A
// child_attention layer has exactly an encoder layer's parameters (mha + feed-forward + two
// norms), so the two compositions differ in size only by the encoder's final norm (2C).
#pragma once

#include "datasets/tree_batch.h"
#include "models/rnn_attention.h"
#include "models/transformer.h"
#include "models/tree_position.h"

namespace heed {

struct TreeEncoderConfig : TransformerShape {
  int64_t layers = 2;
  std::string composition = "none";       // none | child_attention | child_fold (experimental)
  std::string position = "tree";          // tree | sinusoidal | none
  int64_t max_depth = 8, max_branch = 5;  // tree positions: levels and branches encoded
  // `attention` is the self-attention of composition none (any registered variant that is not
  // cross-only). The child attention of child_attention is always mha: it attends across
  // (node → children).
};

// One bottom-up composition pass. For a node with input x (C) and children states c_1..c_K:
//   a = mha(q = x, k = v = c_1..c_K)      (0 for a leaf: no out_proj bias either)
//   u = norm1(x + dropout(a))
//   h = norm2(u + dropout(linear2(dropout(gelu(linear1(u))))))
// Post-LN, unlike the encoder layers: h feeds the next level up and the recursion is as deep as
// the tree, so every state is normalized before it is composed again.
class ChildAttentionLayer : public Module {
 public:
  explicit ChildAttentionLayer(const LayerConfig& c);
  // x: (M, C) node inputs; children: (M, K, C) states of their children, child_pad: (M, K)
  // nonzero where node m has fewer than K children; undefined children: all leaves. -> (M, C).
  // weights: when given, receives (M, H, 1, K) (undefined for all leaves).
  Tensor compose(const Tensor& x, const Tensor& children, const Tensor& child_pad,
                 Tensor* weights = nullptr) const;
  // The whole batch bottom-up: x (B, N, C) -> (B, N, C), padded nodes' rows 0. weights: when
  // given, receives (B, H, N, N): row i holds node i's weights over its children, 0 elsewhere.
  Tensor forward(const Tensor& x, const TreeBatch& batch, Tensor* weights = nullptr) const;

 private:
  std::shared_ptr<Attention> attn_;
  FeedForward ffn_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  int64_t heads_;
  float dropout_;
};

// EXPERIMENTAL (composition child_fold): one bottom-up pass that folds a node's children into
// its state one at a time, left to right, with a GRU cell (models/rnn_attention.h):
//   h_0 = x
//   h_k = GRUCell(c_k, h_{k-1}) for k = 1..K where the node has a k-th child, else h_{k-1}
//   u   = norm1(h_K)
//   out = norm2(u + dropout(linear2(dropout(gelu(linear1(u))))))
// Parameters: gru.{weight_ih (3C, C), weight_hh (3C, C), bias_ih (3C), bias_hh (3C)} (6C² + 6C,
// against mha's 4C² + 4C), linear1, linear2, norm1, norm2.
class ChildFoldLayer : public Module {
 public:
  explicit ChildFoldLayer(const LayerConfig& c);
  // As ChildAttentionLayer::compose: x (M, C), children (M, K, C) or undefined, child_pad (M, K).
  Tensor compose(const Tensor& x, const Tensor& children, const Tensor& child_pad) const;
  // The whole batch bottom-up, level by level: x (B, N, C) -> (B, N, C), padded nodes' rows 0.
  Tensor forward(const Tensor& x, const TreeBatch& batch) const;

 private:
  std::shared_ptr<GRUCell> gru_;
  FeedForward ffn_;
  std::shared_ptr<LayerNorm> norm1_, norm2_;
  float dropout_;
};

class TreeEncoder : public Module {
 public:
  explicit TreeEncoder(const TreeEncoderConfig& c);
  // (B, N, C) node states. weights: when given, receives one (B, H, N, N) per layer (the
  // variant's weights; child_attention's node → children weights), undefined where a variant
  // returns none.
  Tensor forward(const TreeBatch& batch, std::vector<Tensor>* weights = nullptr) const;
  // Only the weights, as forward gives them (no autograd, the module's mode as it is).
  std::vector<Tensor> attention(const TreeBatch& batch) const;
  // Token embedding · √C + positions, before dropout: (B, N, C).
  Tensor embed(const TreeBatch& batch) const;
  const TreeEncoderConfig& config() const { return config_; }

 private:
  TreeEncoderConfig config_;
  std::shared_ptr<Embedding> embed_;
  std::shared_ptr<TreePosition> pos_;                       // position "tree"
  std::shared_ptr<Encoder> transformer_;                    // composition none
  std::shared_ptr<ModuleList<ChildAttentionLayer>> child_;  // composition child_attention
  std::shared_ptr<ModuleList<ChildFoldLayer>> fold_;        // composition child_fold
};

struct TreeClassifierConfig : TreeEncoderConfig {
  int64_t num_classes = 10;
  std::string pooling = "root";  // root (node 0) | mean (over real nodes)
};

class TreeClassifier : public Module {
 public:
  explicit TreeClassifier(const TreeClassifierConfig& c);
  Tensor forward(const TreeBatch& batch) const;  // -> logits (B, num_classes)
  // Per-layer attention weights (B, H, N, N) for pictures (eval mode, no autograd).
  std::vector<Tensor> attention(const TreeBatch& batch) const;
  const TreeEncoder& encoder() const { return *encoder_; }
  const TreeClassifierConfig& config() const { return config_; }

 private:
  TreeClassifierConfig config_;
  std::shared_ptr<TreeEncoder> encoder_;
  std::shared_ptr<Linear> head_;
};

}  // namespace heed
