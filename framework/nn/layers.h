// The basic layers, with PyTorch's parameter names, shapes and default initialization, so that
// a model built from them loads a torch state_dict as is.
#pragma once

#include <cstdint>

#include "framework/nn/module.h"
#include "framework/tensor.h"

namespace heed {

// y = x · weightᵀ + bias. weight: (out, in), bias: (out,). Both start U(−1/√in, 1/√in), as
// torch (kaiming_uniform_ with a = √5 works out to exactly that bound for the weight).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true);
  Tensor forward(const Tensor& x) const;  // (..., in) -> (..., out)
  Tensor operator()(const Tensor& x) const { return forward(x); }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias
  int64_t in_features() const { return weight_.size(1); }
  int64_t out_features() const { return weight_.size(0); }

 private:
  Tensor weight_;
  Tensor bias_;
};

// Rows of a (num, dim) table picked by integer ids; weight starts N(0, 1), as torch.
class Embedding : public Module {
 public:
  Embedding(int64_t num_embeddings, int64_t embedding_dim);
  Tensor forward(const Tensor& ids) const;  // int ids (...) -> (..., dim)
  Tensor operator()(const Tensor& ids) const { return forward(ids); }
  const Tensor& weight() const { return weight_; }

 private:
  Tensor weight_;
};

// Normalizes the last dimension (size `dim`); weight starts at ones, bias at zeros.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(int64_t dim, float eps = 1e-5f);
  Tensor forward(const Tensor& x) const;  // (..., dim) -> (..., dim)
  Tensor operator()(const Tensor& x) const { return forward(x); }
  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  float eps() const { return eps_; }

 private:
  Tensor weight_;
  Tensor bias_;
  float eps_;
};

// Inverted dropout with probability p in training mode, the identity in evaluation mode. The
// mask comes from the global generator (random.h), so a resumed run draws the same masks.
class Dropout : public Module {
 public:
  explicit Dropout(float p);
  Tensor forward(const Tensor& x) const;
  Tensor operator()(const Tensor& x) const { return forward(x); }
  float p() const { return p_; }

 private:
  float p_;
};

}  // namespace heed
