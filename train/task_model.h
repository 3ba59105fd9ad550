// The model a config asks for, wired to its task: the training loss of a batch and greedy
// predictions for evaluation. seq2seq reads source → target; decoder reads the sequence
// "source BOS target EOS" and is trained on the target part only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "datasets/batch.h"
#include "datasets/tasks.h"
#include "framework/nn/module.h"
#include "models/decoding.h"
#include "train/config.h"

namespace heed {

// A decoder's attention over the source while it writes one output, for pictures: which source
// position each output step looked at.
struct CrossAttentionMaps {
  // Per decoder layer (1, H, T + 1, S) for an output of T tokens: row i is the step that writes
  // output token i, the last row the step after them (that writes EOS when the output is the
  // model's own, finished one); columns are the source positions (a
  // tree encoder's: its nodes). A layer whose variant returns no weights is an undefined tensor.
  std::vector<Tensor> layers;
  std::vector<std::string> rows;     // T + 1 labels: the output's tokens, then "$" for EOS
  std::vector<std::string> columns;  // S labels: the source's tokens (or nodes)
};

class TaskModel {
 public:
  virtual ~TaskModel() = default;
  virtual Module& module() = 0;
  // Mean cross-entropy over the target tokens of `examples` (training mode is the module's).
  // `tokens` receives the number of target tokens the loss covers.
  virtual Tensor loss(const std::vector<Example>& examples, float label_smoothing,
                      int64_t* tokens) = 0;
  // Outputs (without EOS) of at most opts.max_len - 1 tokens each, decoded as `opts` says;
  // eval mode, no autograd.
  virtual std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                           const DecodeOptions& opts) = 0;
  // Per-layer self-attention weights (B, H, T, T) for a sample input, for pictures: the
  // encoder's over the source (seq2seq), the causal stack's over "source BOS target" (decoder).
  // A layer whose variant returns no weights is an undefined tensor.
  virtual std::vector<Tensor> attention_maps(const Example& example) = 0;
  // Axis labels for attention_maps(example), one per row (a tree model's: its nodes); empty
  // when the token ids are the labels.
  virtual std::vector<std::string> attention_labels(const Example&) const { return {}; }
  // The decoder's cross-attention while it writes example.target after example.source (teacher
  // forced: pass the model's own output as the target to see where it looked); no layers for a
  // model without cross-attention (decoder-only, classifiers). Eval mode, no autograd.
  virtual CrossAttentionMaps cross_attention_maps(const Example&) { return {}; }
  // Whether an output is one class (evaluation then reports it as `accuracy`).
  virtual bool classifies() const { return false; }
};

// Token ids as axis labels: {3, 17} -> {"3", "17"}.
std::vector<std::string> id_labels(const std::vector<int64_t>& ids);
// The rows of CrossAttentionMaps for an output with these token labels: them, then "$" (EOS).
std::vector<std::string> output_step_labels(std::vector<std::string> output);

// The model config.model.type names (train/model_registry.h) for `task`, refused with a
// ConfigError when the type cannot read the task. Initialization draws from
// seed_init(config.seed) done by the caller.
std::unique_ptr<TaskModel> make_task_model(const Config& config, const Task& task);
// For a bare vocabulary (tests): types that need the task itself (the tree models) refuse.
std::unique_ptr<TaskModel> make_task_model(const Config& config, int64_t vocab);

}  // namespace heed
