// Checks that what this project adds to heed works as if it were built in, against heed as a
// library (the installed package, or heed's own tree): built and run by
// tests/tools/test_install.sh.
//
//   user_extensions [steps]        (default 30)
//
// 1. The registries list the user's variant (cosine_attention.cpp) beside heed's own (mha) and
//    the user's task (count_task.cpp) beside heed's (copy): both this program's registrations
//    and the library's survived the link.
// 2. heed's gradcheck of the variant, in every setting its capabilities allow.
// 3. heed's trainer trains a transformer a few steps on the copy task with the variant, and on
//    the user's task, each chosen by config as `heed train` would, and the loss falls.
// Exits 1 if any of these fails. Each extension this project adds gets a check here.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "datasets/task_registry.h"
#include "framework/runtime.h"
#include "models/attention/attention.h"
#include "models/attention/gradcheck_variant.h"
#include "train/config.h"
#include "train/trainer.h"

namespace {

using namespace heed;

bool registered(const std::string& name) {
  std::vector<AttentionVariant> all = attention_variants();
  return std::any_of(all.begin(), all.end(), [&](const auto& v) { return v.name == name; });
}

bool task_registered(const std::string& name) {
  std::vector<const TaskType*> all = task_types();
  return std::any_of(all.begin(), all.end(), [&](const auto* t) { return t->name == name; });
}

bool check_registry() {
  bool ok = registered("cosine") && registered("mha") && task_registered("count") &&
            task_registered("copy");
  auto state = [](bool on) { return on ? "registered" : "MISSING"; };
  std::printf("registry: %zu variants; cosine %s, mha %s; %zu tasks; count %s, copy %s\n",
              attention_variants().size(), state(registered("cosine")), state(registered("mha")),
              task_types().size(), state(task_registered("count")), state(task_registered("copy")));
  return ok;
}

// Normalizing queries and keys curves the output more than a dot product does, so the central
// difference takes a smaller step than its default 1e-2 (framework/gradcheck.h: truncation error
// grows like step², rounding error like 1/step; 2e-3 keeps both well under the tolerance).
bool check_gradients() {
  GradcheckOptions opts;
  opts.step = 2e-3f;
  bool ok = true;
  for (const VariantGradcheckCase& c : gradcheck_variant("cosine", {}, opts)) {
    std::printf("gradcheck cosine %-24s %s (worst relative error %.2e)\n", c.setting.c_str(),
                c.report.ok ? "ok" : "FAILED", c.report.worst_norm_error);
    if (!c.report.ok) std::printf("%s\n", c.report.message.c_str());
    ok = ok && c.report.ok;
  }
  return ok;
}

// The same YAML a user would pass to `heed train` after `task_yaml`, choosing the variant and
// its option by name; `tokens` is the task's vocabulary, for the loss of a uniform guess.
bool check_training(const std::string& task_yaml, int64_t tokens, int steps,
                    const std::filesystem::path& out_dir) {
  const std::string yaml = task_yaml + R"(
model:
  type: seq2seq
  d_model: 32
  heads: 2
  d_ff: 64
  encoder_layers: 1
  decoder_layers: 1
  dropout: 0.0
  attention: {type: cosine, scale: 8}
train:
  batch_size: 16
  optimizer: {type: adamw, lr: 3.0e-3}
  eval_examples: 64
seed: 0
threads: 1
)";
  const std::string n = std::to_string(steps);
  Config config = parse_config(yaml, "user_extensions.yaml",
                               {"train.steps=" + n, "train.eval_every=" + n,
                                "train.checkpoint_every=" + n, "out_dir=" + out_dir.string()});
  TrainOptions options;
  options.available_memory = 0;  // a tiny model: skip the memory check
  TrainSummary s = train(config, options);
  double loss = s.eval.count("loss") ? s.eval.at("loss") : NAN;
  // A model that learned nothing predicts the task's tokens about uniformly.
  const double uniform = std::log(static_cast<double>(tokens));
  bool ok = s.steps == steps && std::isfinite(loss) && loss < uniform;
  std::printf(
      "trained %lld steps, %s with cosine attention: eval loss %.3f (uniform guess %.3f) "
      "%s\n",
      static_cast<long long>(s.steps), config.task.name.c_str(), loss, uniform,
      ok ? "ok" : "FAILED");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines in order with the trainer's, when piped
    const int steps = argc > 1 ? std::atoi(argv[1]) : 30;
    set_num_threads(1);
    const std::filesystem::path out_dir =
        std::filesystem::temp_directory_path() /
        ("heed-user-extensions-" + std::to_string(static_cast<long long>(::getpid())));
    bool ok = check_registry();
    ok = check_gradients() && ok;
    // copy: 10 tokens with PAD, BOS, EOS; count: 3 + 2 symbols + counts 0..6.
    ok = check_training("task: {name: copy, vocab: 10, min_len: 1, max_len: 6}", 10, steps,
                        out_dir / "copy") &&
         ok;
    ok = check_training("task: {name: count, kinds: 2, min_len: 1, max_len: 6}", 12, steps,
                        out_dir / "count") &&
         ok;
    std::filesystem::remove_all(out_dir);
    std::printf("%s\n", ok ? "user extensions: all checks passed" : "user extensions: FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "user_extensions: %s\n", e.what());
    return 1;
  }
}
