#include "models/rnn_attention.h"

#include <cmath>

#include "framework/nn/init.h"
#include "framework/ops.h"

namespace heed {
namespace {

// torch's GRU update from the input gates gi = W_i x + b_i (B, 3H) and the state h (B, H).
Tensor gru_update(const Tensor& gi, const Tensor& h, const Tensor& weight_hh,
                  const Tensor& bias_hh) {
  const int64_t H = h.size(1);
  Tensor gh = linear(h, weight_hh, bias_hh);  // (B, 3H)
  Tensor r = sigmoid(add(gi.slice(1, 0, H), gh.slice(1, 0, H)));
  Tensor z = sigmoid(add(gi.slice(1, H, 2 * H), gh.slice(1, H, 2 * H)));
  Tensor n = tanh(add(gi.slice(1, 2 * H, 3 * H), mul(r, gh.slice(1, 2 * H, 3 * H))));
  return add(n, mul(z, sub(h, n)));  // (1 − z)·n + z·h with one product fewer
}

void check_sizes(int64_t input_size, int64_t hidden_size, const char* who) {
  if (input_size <= 0 || hidden_size <= 0)
    throw Error(std::string(who) + ": input_size and hidden_size must be positive, got " +
                std::to_string(input_size) + " and " + std::to_string(hidden_size));
}

// (B, S) padding, nonzero at padding -> (B, S) float, 1 at real positions, 0 at padding.
Tensor keep_mask(const Tensor& padding) {
  NoGradGuard no_grad;
  std::vector<int64_t> p = padding.to_ints();
  std::vector<float> keep(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) keep[i] = p[i] != 0 ? 0.0f : 1.0f;
  return Tensor::from_vector(keep, padding.shape());
}

}  // namespace

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size) : hidden_(hidden_size) {
  check_sizes(input_size, hidden_size, "GRUCell");
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
  return gru_update(gi, h, weight_hh_, bias_hh_);
}

GRU::GRU(int64_t input_size, int64_t hidden_size, int64_t layers, bool bidirectional, float dropout)
    : hidden_(hidden_size), bidirectional_(bidirectional), dropout_(dropout) {
  check_sizes(input_size, hidden_size, "GRU");
  if (layers < 1) throw Error("GRU: layers must be at least 1, got " + std::to_string(layers));
  const int64_t H = hidden_size, D = bidirectional ? 2 : 1;
  const float bound = 1.0f / std::sqrt(static_cast<float>(H));  // torch's reset_parameters
  for (int64_t k = 0; k < layers; ++k) {
    cells_.emplace_back();
    const int64_t in = k == 0 ? input_size : D * H;
    for (int64_t d = 0; d < D; ++d) {
      const std::string suffix = "_l" + std::to_string(k) + (d == 1 ? "_reverse" : "");
      Cell& c = cells_.back()[d];
      c.weight_ih = register_parameter("weight_ih" + suffix, Tensor::empty({3 * H, in}));
      c.weight_hh = register_parameter("weight_hh" + suffix, Tensor::empty({3 * H, H}));
      c.bias_ih = register_parameter("bias_ih" + suffix, Tensor::empty({3 * H}));
      c.bias_hh = register_parameter("bias_hh" + suffix, Tensor::empty({3 * H}));
      for (const Tensor& p : {c.weight_ih, c.weight_hh, c.bias_ih, c.bias_hh})
        uniform_(p, -bound, bound);
    }
  }
}

std::pair<Tensor, Tensor> GRU::run(const Cell& cell, const Tensor& gi, const Tensor& keep,
                                   bool reverse) const {
  const int64_t B = gi.size(0), S = gi.size(1);
  Tensor h = Tensor::zeros({B, hidden_});
  std::vector<Tensor> outs(S);
  for (int64_t k = 0; k < S; ++k) {
    const int64_t t = reverse ? S - 1 - k : k;
    Tensor next = gru_update(select(gi, 1, t), h, cell.weight_hh, cell.bias_hh);
    h = keep.defined() ? where(keep.slice(1, t, t + 1), next, h) : next;
    outs[t] = h;
  }
  return {stack(outs, 1), h};
}

GRU::Output GRU::forward(const Tensor& x, const Tensor& keep) const {
  if (x.dim() != 3 || x.size(1) == 0 || x.size(2) != cells_[0][0].weight_ih.size(1))
    throw Error("GRU: input must be (B, S > 0, " + std::to_string(cells_[0][0].weight_ih.size(1)) +
                "), got " + shape_str(x.shape()));
  Output out;
  for (std::size_t k = 0; k < cells_.size(); ++k) {
    // Layer k > 0 reads the one below through dropout, as torch's.
    const Tensor in = k == 0 ? x : dropout(out.outputs, dropout_, is_training());
    const Cell& f = cells_[k][0];
    // The input side of every position in one product: (B, S, I) -> (B, S, 3H).
    auto [fwd, fwd_final] = run(f, linear(in, f.weight_ih, f.bias_ih), keep, false);
    out.outputs = fwd;
    out.final = fwd_final;
    if (bidirectional_) {
      const Cell& r = cells_[k][1];
      auto [bwd, bwd_final] = run(r, linear(in, r.weight_ih, r.bias_ih), keep, true);
      out.outputs = concat({fwd, bwd}, 2);
      out.final = concat({fwd_final, bwd_final}, 1);
    }
  }
  return out;
}

Tensor GRU::step(const Tensor& x, const Tensor& state) const {
  if (bidirectional_) throw Error("GRU: step() needs a one-way GRU");
  const int64_t L = layers();
  if (state.dim() != 3 || state.size(1) != L || state.size(2) != hidden_ || x.dim() != 2 ||
      x.size(0) != state.size(0))
    throw Error("GRU: step needs x (B, I) and state (B, " + std::to_string(L) + ", " +
                std::to_string(hidden_) + "), got " + shape_str(x.shape()) + " and " +
                shape_str(state.shape()));
  std::vector<Tensor> next(L);
  Tensor in = x;
  for (int64_t k = 0; k < L; ++k) {
    const Cell& c = cells_[k][0];
    if (k > 0) in = dropout(in, dropout_, is_training());
    next[k] =
        gru_update(linear(in, c.weight_ih, c.bias_ih), select(state, 1, k), c.weight_hh, c.bias_hh);
    in = next[k];
  }
  return stack(next, 1);
}

RnnAttention::RnnAttention(const RnnAttentionConfig& c) : config_(c) {
  if (c.vocab < 4)
    throw Error("rnn_attention: vocab must be at least 4 (pad, bos, eos and one token), got " +
                std::to_string(c.vocab));
  if (c.embed_dim <= 0 || c.hidden <= 0 || c.encoder_layers < 1 || c.decoder_layers < 1)
    throw Error("rnn_attention: embed_dim, hidden and the layers must be positive");
  if (c.bidirectional && c.hidden % 2 != 0)
    throw Error("rnn_attention: a bidirectional encoder splits hidden in two halves; " +
                std::to_string(c.hidden) + " is odd");
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    throw Error("rnn_attention: dropout must be in [0, 1), got " + std::to_string(c.dropout));
  const int64_t E = c.embed_dim, H = c.hidden, L = c.decoder_layers;
  src_embed_ = register_module("src_embed", std::make_shared<Embedding>(c.vocab, E));
  tgt_embed_ = register_module("tgt_embed", std::make_shared<Embedding>(c.vocab, E));
  encoder_ = register_module("encoder",
                             std::make_shared<GRU>(E, c.bidirectional ? H / 2 : H, c.encoder_layers,
                                                   c.bidirectional, c.dropout));
  bridge_ = register_module("bridge", std::make_shared<Linear>(H, L * H));
  attention_ = register_module(
      "attention",
      make_attention(c.attention, AttentionConfig{H, 1, c.dropout, c.attention_options}));
  if (!attention_->capabilities().cross)
    throw Error("rnn_attention: attention '" + c.attention +
                "' cannot attend across sequences (capability cross)");
  decoder_ = register_module("decoder", std::make_shared<GRU>(E + H, H, L, false, c.dropout));
  out_ = register_module("out", std::make_shared<Linear>(2 * H + E, c.vocab));
  dropout_ = register_module("dropout", std::make_shared<Dropout>(c.dropout));
}

RnnMemory RnnAttention::encode(const Tensor& src, const Tensor& src_padding) const {
  if (src.dim() != 2 || src.size(1) == 0)
    throw Error("rnn_attention: src must be (B, S > 0) ids, got " + shape_str(src.shape()));
  const int64_t B = src.size(0), L = config_.decoder_layers, H = config_.hidden;
  RnnMemory m;
  Tensor keep;  // (B, S) 1 at real tokens, 0 at padding
  if (src_padding.defined()) {
    if (src_padding.shape() != src.shape())
      throw Error("rnn_attention: src_padding " + shape_str(src_padding.shape()) +
                  " does not match src " + shape_str(src.shape()));
    m.padding = src_padding;
    keep = keep_mask(src_padding);
  }
  GRU::Output enc = encoder_->forward(dropout_->forward(src_embed_->forward(src)), keep);
  m.annotations = enc.outputs;                                    // (B, S, H)
  m.initial = tanh(bridge_->forward(enc.final)).view({B, L, H});  // (B, L·H) -> (B, L, H)
  return m;
}

RnnAttention::Attended RnnAttention::attend(const Tensor& query, const RnnMemory& memory,
                                            int64_t position, bool want_weights) const {
  const int64_t B = query.size(0), S = memory.annotations.size(1);
  AttentionContext ctx;
  ctx.key_padding = memory.padding;
  ctx.query_offset = position;
  ctx.need_weights = want_weights;
  // (B, 1, H) over keys and values (B, S, H) -> (B, 1, H), weights (B, 1, 1, S).
  AttentionOutput a =
      attention_->forward(unsqueeze(query, 1), memory.annotations, memory.annotations, ctx);
  Attended out{squeeze(a.out, 1), Tensor()};
  if (want_weights && a.weights.defined()) out.weights = reshape(a.weights.detach(), {B, S});
  return out;
}

RnnAttention::Stepped RnnAttention::advance(const Tensor& y, const Tensor& state,
                                            const RnnMemory& memory, int64_t position,
                                            bool want_weights) const {
  Attended a = attend(select(state, 1, -1), memory, position, want_weights);  // query sᴸ_{i-1}
  Tensor next = decoder_->step(concat({y, a.context}, 1), state);
  Tensor top = select(next, 1, -1);
  return {next, concat({top, a.context, y}, 1), a};
}

RnnStepOutput RnnAttention::step(const Tensor& prev, const Tensor& state, const RnnMemory& memory,
                                 int64_t position) const {
  const int64_t B = memory.annotations.size(0);
  if (prev.dim() != 1 || prev.size(0) != B || state.dim() != 3 || state.size(0) != B)
    throw Error("rnn_attention: step needs prev (B,) and state (B, L, H) for the memory's " +
                std::to_string(B) + " rows, got " + shape_str(prev.shape()) + " and " +
                shape_str(state.shape()));
  Tensor y = dropout_->forward(tgt_embed_->forward(prev));  // (B, E)
  Stepped s = advance(y, state, memory, position, true);
  Tensor logits = out_->forward(dropout_->forward(s.features));
  return {s.state, logits, s.attended.weights};
}

Tensor RnnAttention::forward(const Tensor& src, const Tensor& dec_in, const Tensor& src_padding,
                             Tensor* weights) const {
  if (dec_in.dim() != 2 || dec_in.size(0) != src.size(0) || dec_in.size(1) == 0)
    throw Error("rnn_attention: dec_in must be (B, T > 0) ids for the source's batch, got " +
                shape_str(dec_in.shape()));
  const int64_t T = dec_in.size(1);
  RnnMemory m = encode(src, src_padding);
  Tensor y_all = dropout_->forward(tgt_embed_->forward(dec_in));  // (B, T, E)
  Tensor state = m.initial;
  std::vector<Tensor> features(T), alphas(T);
  bool have_weights = weights != nullptr;
  for (int64_t t = 0; t < T; ++t) {
    Stepped s = advance(select(y_all, 1, t), state, m, t, weights != nullptr);
    state = s.state;
    features[t] = s.features;
    alphas[t] = s.attended.weights;
    have_weights = have_weights && alphas[t].defined();
  }
  if (weights) {
    NoGradGuard no_grad;
    *weights = have_weights ? stack(alphas, 1) : Tensor();  // (B, T, S)
  }
  // One output product for all steps: (B, T, 2H + E) -> (B, T, V).
  return out_->forward(dropout_->forward(stack(features, 1)));
}

}  // namespace heed
