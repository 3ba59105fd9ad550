// Trains a small encoder–decoder transformer on the copy task through heed's C++ API alone: no
// YAML, no trainer. The task makes the data, Seq2Seq is the model, AdamW updates it, and greedy
// decoding of held-out sources scores it by exact match. A few seconds on one core.
//
//   train_copy [steps]        (default 300)
//
// Exits with status 1 if the model copies fewer than half the held-out sequences exactly, so a
// build that runs it (tests/tools/test_install.sh) also checks that training works.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <vector>

#include "datasets/batch.h"
#include "datasets/task_registry.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "framework/optim/clip.h"
#include "framework/optim/schedule.h"
#include "framework/runtime.h"
#include "models/decoding.h"
#include "models/seq2seq_stepper.h"

namespace {

using namespace heed;

constexpr int64_t kBatch = 32, kMinLen = 1, kMaxLen = 8, kEvalExamples = 200;
constexpr uint64_t kSeed = 0;

// Fraction of `examples` whose greedy decoding equals the target.
double exact_match(Seq2Seq& model, const Task& task, const std::vector<Example>& examples) {
  NoGradGuard no_grad;
  Seq2SeqBatch b = make_seq2seq_batch(examples);
  Seq2SeqStepper stepper(model, b.src, b.src_pad);  // eval mode while it lives
  DecodeOptions opts;
  opts.max_len = task.max_target_len(kMaxLen) + 1;  // room for the EOS
  std::vector<Hypothesis> hyps = greedy_decode(stepper, bos_prefix(b.src.size(0)), opts);
  int64_t right = 0;
  for (std::size_t i = 0; i < examples.size(); ++i) right += hyps[i].tokens == examples[i].target;
  return static_cast<double>(right) / static_cast<double>(examples.size());
}

int run(int steps) {
  // Matrices of 64 columns are too small to share: waking a second thread costs more than the
  // work, and on a busy machine spinning threads make it many times slower.
  set_num_threads(1);
  std::unique_ptr<Task> task = make_task("copy", {{"vocab", "10"}});  // data tokens 3..9

  seed_init(kSeed);  // the weights depend only on this seed
  TransformerConfig config;
  config.vocab = task->vocab();
  config.d_model = 64;
  config.heads = 4;
  config.d_ff = 128;
  config.encoder_layers = 1;
  config.decoder_layers = 1;
  config.dropout = 0.0f;
  config.attention = "mha";  // any registered variant: the registry needs the whole library
  Seq2Seq model(config);
  AdamW opt(model.named_parameters(), 3e-3, 0.9, 0.98, 1e-9, 0.01);
  // Cosine decay to zero settles the last updates, so the final weights decode cleanly.
  WarmupCosineLr schedule(3e-3f, /*warmup_steps=*/steps / 10, /*total_steps=*/steps);

  // Held-out examples come from stream 1, training batches from stream 0: never the same.
  const std::vector<Example> held_out =
      generate(*task, kSeed, /*stream=*/1, 0, kEvalExamples, kMinLen, kMaxLen);

  const auto start = std::chrono::steady_clock::now();
  for (int step = 1; step <= steps; ++step) {
    Seq2SeqBatch b = make_seq2seq_batch(
        generate(*task, kSeed, /*stream=*/0, (step - 1) * kBatch, kBatch, kMinLen, kMaxLen));
    opt.zero_grad();
    Tensor logits = model.forward(b.src, b.dec_in, b.src_pad);  // (B, T, V)
    Tensor loss = cross_entropy(logits, b.labels, {.ignore_index = kPad});
    loss.backward();
    clip_grad_norm_(opt.params(), 1.0);
    opt.set_lr(schedule.lr_at(opt.steps_taken()));
    opt.step();
    if (step % 50 == 0 || step == 1 || step == steps)
      std::printf("step %4d  loss %.4f\n", step, loss.item());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const double acc = exact_match(model, *task, held_out);
  std::printf("trained %d steps in %.1f s; exact match on %lld held-out sequences: %.3f\n", steps,
              seconds, static_cast<long long>(held_out.size()), acc);
  return acc >= 0.5 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 300;
  if (steps <= 0) {
    std::fprintf(stderr, "usage: %s [steps > 0]\n", argv[0]);
    return 2;
  }
  try {
    return run(steps);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_copy: %s\n", e.what());
    return 1;
  }
}
