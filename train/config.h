// A run's configuration: YAML mapped to typed structs with documented defaults, validated once at
// load. Every key is declared once, in the visit() functions of config.cpp, which serve reading,
// writing (heed config show) and the key reference (docs/config.md).
//
// Any problem is a ConfigError with one line: "FILE:LINE:COL: KEY: what is wrong" (or
// "--set KEY=VALUE: ..." for an override), suggesting the nearest key for a misspelt one.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "framework/tensor.h"

namespace heed {

struct ConfigError : Error {
  using Error::Error;
};

struct TaskConfig {
  std::string name = "copy";
  int64_t min_len = 1, max_len = 32;
  std::vector<int64_t> eval_lengths;  // extra evaluation lengths (length generalization)
  // The chosen task's own keys (task.vocab for copy, task.train for file, ...), as text, checked
  // against its declaration (datasets/task_registry.h); every one present once loaded. Paths
  // are absolute once loaded (see load_config).
  std::map<std::string, std::string> options;
};

struct AttentionSpec {
  std::string type = "mha";
  std::map<std::string, std::string> options;  // variant-specific, checked by the variant
};

struct ModelConfig {
  std::string type = "seq2seq";
  int64_t d_model = 128, heads = 4, d_ff = 512;
  int64_t encoder_layers = 2, decoder_layers = 2;
  double dropout = 0.1;
  std::string position = "sinusoidal";
  int64_t max_len = 1024;
  AttentionSpec attention;
  // classifier and tree_encoder (models/classifier.h, models/tree_encoder.h).
  std::string pooling = "mean";
  std::string composition = "none";       // tree_encoder: none | child_attention
  std::string encoder = "transformer";    // seq2seq: transformer | tree (a tree encoder)
  int64_t max_depth = 8, max_branch = 5;  // tree_encoder with position tree
};

struct OptimizerConfig {
  std::string type = "adamw";
  double lr = 1e-3, weight_decay = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, momentum = 0.0;
  bool nesterov = false;
};

struct ScheduleConfig {
  std::string type = "constant";
  int64_t warmup = 0;
  double min_lr = 0.0;
};

struct TrainConfig {
  int64_t steps = 1000, batch_size = 64, grad_accum = 1;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  double clip = 1.0;  // global gradient norm; 0 disables
  double label_smoothing = 0.0;
  int64_t log_every = 10, eval_every = 100, eval_examples = 1000, checkpoint_every = 500,
          keep_checkpoints = 2;
  std::map<std::string, double> stop_at;  // metric -> value that ends training early
  double max_minutes = 0.0;               // 0: no time limit
  bool bucketing = true;                  // file tasks: batches of similar lengths
  std::string on_nonfinite = "stop";      // a non-finite loss/gradient: stop | skip the step
  std::string precision = "fp32";         // of matrix products: fp32 | bf16 (framework/precision.h)
};

// Data-parallel training over MPI (docs/distributed.md); ignored by a single process.
struct DistConfig {
  double timeout_s = 60;  // a collective waiting longer ends the job (a rank died or hangs)
};

struct Config {
  TaskConfig task;
  ModelConfig model;
  TrainConfig train;
  DistConfig dist;
  int64_t seed = 0;
  int64_t threads = 2;
  std::string out_dir = "runs/copy";
};

// Loads `path` ("" = the embedded default), applies `overrides` ("key.path=value"), validates.
// Relative paths among the task's options (task.train, ...) are resolved against the
// directory of the file that names them (`source` for parse_config), or the current directory
// for an override, and stored absolute, so the resolved config works from anywhere.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// Same, from YAML text; `source` names it in messages.
Config parse_config(const std::string& yaml, const std::string& source,
                    const std::vector<std::string>& overrides = {});
// The resolved config as YAML, every key present (defaults filled in).
std::string config_to_yaml(const Config& config);
// A key that takes one name from a fixed list, with the list the validation checks against (what
// `heed list` shows, so the two cannot disagree).
struct ConfigChoice {
  std::string key;      // e.g. "model.position"
  std::string meaning;  // its documentation
  std::vector<std::string> values;
};
std::vector<ConfigChoice> config_choices();
// Markdown table of every key: path, type, default, meaning.
std::string config_reference();
// The embedded default config (configs/copy.yaml).
const std::string& default_config_yaml();

}  // namespace heed
