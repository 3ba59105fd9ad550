#include "train/evaluate.h"

#include <algorithm>

#include "framework/autograd.h"
#include "framework/dist.h"
#include "framework/io/atomic_file.h"
#include "models/decoding.h"
#include "train/stop_signal.h"

namespace heed {

EvalResult evaluate(TaskModel& model, const Task& task, const std::vector<Example>& examples,
                    int64_t batch_size) {
  EvalModeScope eval(model.module());
  NoGradGuard no_grad;
  EvalResult r;
  double loss_sum = 0;
  int64_t loss_tokens = 0, right_tokens = 0, target_tokens = 0, exact = 0;
  // In a data-parallel job each rank scores every size()-th chunk and the counts are summed.
  const std::size_t rows = static_cast<std::size_t>(batch_size);
  const std::size_t stride = static_cast<std::size_t>(dist::size()) * rows;
  for (std::size_t start = static_cast<std::size_t>(dist::rank()) * rows; start < examples.size();
       start += stride) {
    throw_if_stopping();  // Ctrl-C while training: drop the evaluation now, not at its end
    std::vector<Example> chunk(examples.begin() + start,
                               examples.begin() + std::min(examples.size(), start + batch_size));
    int64_t tokens = 0;
    loss_sum += static_cast<double>(model.loss(chunk, 0.0f, &tokens).item()) * tokens;
    loss_tokens += tokens;
    int64_t longest = 0;
    // A file's reference may be longer than the task's limit guesses: never cut below it.
    for (const Example& e : chunk)
      longest = std::max(
          {longest, task.max_target_len(e.source.size()), static_cast<int64_t>(e.target.size())});
    DecodeOptions greedy;
    greedy.max_len = longest + 1;  // room for the EOS
    std::vector<Hypothesis> out = model.generate(chunk, greedy);
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const std::vector<int64_t>& t = chunk[i].target;
      const std::vector<int64_t>& pred = out[i].tokens;
      for (std::size_t k = 0; k < t.size(); ++k) right_tokens += k < pred.size() && pred[k] == t[k];
      target_tokens += static_cast<int64_t>(t.size());
      // Exact only if it stopped there: the target cut off by the length limit is not the target.
      exact += out[i].finished && pred == t;
    }
    fault_point("evaluation_batch");  // a crash-test hook (train/kill_point.h)
  }
  double counts[5] = {loss_sum, static_cast<double>(loss_tokens), static_cast<double>(right_tokens),
                      static_cast<double>(target_tokens), static_cast<double>(exact)};
  dist::allreduce_sum(counts, 5);
  loss_sum = counts[0];
  loss_tokens = static_cast<int64_t>(counts[1]);
  right_tokens = static_cast<int64_t>(counts[2]);
  target_tokens = static_cast<int64_t>(counts[3]);
  exact = static_cast<int64_t>(counts[4]);
  r.examples = static_cast<int64_t>(examples.size());
  r.loss = loss_tokens ? loss_sum / loss_tokens : 0;
  r.token_acc = target_tokens ? static_cast<double>(right_tokens) / target_tokens : 0;
  r.exact_seq_acc = r.examples ? static_cast<double>(exact) / r.examples : 0;
  return r;
}

}  // namespace heed
