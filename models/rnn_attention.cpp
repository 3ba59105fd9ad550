#include "models/rnn_attention.h"

#include <cmath>
#include <limits>

#include "framework/nn/init.h"
#include "framework/ops.h"

namespace heed {

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size) : hidden_(hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    throw Error("GRUCell: input_size and hidden_size must be positive, got " +
                std::to_string(input_size) + " and " + std::to_string(hidden_size));
  const int64_t H = hidden_size;
  weight_ih_ = register_parameter("weight_ih", Tensor::empty({3 * H, input_size}));
  weight_hh_ = register_parameter("weight_hh", Tensor::empty({3 * H, H}));
  bias_ih_ = register_parameter("bias_ih", Tensor::empty({3 * H}));
  bias_hh_ = register_parameter("bias_hh", Tensor::empty({3 * H}));
  const float bound = 1.0f / std::sqrt(static_cast<float>(H));  // torch's reset_parameters
  for (const Tensor& p : {weight_ih_, weight_hh_, bias_ih_, bias_hh_}) uniform_(p, -bound, bound);
}

Tensor GRUCell::input_gates(const Tensor& x) const {
  if (x.size(-1) != input_size())
    throw Error("GRUCell: input " + shape_str(x.shape()) + " does not end in input_size " +
                std::to_string(input_size()));
  return linear(x, weight_ih_, bias_ih_);
}

Tensor GRUCell::forward_gates(const Tensor& gi, const Tensor& h) const {
  const int64_t H = hidden_;
  if (gi.dim() != 2 || gi.size(1) != 3 * H || h.dim() != 2 || h.size(1) != H ||
      h.size(0) != gi.size(0))
    throw Error("GRUCell: gates " + shape_str(gi.shape()) + " and state " + shape_str(h.shape()) +
                " do not fit hidden_size " + std::to_string(H));
  Tensor gh = linear(h, weight_hh_, bias_hh_);  // (B, 3H)
  Tensor r = sigmoid(add(gi.slice(1, 0, H), gh.slice(1, 0, H)));
  Tensor z = sigmoid(add(gi.slice(1, H, 2 * H), gh.slice(1, H, 2 * H)));
  Tensor n = tanh(add(gi.slice(1, 2 * H, 3 * H), mul(r, gh.slice(1, 2 * H, 3 * H))));
  return add(n, mul(z, sub(h, n)));  // (1 − z)·n + z·h with one product fewer
}

RnnAttention::RnnAttention(const RnnAttentionConfig& c) : config_(c) {
  if (c.vocab < 4)
    throw Error("rnn_attention: vocab must be at least 4 (pad, bos, eos and one token), got " +
                std::to_string(c.vocab));
  if (c.embed_dim <= 0 || c.hidden <= 0 || c.attention_dim <= 0)
    throw Error("rnn_attention: embed_dim, hidden and attention_dim must be positive");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    throw Error("rnn_attention: dropout must be in [0, 1), got " + std::to_string(c.dropout));
  const int64_t E = c.embed_dim, H = c.hidden, A = c.attention_dim;
  const int64_t C = c.bidirectional ? 2 * H : H;
  src_embed_ = register_module("src_embed", std::make_shared<Embedding>(c.vocab, E));
  tgt_embed_ = register_module("tgt_embed", std::make_shared<Embedding>(c.vocab, E));
  encoder_ = register_module("encoder", std::make_shared<GRUCell>(E, H));
  if (c.bidirectional)
    encoder_reverse_ = register_module("encoder_reverse", std::make_shared<GRUCell>(E, H));
  bridge_ = register_module("bridge", std::make_shared<Linear>(H, H));
  attention_ = register_module("attention", std::make_shared<Scorer>());
  attention_->query = attention_->register_module("query", std::make_shared<Linear>(H, A, false));
  attention_->key = attention_->register_module("key", std::make_shared<Linear>(C, A, false));
  attention_->score = attention_->register_module("score", std::make_shared<Linear>(A, 1, false));
  decoder_ = register_module("decoder", std::make_shared<GRUCell>(E + C, H));
  out_ = register_module("out", std::make_shared<Linear>(H + C + E, c.vocab));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(c.dropout));
}

RnnMemory RnnAttention::encode(const Tensor& src, const Tensor& src_padding) const {
  if (src.dim() != 2)
    throw Error("rnn_attention: src must be (B, S) ids, got " + shape_str(src.shape()));
  const int64_t B = src.size(0), S = src.size(1), H = config_.hidden;
  if (S == 0) throw Error("rnn_attention: empty source");
  Tensor keep;  // (B, S) 1 at real tokens, 0 at padding
  RnnMemory m;
  if (src_padding.defined()) {
    if (src_padding.shape() != src.shape())
      throw Error("rnn_attention: src_padding " + shape_str(src_padding.shape()) +
                  " does not match src " + shape_str(src.shape()));
    NoGradGuard no_grad;
    Tensor pad = Tensor::zeros({B, S});
    std::vector<int64_t> p = src_padding.to_ints();
    float* pp = pad.data<float>();
    for (int64_t i = 0; i < B * S; ++i) pp[i] = p[i] != 0 ? 1.0f : 0.0f;
    keep = add(neg(pad), 1.0f);
    m.mask = masked_fill(Tensor::zeros({B, S}), pad, -std::numeric_limits<float>::infinity());
  }
  Tensor x = dropout_->forward(src_embed_->forward(src));  // (B, S, E)
  // Runs one direction; a padded step keeps the previous state, so padding changes nothing.
  auto run = [&](const GRUCell& cell, bool reverse) {
    Tensor gi = cell.input_gates(x);  // (B, S, 3H)
    Tensor h = Tensor::zeros({B, H});
    std::vector<Tensor> outs(S);
    for (int64_t k = 0; k < S; ++k) {
      const int64_t t = reverse ? S - 1 - k : k;
      Tensor next = cell.forward_gates(select(gi, 1, t), h);
      h = keep.defined() ? where(keep.slice(1, t, t + 1), next, h) : next;
      outs[t] = h;
    }
    return std::make_pair(stack(outs, 1), h);  // (B, S, H), final (B, H)
  };
  auto [fwd, fwd_final] = run(*encoder_, false);
  Tensor final_state = fwd_final;
  m.annotations = fwd;
  if (encoder_reverse_) {
    auto [bwd, bwd_final] = run(*encoder_reverse_, true);
    m.annotations = concat({fwd, bwd}, 2);
    final_state = bwd_final;
  }
  m.keys = attention_->key->forward(m.annotations);
  m.initial = tanh(bridge_->forward(final_state));
  return m;
}

std::pair<Tensor, Tensor> RnnAttention::attend(const Tensor& s, const RnnMemory& memory) const {
  const int64_t B = s.size(0), S = memory.keys.size(1);
  Tensor q = unsqueeze(attention_->query->forward(s), 1);                         // (B, 1, A)
  Tensor e = attention_->score->forward(tanh(add(q, memory.keys))).view({B, S});  // (B, S)
  Tensor alpha = softmax(e, memory.mask);
  Tensor context = squeeze(matmul(unsqueeze(alpha, 1), memory.annotations), 1);  // (B, C)
  return {context, alpha};
}

RnnStepOutput RnnAttention::step(const Tensor& prev, const Tensor& state,
                                 const RnnMemory& memory) const {
  if (prev.dim() != 1 || state.dim() != 2 || prev.size(0) != state.size(0) ||
      state.size(0) != memory.keys.size(0))
    throw Error("rnn_attention: step needs prev (B,) and state (B, H) for the memory's " +
                std::to_string(memory.keys.size(0)) + " rows, got " + shape_str(prev.shape()) +
                " and " + shape_str(state.shape()));
  Tensor y = dropout_->forward(tgt_embed_->forward(prev));  // (B, E)
  auto [context, alpha] = attend(state, memory);
  Tensor s = decoder_->forward(concat({y, context}, 1), state);
  Tensor logits = out_->forward(dropout_->forward(concat({s, context, y}, 1)));
  return {s, logits, alpha.detach()};
}

Tensor RnnAttention::forward(const Tensor& src, const Tensor& dec_in, const Tensor& src_padding,
                             Tensor* weights) const {
  if (dec_in.dim() != 2 || dec_in.size(0) != src.size(0))
    throw Error("rnn_attention: dec_in must be (B, T) ids for the source's batch, got " +
                shape_str(dec_in.shape()));
  const int64_t T = dec_in.size(1);
  if (T == 0) throw Error("rnn_attention: empty decoder input");
  RnnMemory m = encode(src, src_padding);
  Tensor y_all = dropout_->forward(tgt_embed_->forward(dec_in));  // (B, T, E)
  Tensor s = m.initial;
  std::vector<Tensor> features(T), alphas(T);
  for (int64_t t = 0; t < T; ++t) {
    Tensor y = select(y_all, 1, t);
    auto [context, alpha] = attend(s, m);
    s = decoder_->forward(concat({y, context}, 1), s);
    features[t] = concat({s, context, y}, 1);
    alphas[t] = alpha.detach();
  }
  if (weights) {
    NoGradGuard no_grad;
    *weights = stack(alphas, 1);
  }
  // One output product for all steps: (B, T, H + C + E) -> (B, T, V).
  return out_->forward(dropout_->forward(stack(features, 1)));
}

}  // namespace heed
