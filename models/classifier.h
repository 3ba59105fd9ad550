// Encoder classifier: TokenAndPosition embedding, a pre-LN transformer Encoder over any
// registered attention variant, pooling, and a linear head (the BERT-style recipe without
// pre-training). Parameters: embed.embed.weight (+ embed.pos.weight with learned positions),
// encoder.layers.N.*, encoder.norm.*, head.weight (num_classes, d_model), head.bias.
#pragma once

#include "models/embedding.h"
#include "models/transformer.h"

namespace heed {

struct ClassifierConfig : TransformerShape {
  int64_t num_classes = 2;
  int64_t layers = 2;
  std::string position = "sinusoidal";  // sinusoidal | learned | none
  int64_t max_len = 1024;               // for learned positions
  // "mean": the average over non-padded positions; "first": the first position's output (put
  // BOS or a class token there; it attends to the whole sequence, as BERT's [CLS]).
  std::string pooling = "mean";
};

class Classifier : public Module {
 public:
  explicit Classifier(const ClassifierConfig& c);
  // ids: (B, T), padding: optional (B, T) nonzero at padding -> logits (B, num_classes). Padded
  // positions are hidden from attention and left out of the mean.
  Tensor forward(const Tensor& ids, const Tensor& padding = Tensor()) const;
  // The encoder's self-attention weights, one (B, H, T, T) per layer (eval mode, no autograd).
  std::vector<Tensor> encoder_attention(const Tensor& ids, const Tensor& padding = Tensor()) const;
  const ClassifierConfig& config() const { return config_; }

 private:
  Tensor pool(const Tensor& h, const Tensor& padding) const;  // (B, T, C) -> (B, C)

  ClassifierConfig config_;
  std::shared_ptr<TokenAndPosition> embed_;
  std::shared_ptr<Encoder> encoder_;
  std::shared_ptr<Linear> head_;
};

}  // namespace heed
