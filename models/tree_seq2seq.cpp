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
  embed_ = register_module("embed", std::make_shared<TokenAndPosition>(
                                        e.vocab, e.d_model, "sinusoidal", c.max_len, e.dropout));
  LayerConfig layer = e.layer();
  layer.attention = "mha";  // the decoder's causal self-attention; e.attention is the encoder's
  layer.attention_options = Options();
  decoder_ = register_module("decoder", std::make_shared<Decoder>(layer, c.decoder_layers));
  xavier_init_matrices(*decoder_);  // as Seq2Seq's stacks
  out_ = register_module("out", std::make_shared<Linear>(e.d_model, e.vocab));
}

Tensor TreeSeq2Seq::decode(const Tensor& dec_in, const Tensor& memory, const Tensor& memory_padding,
                           std::vector<KVCache>* caches, int64_t offset) const {
  AttentionContext self_ctx, cross_ctx;
  self_ctx.causal = true;
  self_ctx.query_offset = offset;
  cross_ctx.key_padding = memory_padding;
  return out_->forward(
      decoder_->forward(embed_->forward(dec_in, offset), memory, self_ctx, cross_ctx, caches));
}

std::vector<Tensor> TreeSeq2Seq::cross_attention(const Tensor& dec_in, const Tensor& memory,
                                                 const Tensor& memory_padding) const {
  NoGradGuard no_grad;
  AttentionContext self_ctx, cross_ctx;
  self_ctx.causal = true;
  cross_ctx.key_padding = memory_padding;
  std::vector<Tensor> weights;
  decoder_->forward(embed_->forward(dec_in), memory, self_ctx, cross_ctx, nullptr, &weights);
  return weights;
}

std::vector<Tensor> TreeSeq2Seq::encoder_attention(const TreeBatch& batch) const {
  NoGradGuard no_grad;
  std::vector<Tensor> weights;
  encoder_->forward(batch, &weights);
  return weights;
}

}  // namespace heed
