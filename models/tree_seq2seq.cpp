#include "models/tree_seq2seq.h"

#include "framework/nn/init.h"
#include "framework/ops.h"

namespace heed {

TreeSeq2Seq::TreeSeq2Seq(const TreeSeq2SeqConfig& c) : config_(c) {
  const TreeEncoderConfig& e = c.encoder;
  if (e.vocab < 4)
    throw Error("model: vocab must be at least 4 (pad, bos, eos and one token), got " +
                std::to_string(e.vocab));
  if (c.decoder_layers < 1)
    throw Error("model: a tree-to-sequence model needs decoder_layers >= 1");
  encoder_ = register_module("encoder", std::make_shared<TreeEncoder>(e));
  auto embed = register_module(
      "embed",
      std::make_shared<TokenAndPosition>(e.vocab, e.d_model, "sinusoidal", c.max_len, e.dropout));
  LayerConfig layer = e.layer();
  layer.attention = "mha";  // the decoder's causal self-attention; e.attention is the encoder's
  layer.attention_options = Options();
  auto decoder = register_module("decoder", std::make_shared<Decoder>(layer, c.decoder_layers));
  xavier_init_matrices(*decoder);  // as Seq2Seq's stacks
  use_decoder(embed, decoder, register_module("out", std::make_shared<Linear>(e.d_model, e.vocab)));
}

std::vector<Tensor> TreeSeq2Seq::encoder_attention(const TreeBatch& batch) const {
  return encoder_->attention(batch);
}

}  // namespace heed
