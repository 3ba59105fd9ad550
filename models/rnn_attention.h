// The GRU encoder–decoder with additive attention of Bahdanau, Cho & Bengio (2015), "Neural
// Machine Translation by Jointly Learning to Align and Translate" — the attention network that
// started it — composed from engine ops.
//
// Encoder: h_j = GRU(x_j, h_{j-1}) over the embedded source, optionally also right to left, in
// which case the annotation is h_j = [h→_j; h←_j] (C = 2H, else C = H). Padded positions do not
// update the state, so the final state is that of the last real token.
// Decoder, for target position i with previous token y_{i-1} and state s_{i-1}:
//   e_ij = vᵀ tanh(W s_{i-1} + U h_j)          (padded j hidden)
//   α_i  = softmax_j(e_ij),   c_i = Σ_j α_ij h_j
//   s_i  = GRU([E y_{i-1}; c_i], s_{i-1})
//   logits_i = out([s_i; c_i; E y_{i-1}])      (the paper's deep output, without the maxout)
// with s_0 = tanh(bridge(h_final)), h_final the backward state after reading the whole source
// when bidirectional (as the paper), else the forward state at the last real source token.
//
// Parameters: src_embed.weight (V, E), tgt_embed.weight (V, E), encoder.{weight_ih, weight_hh,
// bias_ih, bias_hh}, encoder_reverse.* (bidirectional only), bridge.{weight (H, H), bias},
// attention.query.weight (A, H) = W, attention.key.weight (A, C) = U, attention.score.weight
// (1, A) = vᵀ, decoder.* (GRU with input E + C), out.{weight (V, H + C + E), bias}.
//
// The scorer is its own small module rather than the registered `additive` variant: W and U
// take different sizes here (H and C), and U h_j is computed once per source, not per step —
// the precomputation the paper's appendix describes.
#pragma once

#include "framework/nn/layers.h"
#include "framework/nn/module.h"

namespace heed {

// torch.nn.GRUCell: gates r, z, n in that order along the 3H rows,
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)
//   z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//   h' = (1 − z) ⊙ n + z ⊙ h
// Parameters weight_ih (3H, I), weight_hh (3H, H), bias_ih (3H), bias_hh (3H), all U(−1/√H, 1/√H).
class GRUCell : public Module {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size);
  // x: (B, I), h: (B, H) -> (B, H).
  Tensor forward(const Tensor& x, const Tensor& h) const {
    return forward_gates(input_gates(x), h);
  }
  // x: (..., I) -> W_i x + b_i: (..., 3H); computed for a whole sequence in one product.
  Tensor input_gates(const Tensor& x) const;
  // gi: (B, 3H) from input_gates, h: (B, H) -> (B, H).
  Tensor forward_gates(const Tensor& gi, const Tensor& h) const;
  int64_t hidden_size() const { return hidden_; }
  int64_t input_size() const { return weight_ih_.size(1); }

 private:
  int64_t hidden_;
  Tensor weight_ih_, weight_hh_, bias_ih_, bias_hh_;
};

struct RnnAttentionConfig {
  int64_t vocab = 16;
  int64_t embed_dim = 32;      // E
  int64_t hidden = 64;         // H, per encoder direction and for the decoder
  int64_t attention_dim = 64;  // A, the additive scorer's hidden size
  bool bidirectional = false;  // the paper's encoder is; unidirectional is cheaper
  float dropout = 0.1f;        // on embeddings and on the output features, in training mode
};

// What the decoder attends over, computed once per source; rows are batch rows throughout, so
// index-selecting every field reorders them (beam search).
struct RnnMemory {
  Tensor annotations;  // (B, S, C)
  Tensor keys;         // (B, S, A): U h_j
  Tensor mask;         // (B, S) additive: 0 keeps, -inf hides padding; undefined without padding
  Tensor initial;      // (B, H): s_0
};

struct RnnStepOutput {
  Tensor state;    // (B, H): s_i
  Tensor logits;   // (B, V)
  Tensor weights;  // (B, S): α_i, no autograd
};

class RnnAttention : public Module {
 public:
  explicit RnnAttention(const RnnAttentionConfig& c);
  // src: (B, S) ids, src_padding: optional (B, S) nonzero at padding.
  RnnMemory encode(const Tensor& src, const Tensor& src_padding = Tensor()) const;
  // prev: (B,) ids of y_{i-1}, state: (B, H) = s_{i-1}.
  RnnStepOutput step(const Tensor& prev, const Tensor& state, const RnnMemory& memory) const;
  // Teacher forcing: dec_in (B, T) ids -> logits (B, T, V). weights, when given, receives the
  // attention weights (B, T, S).
  Tensor forward(const Tensor& src, const Tensor& dec_in, const Tensor& src_padding = Tensor(),
                 Tensor* weights = nullptr) const;
  const RnnAttentionConfig& config() const { return config_; }

 private:
  struct Scorer : Module {
    std::shared_ptr<Linear> query, key, score;
  };
  // Attention of states s (B, H) over memory: context (B, C) and weights (B, S).
  std::pair<Tensor, Tensor> attend(const Tensor& s, const RnnMemory& memory) const;

  RnnAttentionConfig config_;
  std::shared_ptr<Embedding> src_embed_, tgt_embed_;
  std::shared_ptr<GRUCell> encoder_, encoder_reverse_, decoder_;
  std::shared_ptr<Linear> bridge_, out_;
  std::shared_ptr<Scorer> attention_;
  std::shared_ptr<Dropout> dropout_;
};

}  // namespace heed
