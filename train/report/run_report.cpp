// The report of a training run: what the trainer calls after each evaluation and at the end.
#include <filesystem>

#include "framework/io/atomic_file.h"
#include "train/report/report.h"
#include "train/stop_signal.h"
#include "train/task_model.h"

namespace heed {
namespace {

// Small enough that every token label fits its heatmap cell, long enough to show a pattern.
constexpr std::size_t kSampleMaxSource = 12;

// The same input at every evaluation, so the pictures of one run compare over time: the longest
// source of at most kSampleMaxSource tokens among the first eval examples (which are fixed by
// the seed), else the first example.
const Example& attention_sample(const std::vector<Example>& eval_set) {
  const Example* best = &eval_set.front();
  for (std::size_t i = 0; i < eval_set.size() && i < 64; ++i) {
    const std::size_t n = eval_set[i].source.size();
    if (n <= kSampleMaxSource &&
        (best->source.size() > kSampleMaxSource || n > best->source.size()))
      best = &eval_set[i];
  }
  return *best;
}

// The decoder's attention over the sample while it writes its own greedy output (what a user of
// a copy or sort model wants to see: where it looked for each token it wrote); nothing for a
// model without cross-attention.
AttentionPictures cross_attention_pictures(const std::string& run_dir, const Config& config,
                                           TaskModel& model, Example sample) {
  DecodeOptions greedy;
  greedy.max_len = static_cast<int64_t>(sample.target.size()) + 5;  // room for a few wrong tokens
  sample.target = model.generate({sample}, greedy).at(0).tokens;
  const CrossAttentionMaps maps = model.cross_attention_maps(sample);
  if (maps.layers.empty()) return {};
  const std::string kind = config.model.type == "rnn"
                               ? "The decoder's attention (" + config.model.attention.type + ")"
                               : std::string("Decoder cross-attention");
  return write_cross_attention_pictures(run_dir, maps.layers, maps.rows, maps.columns, kind);
}

}  // namespace

std::string refresh_report(const std::string& run_dir, const Config& config, TaskModel& model,
                           const std::vector<Example>& eval_set, const std::string& status) {
  try {
    throw_if_stopping();  // Ctrl-C while training: the report is not worth a wait (Interrupted)
    const MetricsHistory history =
        read_metrics_history((std::filesystem::path(run_dir) / "metrics.jsonl").string());
    const std::vector<std::string> curves = write_curves(run_dir, history);
    AttentionPictures attention, cross;
    fault_point("report");  // a test hook (train/kill_point.h)
    throw_if_stopping();
    if (!eval_set.empty()) {
      const Example& sample = attention_sample(eval_set);
      std::vector<std::string> labels = model.attention_labels(sample);  // e.g. tree nodes
      if (labels.empty()) labels = attention_tokens(config.model.type, sample);
      attention =
          write_attention_pictures(run_dir, model.attention_maps(sample), labels,
                                   (config.model.type == "decoder" ? "Causal self-attention ("
                                                                   : "Encoder self-attention (") +
                                       config.model.attention.type + ")");
      if (config.model.type == "rnn") {
        attention.kind.clear();
        attention.note =
            "a GRU encoder has no self-attention: the decoder's attention over the "
            "source is under Cross-attention";
      }
      cross = cross_attention_pictures(run_dir, config, model, sample);
    }
    write_report_html(run_dir, history, curves, attention, status, cross);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace heed
