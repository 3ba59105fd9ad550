// Encoder–decoder transformer and decoder-only LM. With attention "mha" and sinusoidal
// positions they are the reference models of benchmarks/torch_reference.py (Seq2SeqModel
// and CausalLM): the same parameter names, shapes, initialization and dropout sites.
#pragma once

#include "models/embedding.h"
#include "models/transformer.h"

namespace heed {

struct TransformerConfig : TransformerShape {
  int64_t encoder_layers = 2, decoder_layers = 2;  // decoder-only uses decoder_layers
  std::string position = "sinusoidal";             // sinusoidal | learned | none
  int64_t max_len = 1024;                          // for learned positions
  std::string cross_attention = "mha";
  Options cross_attention_options;
  LayerConfig layer() const;
};

// The decoding half of an encoder–decoder model (Seq2Seq; TreeSeq2Seq in models/tree_seq2seq.h):
// a causal transformer decoder over the memory its encoder made, and all that decoding needs.
// The subclass registers the three parts under its own parameter names and hands them over with
// use_decoder().
class EncoderDecoder : public Module {
 public:
  // dec_in: (B, T) ids, memory: (B, S, C), memory_padding: optional (B, S) nonzero at padding
  // -> logits (B, T, V). With caches, dec_in holds only the new tokens and `offset` is the
  // position of the first of them.
  Tensor decode(const Tensor& dec_in, const Tensor& memory, const Tensor& memory_padding = Tensor(),
                std::vector<KVCache>* caches = nullptr, int64_t offset = 0) const;
  // The decoder's cross-attention weights for dec_in over the memory, one (B, H, T, S) per
  // layer (undefined where the variant returns none); no autograd, the module's mode as it is.
  std::vector<Tensor> cross_attention(const Tensor& dec_in, const Tensor& memory,
                                      const Tensor& memory_padding = Tensor()) const;

 protected:
  // embed: the decoder's token embedding and positions; out: C -> vocab logits.
  void use_decoder(std::shared_ptr<TokenAndPosition> embed, std::shared_ptr<Decoder> decoder,
                   std::shared_ptr<Linear> out);

 private:
  std::shared_ptr<TokenAndPosition> dec_embed_;
  std::shared_ptr<Decoder> decoder_;
  std::shared_ptr<Linear> dec_out_;
};

// Parameters: embed.embed.weight (shared by encoder and decoder inputs), transformer.encoder.*,
// transformer.decoder.*, out.weight, out.bias.
class Seq2Seq : public EncoderDecoder {
 public:
  explicit Seq2Seq(const TransformerConfig& c);
  // src: (B, S) ids, src_padding: optional (B, S) nonzero at padding -> memory (B, S, C).
  Tensor encode(const Tensor& src, const Tensor& src_padding = Tensor()) const;
  Tensor forward(const Tensor& src, const Tensor& dec_in,
                 const Tensor& src_padding = Tensor()) const {
    return decode(dec_in, encode(src, src_padding), src_padding);
  }
  // The encoder's self-attention weights for src, one (B, H, S, S) per layer (eval mode).
  std::vector<Tensor> encoder_attention(const Tensor& src,
                                        const Tensor& src_padding = Tensor()) const;
  const TransformerConfig& config() const { return config_; }

 private:
  struct Stacks : Module {
    std::shared_ptr<Encoder> encoder;
    std::shared_ptr<Decoder> decoder;
  };
  TransformerConfig config_;
  std::shared_ptr<TokenAndPosition> embed_;
  std::shared_ptr<Stacks> transformer_;
};

// Decoder-only causal LM. Parameters: embed.embed.weight, blocks.layers.N.*, blocks.norm.*, out.*.
class DecoderLM : public Module {
 public:
  explicit DecoderLM(const TransformerConfig& c);
  // ids: (B, T) -> logits (B, T, V). With caches, ids are the new tokens at position `offset`.
  Tensor forward(const Tensor& ids, std::vector<KVCache>* caches = nullptr,
                 int64_t offset = 0) const;
  // The causal self-attention weights for ids, one (B, H, T, T) per layer (eval mode); a layer
  // whose variant returns no weights gives an undefined tensor.
  std::vector<Tensor> self_attention(const Tensor& ids) const;
  const TransformerConfig& config() const { return config_; }

 private:
  TransformerConfig config_;
  std::shared_ptr<TokenAndPosition> embed_;
  std::shared_ptr<Encoder> blocks_;
  std::shared_ptr<Linear> out_;
};

}  // namespace heed
