// The task model of `model.type: rnn`: the GRU encoder–decoder with attention of Bahdanau et al.
// (2015) (models/rnn_attention.h) over any sequence task, trained and decoded as seq2seq is
// (source → [BOS] target → target EOS). From the config: d_model is the GRU's hidden size and
// the embeddings' width, encoder_layers and decoder_layers the stacked GRU layers, dropout, and
// model.attention its one-head cross-attention (additive unless the config names another).
#include "train/model_registry.h"

#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/rnn_stepper.h"
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

// model.type rnn (models/rnn_attention.h), every width C = d_model: GRU layers of 6C² + 6C
// (the decoder's first reads 2C), a bridge to every decoder layer, an attention of at most 4C² +
// 5C (additive's), embeddings and the deep output (V, 3C).
MemoryEstimate estimate_rnn(const Config& config, int64_t vocab) {
  const ModelConfig& m = config.model;
  const double C = static_cast<double>(m.d_model), V = static_cast<double>(vocab);
  const double enc = static_cast<double>(m.encoder_layers),
               dec = static_cast<double>(m.decoder_layers);
  const double gru = 6 * C * C + 6 * C;
  double params = (enc + dec) * gru + 3 * C * C;  // the decoder's first layer also reads c_i
  params += dec * (C * C + C) + 4 * C * C + 5 * C + 2 * V * C + 3 * V * C + V;

  // Per example and position, what backward keeps: a GRU step's gates, products and state
  // (~16 C) per layer; per decoder step an attention over all S source positions (the additive
  // variant's keys, values, energies and their tanh, with the copies and gradients backward
  // makes of them: ~8 C + 3 per position); features, logits and embeddings.
  const double B = static_cast<double>(config.train.batch_size);
  const double S = static_cast<double>(config.task.max_len), T = S + 2;
  double activations = B * (enc * S + dec * T) * 16 * C;
  activations += B * T * S * (8 * C + 3) + B * T * (3 * V + 6 * C) + B * S * C;

  return float32_estimate(params, activations);
}

ModelType rnn_type() {
  ModelType t;
  t.name = "rnn";
  t.description =
      "GRU encoder-decoder with attention (Bahdanau et al. 2015): stacked GRU layers, "
      "cross-attention any variant with capability cross, additive by default";
  // A GRU has no heads, feed-forward or positions; its attention has one head.
  t.keys = [](const ModelConfig&) {
    return std::vector<std::string>{"d_model", "encoder_layers", "decoder_layers", "dropout",
                                    "attention"};
  };
  t.refuses = [](const TaskCapabilities& task, const std::string& name, const ModelConfig&) {
    return refuse_class_targets(task, name, "rnn");
  };
  t.check = [](const ModelConfig& m, const AttentionCapabilities& a) -> ModelType::Refusal {
    if (m.encoder_layers < 1) return {"model.encoder_layers", "rnn needs at least 1"};
    if (!a.cross)
      return {"model.attention", "rnn cross-attends to the source; '" + m.attention.type +
                                     "' has no capability cross (heed list attention)"};
    return {};
  };
  t.make = [](const Config& c, const ModelInput& in) -> std::unique_ptr<TaskModel> {
    return std::make_unique<RnnTaskModel>(c, in.vocab);
  };
  t.estimate = estimate_rnn;
  return t;
}

}  // namespace

HEED_REGISTER_MODEL(rnn, rnn_type());

}  // namespace heed
