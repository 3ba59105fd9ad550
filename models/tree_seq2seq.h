// Tree to sequence: a TreeEncoder (models/tree_encoder.h) reads the source tree's nodes, and a
// transformer decoder, as Seq2Seq's, cross-attends to the node states while it writes the
// target. Any composition and node positions of the tree encoder apply; the decoder's own
// positions are sinusoidal over the output.
//
// Parameters: encoder.* (the TreeEncoder's: encoder.embed.weight, ...), embed.embed.weight (the
// decoder's tokens; the encoder embeds node tokens itself), decoder.layers.N.*, decoder.norm.*,
// out.weight, out.bias.
#pragma once

#include "models/seq2seq.h"
#include "models/tree_encoder.h"

namespace heed {

struct TreeSeq2SeqConfig {
  TreeEncoderConfig encoder;  // its vocab, d_model, heads, d_ff and dropout are the decoder's too
  int64_t decoder_layers = 2;
  int64_t max_len = 1024;  // unused by sinusoidal positions; kept for TokenAndPosition
};

class TreeSeq2Seq : public EncoderDecoder {
 public:
  explicit TreeSeq2Seq(const TreeSeq2SeqConfig& c);
  // The node states (B, N, C): the memory; its padding is batch.node_pad.
  Tensor encode(const TreeBatch& batch) const { return encoder_->forward(batch); }
  // dec_in: (B, T) -> logits (B, T, V).
  Tensor forward(const TreeBatch& batch, const Tensor& dec_in) const {
    return decode(dec_in, encode(batch), batch.node_pad);
  }
  // The encoder's per-layer attention weights (B, H, N, N) (eval mode, no autograd).
  std::vector<Tensor> encoder_attention(const TreeBatch& batch) const;
  const TreeSeq2SeqConfig& config() const { return config_; }

 private:
  TreeSeq2SeqConfig config_;
  std::shared_ptr<TreeEncoder> encoder_;
};

}  // namespace heed
