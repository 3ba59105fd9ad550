// The GRU encoder–decoder with attention of Bahdanau, Cho & Bengio (2015), "Neural Machine
// Translation by Jointly Learning to Align and Translate" — the attention network that started
// it — composed from engine ops, with its attention any registered variant that can attend
// across sequences (capability `cross`; `additive`, Bahdanau's own scorer, by default).
//
// Encoder: `encoder_layers` stacked GRUs over the embedded source (torch.nn.GRU), the states of
// the top layer are the annotations h_j (B, S, H). Bidirectional, each layer runs H/2 units each
// way and h_j = [h→_j; h←_j], so the annotations are H wide either way. Padded positions do not
// update a state, so a final state is that of the last real token.
// Decoder, for target position i with previous token y_{i-1} and the L = `decoder_layers`
// states s¹_{i-1} .. sᴸ_{i-1}:
//   c_i, α_i = attention(query sᴸ_{i-1}, keys = values = h)   (one head; padded j hidden)
//   s¹_i = GRU₁([E y_{i-1}; c_i], s¹_{i-1}),   sˡ_i = GRUₗ(sˡ⁻¹_i, sˡ_{i-1})
//   logits_i = out([sᴸ_i; c_i; E y_{i-1}])      (the paper's deep output, without the maxout)
// The attention sees the query at position i (AttentionContext::query_offset), so position-aware
// variants (alibi, relative, rotary) compare output and source positions. With `additive`,
// e_ij = vᵀ tanh(W sᴸ_{i-1} + U h_j), α_i = softmax_j(e_ij) and c_i = out_proj(value_proj(Σ_j α_ij
// h_j)), the paper's context up to a linear map. s⁰ = tanh(bridge(h_final)) split into the L
// initial states, h_final the top encoder layer's state after the last real source token
// (bidirectional: [h→ at the last token; h← at the first], the paper uses the backward one).
//
// Parameters: src_embed.weight (V, E), tgt_embed.weight (V, E), encoder.{weight_ih_lK,
// weight_hh_lK, bias_ih_lK, bias_hh_lK}[_reverse] (torch.nn.GRU's), bridge.{weight (L·H, H),
// bias}, attention.* (the variant's, d_model H, one head), decoder.{weight_ih_lK, ...} (layer 0
// reads E + H), out.{weight (V, 2H + E), bias}.
#pragma once

#include <array>

#include "framework/nn/layers.h"
#include "framework/nn/module.h"
#include "framework/options.h"
#include "models/attention/attention.h"

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

// torch.nn.GRU with batch_first: `layers` stacked GRUs, each one-way or both ways, with torch's
// parameter names and order (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, then the
// _reverse ones, then l1, ...) and initialization. Layer k > 0 reads layer k − 1's outputs
// (both directions concatenated) through dropout, in training mode, as torch.
class GRU : public Module {
 public:
  GRU(int64_t input_size, int64_t hidden_size, int64_t layers = 1, bool bidirectional = false,
      float dropout = 0.0f);
  struct Output {
    Tensor outputs;  // (B, S, D·H): the top layer's states, D = 2 when bidirectional, else 1
    Tensor final;    // (B, D·H): the top layer's state after the last real position, each way
  };
  // x: (B, S, I); keep: optional (B, S) float, 1 at real positions and 0 at padding, where a
  // state stays as it was (so padding anywhere changes nothing).
  Output forward(const Tensor& x, const Tensor& keep = Tensor()) const;
  // One position of a one-way stack: x (B, I), state (B, L, H) -> the next state (B, L, H).
  Tensor step(const Tensor& x, const Tensor& state) const;
  int64_t hidden_size() const { return hidden_; }
  int64_t layers() const { return static_cast<int64_t>(cells_.size()); }
  bool bidirectional() const { return bidirectional_; }

 private:
  struct Cell {
    Tensor weight_ih, weight_hh, bias_ih, bias_hh;
  };
  // One layer over the sequence in one direction: input gates gi (B, S, 3H) -> states (B, S, H)
  // and the final one (B, H).
  std::pair<Tensor, Tensor> run(const Cell& cell, const Tensor& gi, const Tensor& keep,
                                bool reverse) const;

  int64_t hidden_;
  bool bidirectional_;
  float dropout_;
  std::vector<std::array<Cell, 2>> cells_;  // [layer][direction]; [1] only when bidirectional
};

struct RnnAttentionConfig {
  int64_t vocab = 16;
  int64_t embed_dim = 32;      // E
  int64_t hidden = 64;         // H: the decoder's state, the annotations, the attention's width
  int64_t encoder_layers = 1;  // stacked GRU layers reading the source
  int64_t decoder_layers = 1;  // stacked GRU layers writing the target
  bool bidirectional = false;  // the paper's encoder is (then H must be even); one-way is cheaper
  float dropout = 0.1f;  // on embeddings, between stacked layers, on the attention weights and on
                         // the output features, in training mode
  std::string attention = "additive";  // a registered variant with capability cross
  Options attention_options;
};

// What the decoder attends over, computed once per source; rows are batch rows throughout, so
// index-selecting every field reorders them (beam search).
struct RnnMemory {
  Tensor annotations;  // (B, S, H)
  Tensor padding;      // (B, S) nonzero at padding; undefined without padding
  Tensor initial;      // (B, L, H): s⁰ of each decoder layer
};

struct RnnStepOutput {
  Tensor state;    // (B, L, H): s_i
  Tensor logits;   // (B, V)
  Tensor weights;  // (B, S): α_i, no autograd; undefined when the variant returns no weights
};

class RnnAttention : public Module {
 public:
  explicit RnnAttention(const RnnAttentionConfig& c);
  // src: (B, S) ids, src_padding: optional (B, S) nonzero at padding.
  RnnMemory encode(const Tensor& src, const Tensor& src_padding = Tensor()) const;
  // prev: (B,) ids of y_{i-1}, state: (B, L, H) = s_{i-1}, position: i − 1, the index of prev in
  // the decoder input.
  RnnStepOutput step(const Tensor& prev, const Tensor& state, const RnnMemory& memory,
                     int64_t position) const;
  // Teacher forcing: dec_in (B, T) ids -> logits (B, T, V). weights, when given, receives the
  // attention weights (B, T, S) (undefined when the variant returns none).
  Tensor forward(const Tensor& src, const Tensor& dec_in, const Tensor& src_padding = Tensor(),
                 Tensor* weights = nullptr) const;
  const RnnAttentionConfig& config() const { return config_; }

 private:
  struct Attended {
    Tensor context;  // (B, H)
    Tensor weights;  // (B, S), no autograd; undefined when not asked for or not returned
  };
  Attended attend(const Tensor& query, const RnnMemory& memory, int64_t position,
                  bool want_weights) const;
  // One decoder position from the embedded previous token y (B, E): the next state and the
  // output features [sᴸ_i; c_i; y] (B, 2H + E).
  struct Stepped {
    Tensor state, features;
    Attended attended;
  };
  Stepped advance(const Tensor& y, const Tensor& state, const RnnMemory& memory, int64_t position,
                  bool want_weights) const;

  RnnAttentionConfig config_;
  std::shared_ptr<Embedding> src_embed_, tgt_embed_;
  std::shared_ptr<GRU> encoder_, decoder_;
  std::shared_ptr<Linear> bridge_, out_;
  std::shared_ptr<Attention> attention_;
  std::shared_ptr<Dropout> dropout_;
};

}  // namespace heed
