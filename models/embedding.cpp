#include "models/embedding.h"

#include <cmath>

#include "framework/nn/init.h"
#include "framework/ops.h"

namespace heed {

Tensor sinusoidal_positions(int64_t offset, int64_t length, int64_t d_model) {
  Tensor pe = Tensor::zeros({length, d_model});
  float* p = pe.data<float>();
  for (int64_t i = 0; i < d_model; i += 2) {
    // Computed in float as the reference does, so both produce the same table.
    const float inv_freq =
        std::exp(static_cast<float>(i) * (-std::log(10000.0f) / static_cast<float>(d_model)));
    for (int64_t t = 0; t < length; ++t) {
      const float angle = static_cast<float>(offset + t) * inv_freq;
      p[t * d_model + i] = std::sin(angle);
      if (i + 1 < d_model) p[t * d_model + i + 1] = std::cos(angle);
    }
  }
  return pe;
}

TokenAndPosition::TokenAndPosition(int64_t vocab, int64_t d_model, const std::string& position,
                                   int64_t max_len, float dropout)
    : position_(position), d_model_(d_model), max_len_(max_len) {
  if (position != "sinusoidal" && position != "learned" && position != "none")
    throw Error("position '" + position + "' is not one of: sinusoidal, learned, none");
  embed_ = register_module("embed", std::make_shared<Embedding>(vocab, d_model));
  normal_(embed_->weight(), 0.0f, 1.0f / std::sqrt(static_cast<float>(d_model)));
  if (position == "learned") {
    pos_ = register_module("pos", std::make_shared<Embedding>(max_len, d_model));
    normal_(pos_->weight(), 0.0f, 0.02f);
  }
  dropout_ = register_module("dropout", std::make_shared<Dropout>(dropout));
}

Tensor TokenAndPosition::forward(const Tensor& ids, int64_t offset) const {
  const int64_t T = ids.size(-1);
  Tensor x = mul(embed_->forward(ids), std::sqrt(static_cast<float>(d_model_)));
  if (position_ == "sinusoidal") {
    x = add(x, sinusoidal_positions(offset, T, d_model_));
  } else if (position_ == "learned") {
    if (offset + T > max_len_)
      throw Error("learned positions: length " + std::to_string(offset + T) + " exceeds max_len " +
                  std::to_string(max_len_));
    std::vector<int64_t> pos(T);
    for (int64_t t = 0; t < T; ++t) pos[t] = offset + t;
    x = add(x, pos_->forward(Tensor::from_ints(pos, {T})));
  }
  return dropout_->forward(x);
}

}  // namespace heed
