#include "train/commands.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "datasets/file_task.h"
#include "datasets/sexpr.h"
#include "datasets/tree_tasks.h"
#include "framework/io/safetensors.h"
#include "framework/text.h"
#include "train/evaluate.h"
#include "train/run_loader.h"

namespace heed {
using json = nlohmann::json;

namespace {

// The examples of a file in the run's format and vocabulary (unknown words: <unk>), the first
// `limit` of them (0: all).
std::vector<Example> read_eval_file(const Task& task, const std::string& path, int64_t limit) {
  std::vector<Example> examples = task.read_examples(path);
  if (limit > 0 && limit < static_cast<int64_t>(examples.size())) examples.resize(limit);
  return examples;
}

// How print_maps() titles and labels one kind of attention map.
struct MapLayout {
  const char* name;  // "layer" or "cross-attention layer"
  const char* axes;  // what the rows and columns are
  int width = 0;     // of every value and label column; 0: values as " %.2f", no labels
  const std::vector<std::string>* rows = nullptr;     // a label before each row
  const std::vector<std::string>* columns = nullptr;  // a header line of labels
};

// Prints each layer's (1, H, rows, columns) weights per head, one line per row. Self- and
// cross-attention differ only in titles and labels, so both print through here.
void print_maps(const std::vector<Tensor>& layers, const MapLayout& l) {
  for (std::size_t layer = 0; layer < layers.size(); ++layer) {
    const Tensor& a = layers[layer];
    if (!a.defined()) {
      std::printf("%s %zu: its attention variant returns no weights\n", l.name, layer);
      continue;
    }
    for (int64_t head = 0; head < a.size(1); ++head) {
      std::printf("%s %zu head %lld (%s)\n", l.name, layer, static_cast<long long>(head), l.axes);
      if (l.columns) {
        std::printf("%*s", l.width, "");
        for (const std::string& c : *l.columns) std::printf(" %*s", l.width, c.c_str());
        std::printf("\n");
      }
      for (int64_t i = 0; i < a.size(2); ++i) {
        const std::size_t r = static_cast<std::size_t>(i);
        if (l.rows) std::printf("%*s", l.width, r < l.rows->size() ? (*l.rows)[r].c_str() : "");
        for (int64_t j = 0; j < a.size(3); ++j)
          std::printf(" %*.2f", l.width, a.at({0, head, i, j}));
        std::printf("\n");
      }
    }
  }
}

// A layer's (1, H, T, T) self-attention weights per head, rows the queries.
void print_attention(const std::vector<Tensor>& maps, const std::vector<std::string>& labels) {
  if (maps.empty()) std::fprintf(stderr, "this model has no self-attention to show\n");
  if (!labels.empty()) std::printf("rows and columns: %s\n", join(labels, " ").c_str());
  print_maps(maps, {"layer", "rows: queries, columns: keys"});
}

// The decoder's attention over the source per layer and head: one line per output step
// (labelled with the token it writes, $ for EOS), one column per source position.
void print_cross_attention(const CrossAttentionMaps& maps) {
  std::size_t width = 4;  // "0.00" and every label, right-aligned
  for (const auto* labels : {&maps.rows, &maps.columns})
    for (const std::string& s : *labels) width = std::max(width, s.size());
  print_maps(maps.layers,
             {"cross-attention layer", "rows: output tokens, $ is EOS; columns: source tokens",
              static_cast<int>(width), &maps.rows, &maps.columns});
}

// What --attention prints for an example whose target is the model's output: the encoder's
// self-attention, then the decoder's cross-attention.
void print_attention_maps(TaskModel& model, const Example& e) {
  print_attention(model.attention_maps(e), model.attention_labels(e));
  print_cross_attention(model.cross_attention_maps(e));
}

// The model's output for `e` with the decoding --strategy and friends ask for.
Hypothesis decode_one(LoadedRun& run, const Example& e, const PredictArgs& args) {
  DecodeOptions d;
  d.strategy = args.strategy;
  d.beam_width = args.beam;
  d.temperature = args.temperature;
  d.top_k = args.top_k;
  d.seed = args.seed;
  d.max_len = (args.max_len > 0 ? args.max_len : run.task->max_target_len(e.source.size())) + 1;
  return run.model->generate({e}, d).at(0);
}

// After the output: its log-probability, and with --attention the maps. The model's output is
// then the target: a decoder-only model attends over "source BOS output", an encoder-decoder's
// cross-attention shows where it looked for each token it wrote.
int finish_prediction(LoadedRun& run, Example e, const Hypothesis& h, const PredictArgs& args) {
  std::fprintf(stderr, "log-prob %.4f%s\n", h.log_prob,
               h.finished ? "" : " (stopped at max_len, no EOS)");
  if (args.attention) {
    e.target = h.tokens;
    print_attention_maps(*run.model, e);
  }
  return 0;
}

// A tree task's input is an S-expression over its vocabulary, e.g. "[MAX 2 9 [MIN 4 7 ] 0 ]";
// the output is the class, or the target atoms of a task with sequence targets.
int predict_tree(LoadedRun& run, const TreeTask& task, const PredictArgs& args) {
  TreeVocab vocab = task.tree_vocab();
  SexprOptions opts;
  opts.add_unknown = false;
  opts.unknown_id = task.unknown_token();
  TreeParse parse = parse_tree(args.input, vocab, opts);
  if (!parse.ok()) throw Error("predict: " + parse.error->format("input"));
  bool unknown = false;
  for (int64_t t : parse.tree.tokens) {
    if (t < kFirstDataToken)
      throw Error("predict: '" + vocab.name(t) + "' is a reserved token, not an atom of the task");
    unknown = unknown || t == task.unknown_token();
  }
  if (unknown) std::fprintf(stderr, "heed: the input has atoms the vocabulary lacks: <unk>\n");
  Example e = task.to_example({parse.tree, {}});
  Hypothesis h = decode_one(run, e, args);
  if (task.target_kind() == TargetKind::kClass)
    std::printf("%s\n", task.class_name(h.tokens.at(0)).c_str());
  else
    std::printf("%s\n", vocab.decode(h.tokens).c_str());
  return finish_prediction(run, e, h, args);
}

}  // namespace

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
    if (run.model->classifies()) {  // one class an example: the accuracy is exact-sequence's
      out[key]["accuracy"] = r.exact_seq_acc;
      if (!args.json)
        std::printf("%-16s %6lld examples  loss %.4f  accuracy %.4f\n", key.c_str(),
                    static_cast<long long>(r.examples), r.loss, r.exact_seq_acc);
      return;
    }
    if (!args.json)
      std::printf("%-16s %6lld examples  loss %.4f  token acc %.4f  exact-sequence acc %.4f\n",
                  key.c_str(), static_cast<long long>(r.examples), r.loss, r.token_acc,
                  r.exact_seq_acc);
  };
  if (!args.lengths.empty() && (run.task->reads_files() || !args.data.empty()))
    throw Error("eval: --lengths needs a generated task and no --data");
  if (!args.json)
    std::printf("%s (step %lld)\n", run.checkpoint.c_str(), static_cast<long long>(run.step));
  if (!args.data.empty()) {
    report("data", read_eval_file(*run.task, args.data, args.examples));
    if (args.json) std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  if (args.test) {
    // Examples no training step or validation saw (up to chance repeats of small examples):
    // what a comparison reports after choosing runs by validation accuracy.
    if (run.task->reads_files())
      throw Error("eval: --test needs a generated task; score a file task's test file with --data");
    report("test", generate(*run.task, c.seed, kTestStream, 0, n, c.task.min_len, c.task.max_len));
  } else {
    // What the trainer evaluates on: the held-out stream 1, or a file task's validation file.
    report("eval", run.task->eval_examples(c.seed, n, c.task.min_len, c.task.max_len));
  }
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
  if (const auto* tree_task = dynamic_cast<const TreeTask*>(run.task.get()))
    return predict_tree(run, *tree_task, args);
  const WordVocab* vocab = run.task->vocabulary();
  Example e;
  std::istringstream in(args.input);
  std::string word;
  while (in >> word) {
    if (vocab) {  // a file task: words in, words out
      bool known = false;
      e.source.push_back(vocab->id(word, &known));
      if (!known)
        std::fprintf(stderr, "heed: '%s' is not in the vocabulary: <unk>\n", word.c_str());
      continue;
    }
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
  if (e.source.empty())
    throw Error(vocab ? "predict: the input has no words"
                      : "predict: the input has no tokens (give ids like \"3 7 1 9\")");
  Hypothesis h = decode_one(run, e, args);
  std::string text;
  for (int64_t t : h.tokens) {
    if (!text.empty()) text += ' ';
    text += vocab ? vocab->word(t) : std::to_string(t);
  }
  std::printf("%s\n", text.c_str());
  return finish_prediction(run, e, h, args);
}

int run_export(const std::string& path, const std::string& to) {
  if (to.empty()) throw Error("export: --to FILE is required");
  LoadedRun run = load_run(path);
  std::map<std::string, std::string> meta = {{"format", "pt"}};
  // A file task's model means nothing without its words: "vocab" lists every token, id order.
  if (const WordVocab* vocab = run.task->vocabulary()) {
    for (int64_t id = 0; id < vocab->size(); ++id) meta["vocab"] += vocab->word(id) + "\n";
  }
  // Likewise a tree task's node tokens, and a classifier's classes in the head's row order.
  if (const auto* tree_task = dynamic_cast<const TreeTask*>(run.task.get())) {
    const TreeVocab& vocab = tree_task->tree_vocab();
    for (int64_t id = 0; id < vocab.size(); ++id) meta["vocab"] += vocab.name(id) + "\n";
    if (tree_task->target_kind() == TargetKind::kClass)
      for (int64_t c = 0; c < tree_task->num_classes(); ++c)
        meta["classes"] += tree_task->class_name(c) + "\n";
  }
  save_safetensors(to, run.model->module().named_parameters(), meta);
  std::printf("wrote %s: %lld parameters from %s (step %lld)\n", to.c_str(),
              static_cast<long long>(run.model->module().num_parameters()), run.checkpoint.c_str(),
              static_cast<long long>(run.step));
  return 0;
}

}  // namespace heed
