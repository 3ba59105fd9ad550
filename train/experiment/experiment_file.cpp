#include "train/experiment/experiment_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>
#include <set>

#include "framework/io/atomic_file.h"
#include "framework/text.h"
#include "train/config.h"
#include "train/yaml_text.h"

namespace heed {
namespace {

// Locates nodes of one file and fails with one line.
class Located {
 public:
  explicit Located(std::string path) : path_(std::move(path)) {}

  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return path_;
    return path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  [[noreturn]] void fail(const YAML::Node& at, const std::string& key,
                         const std::string& what) const {
    throw ConfigError(where(at) + ": " + key + ": " + what);
  }
  // A mapping with plain, distinct keys, each one of `known` (when given); null values refused.
  void check_mapping(const YAML::Node& n, const std::string& key,
                     const std::vector<std::string>& known = {}) const {
    if (!n.IsMap()) fail(n, key, "must be a mapping, got " + shape(n));
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.IsScalar() ? it->first.Scalar() : "";
      const std::string full = key.empty() ? k : key + "." + k;
      if (k.empty()) fail(it->first, key, "keys must be plain names");
      if (!seen.insert(k).second) fail(it->first, full, "duplicate key");
      if (!known.empty() && std::find(known.begin(), known.end(), k) == known.end())
        fail(it->first, full, "unknown key" + hint(k, known));
      if (it->second.IsNull()) fail(it->second, full, "has no value");
    }
  }
  static std::string shape(const YAML::Node& n) {
    if (n.IsScalar()) return "'" + n.Scalar() + "'";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "nothing";
  }

 private:
  static std::string hint(const std::string& k, const std::vector<std::string>& known) {
    std::string best;
    std::size_t best_d = static_cast<std::size_t>(-1);
    for (const std::string& c : known)
      if (std::size_t d = edit_distance(k, c); d < best_d) best_d = d, best = c;
    if (best_d <= std::max<std::size_t>(2, k.size() / 3)) return " (did you mean '" + best + "'?)";
    return " (known: " + join(known) + ")";
  }
  std::string path_;
};

// A value as `--set` takes it: a plain scalar as written, anything else as flow-style YAML.
std::string value_text(const YAML::Node& n) {
  if (n.IsScalar() && n.Tag() != "!") return n.Scalar();
  YAML::Emitter e;
  e.SetSeqFormat(YAML::Flow);
  e.SetMapFormat(YAML::Flow);
  if (n.IsScalar())
    e << YAML::DoubleQuoted << n.Scalar();
  else
    e << n;
  return e.c_str();
}

// The experiment chooses these per run; a config key that sets them would be overridden.
void refuse_reserved(const Located& at, const YAML::Node& key_node, const std::string& key) {
  if (key == "seed")
    at.fail(key_node, key, "an experiment sets each run's seed from `seeds: [...]`");
  if (key == "out_dir")
    at.fail(key_node, key, "an experiment puts each run in DIR/runs/NAME (heed experiment --out)");
}

std::vector<ExperimentOverride> read_set(const Located& at, const YAML::Node& n,
                                         const std::string& key) {
  at.check_mapping(n, key);
  std::vector<ExperimentOverride> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.Scalar();
    refuse_reserved(at, it->first, k);
    out.push_back({k, value_text(it->second), at.where(it->second)});
  }
  return out;
}

void read_base(const Located& at, const YAML::Node& n, const std::string& key, std::string& base,
               std::string& where) {
  if (!n.IsScalar() || n.Scalar().empty())
    at.fail(n, key, "must be the path of a config file, got " + Located::shape(n));
  base = n.Scalar();
  where = at.where(n);
}

bool safe_name(const std::string& s) {
  static const std::regex re("[A-Za-z0-9_+][A-Za-z0-9_.+-]*");
  return std::regex_match(s, re);
}

std::vector<ExperimentVariant> read_variants(const Located& at, const YAML::Node& n) {
  at.check_mapping(n, "variants");
  if (n.size() == 0) at.fail(n, "variants", "is empty (leave it out for one variant)");
  std::vector<ExperimentVariant> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    ExperimentVariant v;
    v.name = it->first.Scalar();
    v.where = at.where(it->first);
    const std::string key = "variants." + v.name;
    if (!safe_name(v.name))
      at.fail(it->first, key,
              "a variant's name names its runs' directories: use letters, digits, "
              "'_', '+', '.', '-'");
    at.check_mapping(it->second, key, {"base", "set"});
    if (it->second["base"]) read_base(at, it->second["base"], key + ".base", v.base, v.base_where);
    if (it->second["set"]) v.set = read_set(at, it->second["set"], key + ".set");
    out.push_back(v);
  }
  return out;
}

std::vector<GridAxis> read_grid(const Located& at, const YAML::Node& n) {
  at.check_mapping(n, "grid");
  std::vector<GridAxis> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    GridAxis axis{it->first.Scalar(), at.where(it->first), {}};
    const std::string key = "grid." + axis.key;
    refuse_reserved(at, it->first, axis.key);
    if (!it->second.IsSequence())
      at.fail(it->second, key, "must be a list of values, got " + Located::shape(it->second));
    if (it->second.size() == 0)
      at.fail(it->second, key, "is an empty list (give one value or more)");
    std::set<std::string> seen;
    // A copy (a handle) of the list: `it->second` lives in a proxy that ends with the expression,
    // so ranging over it directly reads freed stack (AddressSanitizer: stack-use-after-scope).
    const YAML::Node values = it->second;
    for (const YAML::Node& v : values) {
      if (v.IsNull()) at.fail(v, key, "has an empty value");
      const std::string text = value_text(v);
      if (!seen.insert(text).second) at.fail(v, key, "value '" + text + "' appears twice");
      axis.values.push_back({axis.key, text, at.where(v)});
    }
    out.push_back(axis);
  }
  return out;
}

std::vector<int64_t> read_seeds(const Located& at, const YAML::Node& n) {
  if (!n.IsSequence()) at.fail(n, "seeds", "must be a list of integers, got " + Located::shape(n));
  if (n.size() == 0) at.fail(n, "seeds", "is an empty list (leave it out for the config's seed)");
  std::vector<int64_t> out;
  for (const YAML::Node& s : n) {
    int64_t x;
    if (!s.IsScalar() || !YAML::convert<int64_t>::decode(s, x) || x < 0)
      at.fail(s, "seeds", "must hold integers >= 0, got " + Located::shape(s));
    if (std::find(out.begin(), out.end(), x) != out.end())
      at.fail(s, "seeds", "seed " + std::to_string(x) + " appears twice");
    out.push_back(x);
  }
  return out;
}

ExperimentSelect read_select(const Located& at, const YAML::Node& n,
                             const std::vector<GridAxis>& grid) {
  at.check_mapping(n, "select", {"key", "by"});
  ExperimentSelect s{"", "", at.where(n)};
  for (const char* k : {"key", "by"}) {
    const YAML::Node v = n[k];
    if (!v) at.fail(n, std::string("select.") + k, "missing (select: {key: GRID_KEY, by: METRIC})");
    if (!v.IsScalar()) at.fail(v, std::string("select.") + k, "must be a name");
  }
  s.key = n["key"].Scalar();
  s.by = n["by"].Scalar();
  s.where = at.where(n["by"]);
  std::vector<std::string> keys;
  for (const GridAxis& a : grid) keys.push_back(a.key);
  if (std::find(keys.begin(), keys.end(), s.key) == keys.end())
    at.fail(n["key"], "select.key",
            "'" + s.key + "' is not a grid key" +
                (keys.empty() ? std::string(" (the experiment has no grid)")
                              : " (grid: " + join(keys) + ")"));
  if (!is_metric_name(s.by))
    at.fail(n["by"], "select.by",
            "'" + s.by +
                "' is not a metric: eval.M, eval_length_N.M or test.M with M one of "
                "loss, token_acc, exact_seq_acc, accuracy");
  return s;
}

}  // namespace

bool is_metric_name(const std::string& name) {
  static const std::regex re(
      "(eval|eval_length_[1-9][0-9]*|test)\\.(loss|token_acc|exact_seq_acc|accuracy)");
  return std::regex_match(name, re);
}

ExperimentFile parse_experiment(const std::string& yaml, const std::string& path) {
  const YAML::Node root = load_yaml(yaml, path);
  const Located at(path);
  if (root.IsNull()) throw ConfigError(path + ": the experiment file is empty");
  if (!root.IsMap())
    throw ConfigError(at.where(root) +
                      ": the experiment must be a mapping (base, set, variants, "
                      "grid, seeds, select)");
  at.check_mapping(root, "", {"base", "set", "variants", "grid", "seeds", "select"});
  ExperimentFile f;
  f.path = path;
  if (root["base"]) read_base(at, root["base"], "base", f.base, f.base_where);
  if (root["set"]) f.set = read_set(at, root["set"], "set");
  if (root["variants"]) {
    f.variants = read_variants(at, root["variants"]);
    f.named_variants = true;
  } else {
    f.variants.push_back({"base", "", "", {}, f.base_where});
  }
  for (const ExperimentVariant& v : f.variants)
    if (v.base.empty() && f.base.empty())
      throw ConfigError((f.named_variants ? v.where : path + ":1:1") + ": base: missing: name " +
                        "the config every run starts from (base: configs/copy.yaml)" +
                        (f.named_variants ? ", or one for variant " + v.name : std::string()));
  if (root["grid"]) f.grid = read_grid(at, root["grid"]);
  if (root["seeds"]) {
    f.seeds = read_seeds(at, root["seeds"]);
    f.seeds_where = at.where(root["seeds"]);
  }
  if (root["select"]) f.select = read_select(at, root["select"], f.grid);
  return f;
}

ExperimentFile read_experiment(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    throw ConfigError(std::string(e.what()) + " (cannot read the experiment file)");
  }
  return parse_experiment(text, path);
}

}  // namespace heed
