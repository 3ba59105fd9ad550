#include "train/commands.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

#include "framework/io/safetensors.h"
#include "train/evaluate.h"
#include "train/run_loader.h"

namespace heed {
using json = nlohmann::json;

int run_eval(const EvalArgs& args) {
  LoadedRun run = load_run(args.path);
  const Config& c = run.config;
  const int64_t n = args.examples > 0 ? args.examples : c.train.eval_examples;
  json out = {{"checkpoint", run.checkpoint}, {"step", run.step}};
  auto report = [&](const std::string& key, const std::vector<Example>& examples) {
    EvalResult r = evaluate(*run.model, *run.task, examples, c.train.batch_size);
    out[key] = {{"examples", r.examples},
                {"loss", r.loss},
                {"token_acc", r.token_acc},
                {"exact_seq_acc", r.exact_seq_acc}};
    if (!args.json)
      std::printf("%-16s %6lld examples  loss %.4f  token acc %.4f  exact-sequence acc %.4f\n",
                  key.c_str(), static_cast<long long>(r.examples), r.loss, r.token_acc,
                  r.exact_seq_acc);
  };
  if (!args.json)
    std::printf("%s (step %lld)\n", run.checkpoint.c_str(), static_cast<long long>(run.step));
  // The held-out stream the trainer evaluates on (stream 1), and one stream per extra length.
  report("eval", generate(*run.task, c.seed, 1, 0, n, c.task.min_len, c.task.max_len));
  std::vector<int64_t> lengths = args.lengths.empty() ? c.task.eval_lengths : args.lengths;
  for (int64_t len : lengths) {
    if (len < 1 || len > (1 << 16))
      throw Error("eval: length " + std::to_string(len) + " must be in [1, 65536]");
    report("length_" + std::to_string(len), generate(*run.task, c.seed, 2 + len, 0, n, len, len));
  }
  if (args.json) std::printf("%s\n", out.dump().c_str());
  return 0;
}

int run_predict(const PredictArgs& args) {
  LoadedRun run = load_run(args.path);
  Example e;
  std::istringstream in(args.input);
  std::string word;
  while (in >> word) {
    std::size_t used = 0;
    long long id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != word.size() || id < kFirstDataToken || id >= run.task->vocab())
      throw Error("predict: '" + word + "' is not a data token id in [" +
                  std::to_string(kFirstDataToken) + ", " + std::to_string(run.task->vocab()) + ")");
    e.source.push_back(id);
  }
  if (e.source.empty()) throw Error("predict: the input has no tokens (give ids like \"3 7 1 9\")");
  DecodeOptions opts;
  opts.strategy = args.strategy;
  opts.beam_width = args.beam;
  opts.temperature = args.temperature;
  opts.top_k = args.top_k;
  opts.seed = args.seed;
  opts.max_len = (args.max_len > 0 ? args.max_len : run.task->max_target_len(e.source.size())) + 1;
  Hypothesis h = run.model->generate({e}, opts).at(0);
  std::string text;
  for (int64_t t : h.tokens) {
    if (!text.empty()) text += ' ';
    text += std::to_string(t);
  }
  std::printf("%s\n", text.c_str());
  std::fprintf(stderr, "log-prob %.4f%s\n", h.log_prob,
               h.finished ? "" : " (stopped at max_len, no EOS)");
  if (args.attention) {
    std::vector<Tensor> maps = run.model->attention_maps(e);
    if (maps.empty()) std::fprintf(stderr, "this model has no encoder self-attention to show\n");
    for (std::size_t layer = 0; layer < maps.size(); ++layer) {
      const Tensor& w = maps[layer];  // (1, H, T, T)
      for (int64_t head = 0; head < w.size(1); ++head) {
        std::printf("layer %zu head %lld (rows: queries, columns: keys)\n", layer,
                    static_cast<long long>(head));
        for (int64_t i = 0; i < w.size(2); ++i) {
          for (int64_t j = 0; j < w.size(3); ++j) std::printf(" %.2f", w.at({0, head, i, j}));
          std::printf("\n");
        }
      }
    }
  }
  return 0;
}

int run_export(const std::string& path, const std::string& to) {
  if (to.empty()) throw Error("export: --to FILE is required");
  LoadedRun run = load_run(path);
  save_safetensors(to, run.model->module().named_parameters(), {{"format", "pt"}});
  std::printf("wrote %s: %lld parameters from %s (step %lld)\n", to.c_str(),
              static_cast<long long>(run.model->module().num_parameters()), run.checkpoint.c_str(),
              static_cast<long long>(run.step));
  return 0;
}

}  // namespace heed
