#include "models/seq2seq.h"

#include "framework/ops.h"

namespace heed {
namespace {
void check_config(const TransformerConfig& c) {
  if (c.vocab < 4)
    throw Error("model: vocab must be at least 4 (pad, bos, eos and one token), got " +
                std::to_string(c.vocab));
  if (c.d_model <= 0 || c.d_ff <= 0 || c.heads <= 0)
    throw Error("model: d_model, d_ff and heads must be positive");
  if (c.d_model % c.heads != 0)
    throw Error("model: d_model " + std::to_string(c.d_model) + " is not divisible by heads " +
                std::to_string(c.heads));
}
}  // namespace

LayerConfig TransformerConfig::layer() const {
  LayerConfig l = TransformerShape::layer();
  l.cross_attention = cross_attention;
  l.cross_attention_options = cross_attention_options;
  return l;
}

void EncoderDecoder::use_decoder(std::shared_ptr<TokenAndPosition> embed,
                                 std::shared_ptr<Decoder> decoder, std::shared_ptr<Linear> out) {
  dec_embed_ = std::move(embed);
  decoder_ = std::move(decoder);
  dec_out_ = std::move(out);
}

Tensor EncoderDecoder::decode(const Tensor& dec_in, const Tensor& memory,
                              const Tensor& memory_padding, std::vector<KVCache>* caches,
                              int64_t offset) const {
  AttentionContext self_ctx, cross_ctx;
  self_ctx.causal = true;
  self_ctx.query_offset = offset;
  cross_ctx.key_padding = memory_padding;
  return dec_out_->forward(
      decoder_->forward(dec_embed_->forward(dec_in, offset), memory, self_ctx, cross_ctx, caches));
}

std::vector<Tensor> EncoderDecoder::cross_attention(const Tensor& dec_in, const Tensor& memory,
                                                    const Tensor& memory_padding) const {
  NoGradGuard no_grad;
  AttentionContext self_ctx, cross_ctx;
  self_ctx.causal = true;
  cross_ctx.key_padding = memory_padding;
  std::vector<Tensor> weights;
  decoder_->forward(dec_embed_->forward(dec_in), memory, self_ctx, cross_ctx, nullptr, &weights);
  return weights;
}

Seq2Seq::Seq2Seq(const TransformerConfig& c) : config_(c) {
  check_config(c);
  embed_ = register_module("embed", std::make_shared<TokenAndPosition>(
                                        c.vocab, c.d_model, c.position, c.max_len, c.dropout));
  transformer_ = register_module("transformer", std::make_shared<Stacks>());
  transformer_->encoder = transformer_->register_module(
      "encoder", std::make_shared<Encoder>(c.layer(), c.encoder_layers));
  transformer_->decoder = transformer_->register_module(
      "decoder", std::make_shared<Decoder>(c.layer(), c.decoder_layers));
  xavier_init_matrices(*transformer_);
  use_decoder(embed_, transformer_->decoder,
              register_module("out", std::make_shared<Linear>(c.d_model, c.vocab)));
}

Tensor Seq2Seq::encode(const Tensor& src, const Tensor& src_padding) const {
  AttentionContext ctx;
  ctx.key_padding = src_padding;
  return transformer_->encoder->forward(embed_->forward(src), ctx);
}

std::vector<Tensor> Seq2Seq::encoder_attention(const Tensor& src, const Tensor& src_padding) const {
  NoGradGuard no_grad;
  AttentionContext ctx;
  ctx.key_padding = src_padding;
  return transformer_->encoder->attention(embed_->forward(src), ctx);
}

DecoderLM::DecoderLM(const TransformerConfig& c) : config_(c) {
  check_config(c);
  embed_ = register_module("embed", std::make_shared<TokenAndPosition>(
                                        c.vocab, c.d_model, c.position, c.max_len, c.dropout));
  blocks_ = register_module("blocks", std::make_shared<Encoder>(c.layer(), c.decoder_layers));
  out_ = register_module("out", std::make_shared<Linear>(c.d_model, c.vocab));
}

Tensor DecoderLM::forward(const Tensor& ids, std::vector<KVCache>* caches, int64_t offset) const {
  AttentionContext ctx;
  ctx.causal = true;
  ctx.query_offset = offset;
  Tensor x = embed_->forward(ids, offset);
  Tensor h = caches ? blocks_->forward_cached(x, ctx, *caches) : blocks_->forward(x, ctx);
  return out_->forward(h);
}

std::vector<Tensor> DecoderLM::self_attention(const Tensor& ids) const {
  NoGradGuard no_grad;
  AttentionContext ctx;
  ctx.causal = true;
  return blocks_->attention(embed_->forward(ids), ctx);
}

}  // namespace heed
