#include "train/task_model.h"

#include <algorithm>
#include <map>

#include "datasets/tree_tasks.h"
#include "framework/ops.h"
#include "models/decoding.h"
#include "models/seq2seq_stepper.h"
#include "train/model_registry.h"
#include "train/seq2seq_task_base.h"
#include "train/tree_encoder_options.h"
#include "train/tree_seq2seq_task_model.h"

namespace heed {
namespace {

TransformerConfig transformer_config(const Config& c, int64_t vocab) {
  TransformerConfig t;
  t.vocab = vocab;
  set_transformer_fields(t, c.model);
  t.encoder_layers = c.model.encoder_layers;
  t.decoder_layers = c.model.decoder_layers;
  t.position = c.model.position;
  t.max_len = c.model.max_len;
  return t;
}

class Seq2SeqTaskModel final : public Seq2SeqTaskBase<Seq2Seq, Seq2SeqStepper> {
 public:
  Seq2SeqTaskModel(const Config& c, int64_t vocab)
      : Seq2SeqTaskBase(transformer_config(c, vocab)) {}

  std::vector<Tensor> attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    Seq2SeqBatch b = make_seq2seq_batch({e});
    return model_.encoder_attention(b.src, b.src_pad);
  }

  // dec_in is [BOS, target]: T + 1 steps, the last one writing EOS.
  CrossAttentionMaps cross_attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    NoGradGuard no_grad;
    Seq2SeqBatch b = make_seq2seq_batch({e});
    return {model_.cross_attention(b.dec_in, model_.encode(b.src, b.src_pad), b.src_pad),
            output_step_labels(id_labels(e.target)), id_labels(e.source)};
  }
};

// Decoder-only: "source BOS target EOS"; loss on the target and EOS only.
class DecoderTaskModel final : public TaskModel {
 public:
  DecoderTaskModel(const Config& c, int64_t vocab) : model_(transformer_config(c, vocab)) {}
  Module& module() override { return model_; }

  Tensor loss(const std::vector<Example>& examples, float smoothing, int64_t* tokens) override {
    const int64_t B = static_cast<int64_t>(examples.size());
    const int64_t L = padded_length(examples, [](const Example& e) {
      return static_cast<int64_t>(e.source.size() + e.target.size() + 1);
    });
    std::vector<int64_t> inp(B * L, kPad), lab(B * L, kPad);
    int64_t count = 0;
    for (int64_t b = 0; b < B; ++b) {
      std::vector<int64_t> seq = examples[b].source;
      seq.push_back(kBos);
      const std::size_t first_target = seq.size();
      seq.insert(seq.end(), examples[b].target.begin(), examples[b].target.end());
      seq.push_back(kEos);
      for (std::size_t i = 0; i + 1 < seq.size(); ++i) {
        inp[b * L + i] = seq[i];
        if (i + 1 >= first_target) {
          lab[b * L + i] = seq[i + 1];
          ++count;
        }
      }
    }
    if (tokens) *tokens = count;
    Tensor logits = model_.forward(Tensor::from_ints(inp, {B, L}));
    return cross_entropy(logits, Tensor::from_ints(lab, {B, L}),
                         {.ignore_index = kPad, .label_smoothing = smoothing});
  }

  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions& opts) override {
    // DecoderLM has no key padding: decode prompts of equal length together.
    std::map<std::size_t, std::vector<std::size_t>> by_length;
    for (std::size_t i = 0; i < examples.size(); ++i)
      by_length[examples[i].source.size()].push_back(i);
    std::vector<Hypothesis> out(examples.size());
    for (const auto& [len, rows] : by_length) {
      std::vector<int64_t> prompt;
      for (std::size_t r : rows) {
        prompt.insert(prompt.end(), examples[r].source.begin(), examples[r].source.end());
        prompt.push_back(kBos);
      }
      DecoderLMStepper stepper(model_);
      const int64_t n = static_cast<int64_t>(rows.size()), width = static_cast<int64_t>(len) + 1;
      std::vector<Hypothesis> hyps = decode(stepper, Tensor::from_ints(prompt, {n, width}), opts);
      for (std::size_t k = 0; k < rows.size(); ++k) out[rows[k]] = std::move(hyps[k]);
    }
    return out;
  }

  // Over the sequence the model reads when trained: source BOS target (EOS is only a label).
  std::vector<Tensor> attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    std::vector<int64_t> seq = e.source;
    seq.push_back(kBos);
    seq.insert(seq.end(), e.target.begin(), e.target.end());
    return model_.self_attention(Tensor::from_ints(seq, {1, static_cast<int64_t>(seq.size())}));
  }

 private:
  DecoderLM model_;
};

}  // namespace

std::vector<std::string> id_labels(const std::vector<int64_t>& ids) {
  std::vector<std::string> out;
  for (int64_t t : ids) out.push_back(std::to_string(t));
  return out;
}

std::vector<std::string> output_step_labels(std::vector<std::string> output) {
  output.push_back("$");
  return output;
}

std::unique_ptr<TaskModel> make_task_model(const Config& config, int64_t vocab) {
  return model_type(config.model.type).make(config, {vocab, nullptr});
}

std::unique_ptr<TaskModel> make_task_model(const Config& config, const Task& task) {
  const ModelType& type = model_type(config.model.type);
  ModelType::Refusal r = type.refuses(capabilities_of(task), task.name(), config.model);
  if (!r.key.empty()) throw ConfigError(r.key + ": " + r.why);
  return type.make(config, {task.vocab(), &task});
}

namespace {

ModelType seq2seq_type() {
  ModelType t;
  t.name = "seq2seq";
  t.description =
      "pre-LayerNorm encoder-decoder transformer (the reference Seq2SeqModel); with encoder: "
      "tree, a tree encoder reads the source tree (tasks over trees)";
  t.keys = [](const ModelConfig& m) {
    std::vector<std::string> keys = transformer_keys();
    keys.insert(keys.end(), {"encoder_layers", "decoder_layers", "encoder"});
    if (m.encoder == "tree") {
      const std::vector<std::string> tree = tree_encoder_keys();
      keys.insert(keys.end(), tree.begin(), tree.end());
    }
    return keys;
  };
  t.refuses = [](const TaskCapabilities& task, const std::string& name,
                 const ModelConfig& m) -> ModelType::Refusal {
    if (m.encoder == "tree" && !task.tree_source)
      return {
          "model.encoder",
          "a tree encoder needs a task whose sources are trees (heed list tasks); task is " + name};
    return refuse_class_targets(task, name, "seq2seq");
  };
  t.check = [](const ModelConfig& m, const AttentionCapabilities& a) -> ModelType::Refusal {
    if (m.encoder_layers < 1) return {"model.encoder_layers", "seq2seq needs at least 1"};
    return m.encoder == "tree" ? tree_encoder_rules(m) : token_transformer_rules(m, a);
  };
  t.make = [](const Config& c, const ModelInput& in) -> std::unique_ptr<TaskModel> {
    if (c.model.encoder != "tree") return std::make_unique<Seq2SeqTaskModel>(c, in.vocab);
    const auto* tree_task = dynamic_cast<const TreeTask*>(in.task);
    if (!tree_task) throw ConfigError("model.encoder: tree needs a task whose sources are trees");
    return make_tree_seq2seq_task_model(c, *tree_task);
  };
  t.estimate = [](const Config& c, int64_t vocab) {
    return estimate_transformer(c, vocab, static_cast<double>(c.model.encoder_layers),
                                static_cast<double>(c.model.decoder_layers),
                                static_cast<double>(c.task.max_len) + 2);
  };
  return t;
}

ModelType decoder_type() {
  ModelType t;
  t.name = "decoder";
  t.description = "decoder-only causal LM over 'source BOS target EOS' (the reference CausalLM)";
  t.keys = [](const ModelConfig&) {
    std::vector<std::string> keys = transformer_keys();
    keys.push_back("decoder_layers");
    return keys;
  };
  t.refuses = [](const TaskCapabilities& task, const std::string& name, const ModelConfig&) {
    return refuse_class_targets(task, name, "decoder");
  };
  t.check = token_transformer_rules;
  t.make = [](const Config& c, const ModelInput& in) -> std::unique_ptr<TaskModel> {
    return std::make_unique<DecoderTaskModel>(c, in.vocab);
  };
  // It reads source and target as one sequence.
  t.estimate = [](const Config& c, int64_t vocab) {
    return estimate_transformer(c, vocab, static_cast<double>(c.model.decoder_layers), 0,
                                2 * static_cast<double>(c.task.max_len) + 3);
  };
  return t;
}

}  // namespace

HEED_REGISTER_MODEL(seq2seq, seq2seq_type());
HEED_REGISTER_MODEL(decoder, decoder_type());

}  // namespace heed
