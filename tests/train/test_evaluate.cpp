// evaluate(): token and exact-sequence accuracy from a model's decoded outputs. An output counts
// as an exact sequence only when it ends with EOS: a model that writes the target and then never
// stops has not produced the target.
#include <gtest/gtest.h>

#include "datasets/task_registry.h"
#include "framework/nn/layers.h"
#include "train/evaluate.h"

namespace heed {
namespace {

// Writes each example's target, then EOS or (finished = false) nothing: stopped at the limit.
class EchoModel final : public TaskModel {
 public:
  explicit EchoModel(bool emits_eos) : emits_eos_(emits_eos) {}
  Module& module() override { return unused_; }
  Tensor loss(const std::vector<Example>&, float, int64_t* tokens) override {
    if (tokens) *tokens = 1;
    return Tensor::scalar(0.5f);
  }
  std::vector<Hypothesis> generate(const std::vector<Example>& examples,
                                   const DecodeOptions& opts) override {
    std::vector<Hypothesis> out(examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
      out[i].tokens = examples[i].target;
      out[i].finished = emits_eos_;
      EXPECT_GT(opts.max_len, static_cast<int64_t>(examples[i].target.size()))
          << "no room for the EOS after the longest target";
    }
    return out;
  }
  std::vector<Tensor> attention_maps(const Example&) override { return {}; }

 private:
  bool emits_eos_;
  Linear unused_{1, 1};
};

TEST(Evaluate, ExactSequencesMustEndWithEos) {
  std::unique_ptr<Task> copy = make_task("copy", {});
  const std::vector<Example> examples = {{{3, 4, 5}, {3, 4, 5}}, {{6, 7}, {6, 7}}};
  EchoModel stops(true), runs_on(false);
  EvalResult a = evaluate(stops, *copy, examples, 8);
  EXPECT_DOUBLE_EQ(a.exact_seq_acc, 1.0);
  EXPECT_DOUBLE_EQ(a.token_acc, 1.0);
  EXPECT_DOUBLE_EQ(a.loss, 0.5);
  EvalResult b = evaluate(runs_on, *copy, examples, 8);
  EXPECT_DOUBLE_EQ(b.exact_seq_acc, 0.0);
  EXPECT_DOUBLE_EQ(b.token_acc, 1.0);  // every target token is right; the sequence never ends
}

}  // namespace
}  // namespace heed
