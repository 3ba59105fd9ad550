#include "train/classifier_task_model.h"

#include <algorithm>

#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/classifier.h"
#include "models/tree_encoder.h"

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

// The fields both classifier configs (sequence and tree) take from the config and the task.
template <class ModelConfig>
void set_shared_fields(ModelConfig& k, const Config& c, const TreeTask& task) {
  k.vocab = task.vocab();
  k.num_classes = task.num_classes();
  k.d_model = c.model.d_model;
  k.heads = c.model.heads;
  k.d_ff = c.model.d_ff;
  k.layers = c.model.encoder_layers;
  k.dropout = static_cast<float>(c.model.dropout);
  k.attention = c.model.attention.type;
  for (const auto& [key, v] : c.model.attention.options) k.attention_options.set(key, v);
  k.pooling = c.model.pooling;
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
    const int64_t B = static_cast<int64_t>(examples.size());
    int64_t T = 1;
    for (const Example& e : examples) T = std::max<int64_t>(T, e.source.size());
    std::vector<int64_t> ids(B * T, kPad), pad(B * T, 1);
    for (int64_t b = 0; b < B; ++b)
      for (std::size_t i = 0; i < examples[b].source.size(); ++i) {
        ids[b * T + i] = examples[b].source[i];
        pad[b * T + i] = 0;
      }
    return model_.forward(Tensor::from_ints(ids, {B, T}), Tensor::from_ints(pad, {B, T}));
  }

 private:
  static ClassifierConfig classifier_config(const Config& c, const TreeTask& task) {
    ClassifierConfig k;
    set_shared_fields(k, c, task);
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
    set_shared_fields(k, c, task);
    k.composition = c.model.composition;
    k.position = c.model.position;
    k.max_depth = c.model.max_depth;
    k.max_branch = c.model.max_branch;
    return k;
  }
  TreeClassifier model_;
};

}  // namespace

std::unique_ptr<TaskModel> make_classifier_task_model(const Config& config, const TreeTask& task) {
  if (task.target_kind() != TargetKind::kClass)
    throw ConfigError("model.type: " + config.model.type + " classifies; task '" + task.name() +
                      "' has sequence targets");
  if (config.model.type == "classifier")
    return std::make_unique<SequenceClassTaskModel>(config, task);
  if (config.model.type == "tree_encoder")
    return std::make_unique<TreeClassTaskModel>(config, task);
  throw ConfigError("model.type: '" + config.model.type + "' does not classify");
}

}  // namespace heed
