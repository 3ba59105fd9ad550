#include "train/rnn_task_model.h"

#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/rnn_attention.h"
#include "train/seq2seq_task_base.h"

namespace heed {
namespace {

RnnAttentionConfig rnn_config(const Config& c, int64_t vocab) {
  RnnAttentionConfig r;
  r.vocab = vocab;
  r.embed_dim = r.hidden = c.model.d_model;
  r.encoder_layers = c.model.encoder_layers;
  r.decoder_layers = c.model.decoder_layers;
  r.dropout = static_cast<float>(c.model.dropout);
  r.attention = c.model.attention.type;
  for (const auto& [k, v] : c.model.attention.options) r.attention_options.set(k, v);
  return r;
}

class RnnTaskModel final : public Seq2SeqTaskBase<RnnAttention, RnnAttentionStepper> {
 public:
  RnnTaskModel(const Config& c, int64_t vocab) : Seq2SeqTaskBase(rnn_config(c, vocab)) {}

  // A GRU encoder has no self-attention to show.
  std::vector<Tensor> attention_maps(const Example&) override { return {}; }

  // The one attention, as one layer of one head: (1, T + 1, S) -> (1, 1, T + 1, S).
  CrossAttentionMaps cross_attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    NoGradGuard no_grad;
    Seq2SeqBatch b = make_seq2seq_batch({e});
    Tensor weights;
    model_.forward(b.src, b.dec_in, b.src_pad, &weights);
    if (weights.defined()) weights = unsqueeze(weights, 1);
    return {{weights}, output_step_labels(id_labels(e.target)), id_labels(e.source)};
  }
};

}  // namespace

std::unique_ptr<TaskModel> make_rnn_task_model(const Config& config, int64_t vocab) {
  return std::make_unique<RnnTaskModel>(config, vocab);
}

}  // namespace heed
