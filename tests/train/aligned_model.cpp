// The worked example of docs/adding-a-model.md, registered in the guide tests only: `aligned`
// writes output token i from source token i alone (an embedding and a linear layer, no
// attention), so it learns copy but not reverse. The guide shows this file; a test keeps them
// equal.
#include <algorithm>

#include "datasets/batch.h"
#include "framework/autograd.h"
#include "framework/nn/layers.h"
#include "framework/ops.h"
#include "models/decoding.h"
#include "train/model_registry.h"

namespace heed {
namespace {

class AlignedNet : public Module {
 public:
  AlignedNet(int64_t vocab, int64_t width)
      : embed_(register_module("embed", std::make_shared<Embedding>(vocab, width))),
        out_(register_module("out", std::make_shared<Linear>(width, vocab))) {}
  Tensor forward(const Tensor& ids) const { return out_->forward(embed_->forward(ids)); }

 private:
  std::shared_ptr<Embedding> embed_;
  std::shared_ptr<Linear> out_;
};

class AlignedTaskModel : public TaskModel {
 public:
  AlignedTaskModel(int64_t vocab, int64_t width) : net_(vocab, width) {}
  Module& module() override { return net_; }

  // Position i reads source token i (kPad past the end) and is trained to write target token i,
  // then EOS; positions after that are ignored.
  Tensor loss(const std::vector<Example>& examples, float label_smoothing,
              int64_t* tokens) override {
    int64_t width = 0;
    for (const Example& e : examples)
      width = std::max<int64_t>(width, std::max(e.source.size(), e.target.size() + 1));
    std::vector<int64_t> ids, labels;
    *tokens = 0;
    for (const Example& e : examples) {
      std::vector<int64_t> row = e.source, want = e.target;
      row.resize(width, kPad);
      want.push_back(kEos);
      *tokens += static_cast<int64_t>(want.size());
      want.resize(width, -100);  // CrossEntropyOptions' ignore_index
      ids.insert(ids.end(), row.begin(), row.end());
      labels.insert(labels.end(), want.begin(), want.end());
    }
    const int64_t B = static_cast<int64_t>(examples.size());
    Tensor logits = net_.forward(Tensor::from_ints(ids, {B, width}));  // (B, width, V)
    return cross_entropy(logits, Tensor::from_ints(labels, {B, width}), {-100, label_smoothing});
  }

  // The argmax at each position, up to the first EOS: greedy whatever `opts` asks.
  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions& opts) override {
    EvalModeScope eval(net_);
    NoGradGuard no_grad;
    std::vector<Hypothesis> out;
    for (const Example& e : examples) {
      std::vector<int64_t> row = e.source;
      row.push_back(kPad);  // the position after the source, where EOS is due
      const int64_t n = static_cast<int64_t>(row.size());
      std::vector<float> logits = net_.forward(Tensor::from_ints(row, {1, n})).to_vector();
      const int64_t V = static_cast<int64_t>(logits.size()) / n;
      Hypothesis h;
      // At most opts.max_len steps, EOS included: the last one may only finish.
      for (int64_t i = 0; i < n && i < opts.max_len; ++i) {
        auto scores = logits.begin() + i * V;
        const int64_t token = std::max_element(scores, scores + V) - scores;
        if (token == kEos) {
          h.finished = true;
          break;
        }
        if (i + 1 == opts.max_len) break;
        h.tokens.push_back(token);
      }
      out.push_back(h);
    }
    return out;
  }

  std::vector<Tensor> attention_maps(const Example&) override { return {}; }  // none

 private:
  AlignedNet net_;
};

ModelType aligned_type() {
  ModelType t;
  t.name = "aligned";
  t.description = "output token i from source token i alone (no attention)";
  t.keys = [](const ModelConfig&) { return std::vector<std::string>{"d_model"}; };
  t.refuses = [](const TaskCapabilities& task, const std::string& name,
                 const ModelConfig&) -> ModelType::Refusal {
    if (task.targets == TargetKind::kClass)
      return {"model.type", "aligned writes sequences; task '" + name + "' has class targets"};
    return {};
  };
  t.make = [](const Config& c, const ModelInput& in) -> std::unique_ptr<TaskModel> {
    return std::make_unique<AlignedTaskModel>(in.vocab, c.model.d_model);
  };
  // Embedding and output layer; per position the embedding and the logits with their softmax.
  t.estimate = [](const Config& c, int64_t vocab) {
    const double C = static_cast<double>(c.model.d_model), V = static_cast<double>(vocab);
    const double positions =
        static_cast<double>(c.train.batch_size) * static_cast<double>(c.task.max_len + 1);
    return float32_estimate(2 * V * C + V, positions * (C + 3 * V));
  };
  return t;
}

}  // namespace

HEED_REGISTER_MODEL(aligned, aligned_type());

}  // namespace heed
