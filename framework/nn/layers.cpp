#include "framework/nn/layers.h"

#include <cmath>
#include <string>

#include "framework/nn/init.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/embedding.h"
#include "framework/ops/layernorm.h"
#include "framework/ops/matmul.h"

namespace heed {
namespace {

void check_positive(int64_t v, const char* what, const char* layer) {
  if (v <= 0)
    throw Error(std::string(layer) + ": " + what + " must be positive, got " + std::to_string(v));
}

}  // namespace

Linear::Linear(int64_t in_features, int64_t out_features, bool bias) {
  check_positive(in_features, "in_features", "Linear");
  check_positive(out_features, "out_features", "Linear");
  const float bound = 1.0f / std::sqrt(static_cast<float>(in_features));
  weight_ = register_parameter("weight", Tensor::empty({out_features, in_features}));
  uniform_(weight_, -bound, bound);
  if (bias) {
    bias_ = register_parameter("bias", Tensor::empty({out_features}));
    uniform_(bias_, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& x) const {
  return linear(x, weight_, bias_);
}

Embedding::Embedding(int64_t num_embeddings, int64_t embedding_dim) {
  check_positive(num_embeddings, "num_embeddings", "Embedding");
  check_positive(embedding_dim, "embedding_dim", "Embedding");
  weight_ = register_parameter("weight", Tensor::empty({num_embeddings, embedding_dim}));
  normal_(weight_, 0.0f, 1.0f);
}

Tensor Embedding::forward(const Tensor& ids) const {
  return embedding(weight_, ids);
}

LayerNorm::LayerNorm(int64_t dim, float eps) : eps_(eps) {
  check_positive(dim, "dim", "LayerNorm");
  if (!(eps > 0)) throw Error("LayerNorm: eps must be positive, got " + std::to_string(eps));
  weight_ = register_parameter("weight", Tensor::ones({dim}));
  bias_ = register_parameter("bias", Tensor::zeros({dim}));
}

Tensor LayerNorm::forward(const Tensor& x) const {
  if (x.defined() && (x.dim() == 0 || x.shape().back() != weight_.size(0)))
    throw Error("LayerNorm(" + std::to_string(weight_.size(0)) + "): input " +
                shape_str(x.shape()) + " does not end in that dimension");
  return layer_norm(x, weight_, bias_, eps_);
}

Dropout::Dropout(float p) : p_(p) {
  // heed::dropout cannot take p = 1 (the 1/(1−p) scale), so reject it here, at construction.
  if (!(p >= 0.0f && p < 1.0f))
    throw Error("Dropout: probability " + std::to_string(p) + " not in [0, 1)");
}

Tensor Dropout::forward(const Tensor& x) const {
  return dropout(x, p_, is_training());
}

}  // namespace heed
