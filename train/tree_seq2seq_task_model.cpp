#include "train/tree_seq2seq_task_model.h"

#include "framework/autograd.h"
#include "framework/ops.h"
#include "models/seq2seq_stepper.h"
#include "models/tree_seq2seq.h"
#include "train/tree_encoder_options.h"

namespace heed {
namespace {

TreeSeq2SeqConfig tree_seq2seq_config(const Config& c, const TreeTask& task) {
  TreeSeq2SeqConfig k;
  k.encoder = tree_encoder_config(c.model, task.vocab());
  k.decoder_layers = c.model.decoder_layers;
  k.max_len = c.model.max_len;
  return k;
}

class TreeSeq2SeqTaskModel final : public TaskModel {
 public:
  TreeSeq2SeqTaskModel(const Config& c, const TreeTask& task)
      : task_(task), model_(tree_seq2seq_config(c, task)) {}
  Module& module() override { return model_; }

  Tensor loss(const std::vector<Example>& examples, float smoothing, int64_t* tokens) override {
    Seq2SeqBatch b = make_seq2seq_batch(examples);  // its dec_in and labels; src is unused
    if (tokens) *tokens = b.target_tokens;
    Tensor logits = model_.forward(task_.to_tree_batch(examples), b.dec_in);
    return cross_entropy(logits, b.labels, {.ignore_index = kPad, .label_smoothing = smoothing});
  }

  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions& opts) override {
    TreeBatch batch = task_.to_tree_batch(examples);
    const int64_t rows = batch.batch_size();
    Seq2SeqStepper stepper(
        model_,
        [&] {
          return std::pair{model_.encode(batch), batch.node_pad};
        },
        rows);
    return decode(stepper, bos_prefix(rows), opts);
  }

  std::vector<Tensor> attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    return model_.encoder_attention(task_.to_tree_batch({e}));
  }
  // The nodes in pre-order, as the tree encoder's rows are.
  std::vector<std::string> attention_labels(const Example& e) const override {
    return task_.node_names(e.source);
  }

  // Over the node states: columns are the nodes, rows the output's atoms then EOS.
  CrossAttentionMaps cross_attention_maps(const Example& e) override {
    EvalModeScope eval(model_);
    NoGradGuard no_grad;
    TreeBatch batch = task_.to_tree_batch({e});
    Seq2SeqBatch b = make_seq2seq_batch({e});  // its dec_in, [BOS, target]
    std::vector<std::string> output;
    for (int64_t t : e.target) output.push_back(task_.tree_vocab().name(t));
    return {model_.cross_attention(b.dec_in, model_.encode(batch), batch.node_pad),
            output_step_labels(std::move(output)), task_.node_names(e.source)};
  }

 private:
  const TreeTask& task_;
  TreeSeq2Seq model_;
};

}  // namespace

std::unique_ptr<TaskModel> make_tree_seq2seq_task_model(const Config& config,
                                                        const TreeTask& task) {
  if (task.target_kind() != TargetKind::kSequence)
    throw ConfigError("model.encoder: tree writes a sequence; task '" + task.name() +
                      "' is classification (use model.type tree_encoder)");
  return std::make_unique<TreeSeq2SeqTaskModel>(config, task);
}

}  // namespace heed
