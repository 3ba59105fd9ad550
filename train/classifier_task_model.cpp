// Task models for tasks with class targets over trees: the sequence Classifier over the
// flat token sequences, and the TreeClassifier over the trees rebuilt from them
// (TreeTask::to_tree), so both read exactly the same examples. Loss: cross-entropy over the
// classes; an output is the argmax class, one "token" long, so evaluation's exact-sequence
// accuracy is the classification accuracy.
// Model types classifier and tree_encoder.
#include <algorithm>

#include "datasets/tree_tasks.h"
#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/classifier.h"
#include "models/tree_encoder.h"
#include "train/model_registry.h"
#include "train/tree_encoder_options.h"

namespace heed {
namespace {

Tensor class_labels(const std::vector<Example>& examples) {
  std::vector<int64_t> labels;
  for (const Example& e : examples) {
    if (e.target.size() != 1) throw Error("classifier: an example's target is not one class");
    labels.push_back(e.target[0]);
  }
  return Tensor::from_ints(labels, {static_cast<int64_t>(labels.size())});
}

// The argmax class of each row of logits (B, K), with its log-probability.
std::vector<Hypothesis> argmax_classes(const Tensor& logits) {
  const int64_t B = logits.size(0), K = logits.size(1);
  const std::vector<float> lp = log_softmax(logits).to_vector();
  std::vector<Hypothesis> out(B);
  for (int64_t b = 0; b < B; ++b) {
    const float* row = lp.data() + b * K;
    const int64_t c = std::max_element(row, row + K) - row;
    out[b].tokens = {c};
    out[b].log_prob = out[b].score = row[c];
    out[b].finished = true;
  }
  return out;
}

class ClassTaskModel : public TaskModel {
 public:
  explicit ClassTaskModel(const TreeTask& task) : task_(task) {}
  bool classifies() const override { return true; }

  Tensor loss(const std::vector<Example>& examples, float smoothing, int64_t* tokens) override {
    if (tokens) *tokens = static_cast<int64_t>(examples.size());
    return cross_entropy(logits(examples), class_labels(examples), {.label_smoothing = smoothing});
  }
  // One class per example whatever the strategy: there is nothing to search over.
  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions&) override {
    EvalModeScope eval(module());
    NoGradGuard no_grad;
    return argmax_classes(logits(examples));
  }

 protected:
  virtual Tensor logits(const std::vector<Example>& examples) = 0;
  const TreeTask& task_;
};

// The sequence baseline: tokens (B, T) padded with kPad.
class SequenceClassTaskModel final : public ClassTaskModel {
 public:
  SequenceClassTaskModel(const Config& c, const TreeTask& task)
      : ClassTaskModel(task), model_(classifier_config(c, task)) {}
  Module& module() override { return model_; }

  std::vector<Tensor> attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    const int64_t T = static_cast<int64_t>(e.source.size());
    return model_.encoder_attention(Tensor::from_ints(e.source, {1, T}));
  }
  std::vector<std::string> attention_labels(const Example& e) const override {
    std::vector<std::string> out;
    for (int64_t t : e.source) out.push_back(task_.tree_vocab().name(t));
    return out;
  }

 protected:
  Tensor logits(const std::vector<Example>& examples) override {
    PaddedSources src = pad_sources(examples);  // (B, T) tokens and padding
    return model_.forward(src.tokens, src.padding);
  }

 private:
  static ClassifierConfig classifier_config(const Config& c, const TreeTask& task) {
    ClassifierConfig k;
    set_transformer_fields(k, c.model);
    k.vocab = task.vocab();
    k.num_classes = task.num_classes();
    k.layers = c.model.encoder_layers;
    k.pooling = c.model.pooling;
    k.position = c.model.position;
    k.max_len = c.model.max_len;
    return k;
  }
  Classifier model_;
};

// The tree encoder: the flat sources rebuilt into trees, one TreeBatch per call.
class TreeClassTaskModel final : public ClassTaskModel {
 public:
  TreeClassTaskModel(const Config& c, const TreeTask& task)
      : ClassTaskModel(task), model_(tree_config(c, task)) {}
  Module& module() override { return model_; }

  std::vector<Tensor> attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    NoGradGuard no_grad;
    return model_.attention(task_.to_tree_batch({e}));
  }
  // The nodes in pre-order, as the tree encoder's rows are.
  std::vector<std::string> attention_labels(const Example& e) const override {
    return task_.node_names(e.source);
  }

 protected:
  Tensor logits(const std::vector<Example>& examples) override {
    return model_.forward(task_.to_tree_batch(examples));
  }

 private:
  static TreeClassifierConfig tree_config(const Config& c, const TreeTask& task) {
    TreeClassifierConfig k;
    static_cast<TreeEncoderConfig&>(k) = tree_encoder_config(c.model, task.vocab());
    k.num_classes = task.num_classes();
    k.pooling = c.model.pooling;
    return k;
  }
  TreeClassifier model_;
};

// Both read tasks over trees with class targets (the classes and the trees come from the
// TreeTask); the sequence classifier reads the trees' flat tokens.
template <class Model>
ModelType classifying_type(
    const char* name, const char* description, std::vector<std::string> own_keys,
    std::function<ModelType::Refusal(const ModelConfig&, const AttentionCapabilities&)> check) {
  ModelType t;
  t.check = std::move(check);
  t.name = name;
  t.description = description;
  t.keys = [own_keys](const ModelConfig&) {
    std::vector<std::string> keys = transformer_keys();
    keys.insert(keys.end(), own_keys.begin(), own_keys.end());
    return keys;
  };
  t.refuses = [type = std::string(name)](const TaskCapabilities& task, const std::string& task_name,
                                         const ModelConfig&) -> ModelType::Refusal {
    if (task.targets != TargetKind::kClass)
      return {"model.type", type + " classifies; task '" + task_name +
                                "' has sequence targets (use seq2seq or decoder)"};
    if (!task.tree_source)
      return {"model.type", type +
                                " needs a task over trees with class targets (heed list "
                                "tasks); task is " +
                                task_name};
    return {};
  };
  t.make = [type = std::string(name)](const Config& c,
                                      const ModelInput& in) -> std::unique_ptr<TaskModel> {
    const auto* tree_task = dynamic_cast<const TreeTask*>(in.task);
    if (!tree_task) throw ConfigError("model.type: " + type + " needs a task over trees");
    return std::make_unique<Model>(c, *tree_task);
  };
  t.estimate = [](const Config& c, int64_t vocab) {
    return estimate_transformer(c, vocab, static_cast<double>(c.model.encoder_layers), 0,
                                static_cast<double>(c.task.max_len) + 2);
  };
  return t;
}

}  // namespace

HEED_REGISTER_MODEL(classifier,
                    classifying_type<SequenceClassTaskModel>(
                        "classifier",
                        "encoder + pooling + linear head over the flat token sequence "
                        "(classification tasks)",
                        {"encoder_layers", "pooling"},
                        [](const ModelConfig& m, const AttentionCapabilities& a) {
                          ModelType::Refusal r = token_transformer_rules(m, a);
                          if (r.key.empty() && m.pooling == "root")
                            r = {"model.pooling", "root pooling needs model.type tree_encoder"};
                          return r;
                        }));
HEED_REGISTER_MODEL(
    tree_encoder,
    classifying_type<TreeClassTaskModel>(
        "tree_encoder",
        "encoder over a tree's nodes (tree attention, tree positions or bottom-up "
        "child_attention) + root/mean pooling + head (tasks over trees with class "
        "targets)",
        [] {
          std::vector<std::string> keys = tree_encoder_keys();
          keys.insert(keys.begin(), {"encoder_layers", "pooling"});
          return keys;
        }(),
        [](const ModelConfig& m, const AttentionCapabilities&) {
          if (m.pooling == "first")
            return ModelType::Refusal{"model.pooling", "tree_encoder pools root | mean"};
          return tree_encoder_rules(m);
        }));

}  // namespace heed
