// An experiment file (`heed experiment EXPERIMENT.yaml`), read and checked for its own shape:
//
//   base: configs/copy.yaml          # the config every run starts from (relative: to the cwd)
//   set: {train.steps: 200}          # optional: overrides for every run
//   variants:                        # optional: named bundles of overrides, each may name a base
//     small: {set: {model.d_model: 32}}
//     rnn:   {base: configs/copy_rnn.yaml}
//   grid:                            # optional: the cartesian product of these non-empty lists
//     model.attention.type: [mha, alibi]
//   seeds: [0, 1, 2]                 # optional: one run per seed; absent: the config's own seed
//   select: {key: model.attention.type, by: eval.exact_seq_acc}   # optional (results.md)
//
// Everything is located ("FILE:LINE:COL") so that the plan (run_plan.h), which resolves every
// run's config through load_config, can blame the experiment line an error comes from. Problems
// of shape (an unknown key, an empty list, a variant that is not a mapping) are one-line
// ConfigErrors "FILE:LINE:COL: KEY: what is wrong" from read_experiment itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace heed {

// One override: config key `key` set to `value` (YAML text: a scalar as written, a list or
// mapping in flow style), written at `where`.
struct ExperimentOverride {
  std::string key, value, where;
  std::string text() const { return key + "=" + value; }  // as `--set` takes it
};

struct ExperimentVariant {
  std::string name;              // "base" when the file has no variants
  std::string base, base_where;  // the variant's own base config ("" = the file's)
  std::vector<ExperimentOverride> set;
  std::string where;
};

// One grid key and its values, each located.
struct GridAxis {
  std::string key, where;
  std::vector<ExperimentOverride> values;
};

struct ExperimentSelect {
  std::string key, by, where;  // `where`: the location of `by`
};

struct ExperimentFile {
  std::string path;
  std::string base, base_where;  // "" when only variants name bases
  std::vector<ExperimentOverride> set;
  std::vector<ExperimentVariant> variants;  // at least one ("base" when the file has none)
  bool named_variants = false;              // the file has `variants`
  std::vector<GridAxis> grid;               // in file order
  std::vector<int64_t> seeds;               // empty: each run keeps its config's seed
  std::string seeds_where;
  std::optional<ExperimentSelect> select;
};

// Reads and checks `path`. Throws ConfigError (one line, file:line:col) on any problem of shape.
ExperimentFile read_experiment(const std::string& path);
// Same from YAML text; `path` names it in messages.
ExperimentFile parse_experiment(const std::string& yaml, const std::string& path);

// Whether `name` can be a metric column (results.csv): SOURCE.METRIC with SOURCE "eval",
// "eval_length_N" or "test" and METRIC one of loss, token_acc, exact_seq_acc, accuracy.
bool is_metric_name(const std::string& name);

}  // namespace heed
