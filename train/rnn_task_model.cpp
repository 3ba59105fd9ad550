#include "train/rnn_task_model.h"

#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/rnn_attention.h"

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

class RnnTaskModel final : public TaskModel {
 public:
  RnnTaskModel(const Config& c, int64_t vocab) : model_(rnn_config(c, vocab)) {}
  Module& module() override { return model_; }

  Tensor loss(const std::vector<Example>& examples, float smoothing, int64_t* tokens) override {
    Seq2SeqBatch b = make_seq2seq_batch(examples);
    if (tokens) *tokens = b.target_tokens;
    Tensor logits = model_.forward(b.src, b.dec_in, b.src_pad);
    return cross_entropy(logits, b.labels, {.ignore_index = kPad, .label_smoothing = smoothing});
  }

  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions& opts) override {
    Seq2SeqBatch b = make_seq2seq_batch(examples);
    RnnAttentionStepper stepper(model_, b.src, b.src_pad);
    return decode(stepper, bos_prefix(b.src.size(0)), opts);
  }

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

 private:
  RnnAttention model_;
};

}  // namespace

std::unique_ptr<TaskModel> make_rnn_task_model(const Config& config, int64_t vocab) {
  return std::make_unique<RnnTaskModel>(config, vocab);
}

}  // namespace heed
