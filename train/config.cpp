#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>

#include "datasets/task_registry.h"
#include "framework/io/atomic_file.h"
#include "framework/text.h"
#include "models/attention/attention.h"
#include "train/default_config.h"
#include "train/model_types.h"

namespace heed {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
struct Range {
  double lo = -kInf, hi = kInf;
};
using OneOf = std::vector<std::string>;

const OneOf kStopMetrics = {"exact_seq_acc", "token_acc", "accuracy", "loss"};

OneOf task_names() {
  OneOf names;
  for (const TaskType* t : task_types()) names.push_back(t->name);
  return names;
}

// ---- the schema: every key, once ----

template <class V>
void visit(V& v, TaskConfig& t) {
  v.field("name", t.name, "task to train (heed list tasks)", task_names());
  v.field("min_len", t.min_len,
          "shortest training source, in the task's units (heed list tasks); tasks reading files "
          "refuse shorter training lines",
          Range{1, 1 << 16});
  v.field("max_len", t.max_len,
          "longest training source, in the task's units; tasks reading files refuse longer "
          "training lines",
          Range{1, 1 << 16});
  v.field("eval_lengths", t.eval_lengths,
          "extra lengths to evaluate at (length generalization; generated tasks only)",
          Range{1, 1 << 16});
  v.task_options(t);  // the chosen task's own keys (datasets/task_registry.h)
}

template <class V>
void visit(V& v, ModelConfig& m) {
  v.field("type", m.type, "model family (heed list models)", model_type_names());
  v.field("d_model", m.d_model,
          "width of the residual stream (rnn: the GRUs' hidden size and the embeddings' width)",
          Range{1, 1 << 16});
  v.field("heads", m.heads, "attention heads (d_model must divide evenly; rnn: one, not read)",
          Range{1, 1024});
  v.field("d_ff", m.d_ff, "feed-forward hidden width", Range{1, 1 << 18});
  v.field("encoder_layers", m.encoder_layers,
          "encoder layers (seq2seq, classifier; tree_encoder: its layers; rnn: stacked GRU "
          "layers)",
          Range{0, 256});
  v.field("decoder_layers", m.decoder_layers, "decoder layers (rnn: stacked GRU layers)",
          Range{1, 256});
  v.field("dropout", m.dropout, "dropout probability (training only)", Range{0, 0.99});
  v.field("position", m.position,
          "positions: sinusoidal | learned | none | tree (tree_encoder: Shiv & Quirk's tree "
          "positions; no learned)",
          OneOf{"sinusoidal", "learned", "none", "tree"});
  v.field("max_len", m.max_len, "longest sequence for learned positions", Range{1, 1 << 20});
  v.field("attention", m.attention,
          "attention variant: {type: NAME, OPTION: VALUE, ...} (heed list attention; rnn: its "
          "one-head cross-attention, a variant with capability cross, additive when not named)");
  v.field("pooling", m.pooling,
          "classifier: mean | first; tree_encoder: root | mean (over the nodes)",
          OneOf{"mean", "first", "root"});
  v.field(
      "composition", m.composition,
      "tree_encoder: none (attention layers over the nodes) | child_attention (bottom-up, "
      "each node attends to its children) | child_fold (experimental: bottom-up, a GRU folds the "
      "children in one at a time)",
      OneOf{"none", "child_attention", "child_fold"});
  v.field("encoder", m.encoder,
          "seq2seq: transformer (over the flat tokens) | tree (a tree encoder over the source "
          "tree's nodes, with composition, position and attention as tree_encoder's; tree tasks "
          "with sequence targets)",
          OneOf{"transformer", "tree"});
  v.field("max_depth", m.max_depth, "tree positions: levels encoded", Range{1, 256});
  v.field("max_branch", m.max_branch, "tree positions: branches per level encoded", Range{1, 256});
}

template <class V>
void visit(V& v, OptimizerConfig& o) {
  v.field("type", o.type, "adamw | adam | sgd", OneOf{"adamw", "adam", "sgd"});
  v.field("lr", o.lr, "peak learning rate (too large diverges: train.on_nonfinite)", Range{0, 1e9});
  v.field("weight_decay", o.weight_decay, "weight decay (decoupled for adamw, L2 otherwise)",
          Range{0, 10});
  v.field("beta1", o.beta1, "Adam β1", Range{0, 0.999999});
  v.field("beta2", o.beta2, "Adam β2", Range{0, 0.999999999});
  v.field("eps", o.eps, "Adam ε", Range{0, 1});
  v.field("momentum", o.momentum, "SGD momentum", Range{0, 0.999999});
  v.field("nesterov", o.nesterov, "SGD Nesterov momentum");
}

template <class V>
void visit(V& v, ScheduleConfig& s) {
  v.field("type", s.type,
          "constant | cosine (linear warmup, cosine decay to min_lr) | inverse_sqrt",
          OneOf{"constant", "cosine", "inverse_sqrt"});
  v.field("warmup", s.warmup,
          "linear warmup steps (one longer than train.steps is clamped to it, with a note)",
          Range{0, 1e9});
  v.field("min_lr", s.min_lr, "final learning rate of the cosine schedule", Range{0, 10});
}

template <class V>
void visit(V& v, TrainConfig& t) {
  v.field("steps", t.steps, "optimizer steps", Range{1, 1e9});
  v.field("batch_size", t.batch_size, "examples per step", Range{1, 1 << 20});
  v.field("grad_accum", t.grad_accum, "micro-batches accumulated per step", Range{1, 1024});
  v.section("optimizer", t.optimizer);
  v.section("schedule", t.schedule);
  v.field("clip", t.clip, "global gradient-norm clipping (0: off)", Range{0, 1e9});
  v.field("label_smoothing", t.label_smoothing, "label smoothing of the loss", Range{0, 1});
  v.field("log_every", t.log_every, "steps between metric lines", Range{1, 1e9});
  v.field("eval_every", t.eval_every, "steps between evaluations", Range{1, 1e9});
  v.field("eval_examples", t.eval_examples, "fresh held-out examples per evaluation",
          Range{1, 1e7});
  v.field("checkpoint_every", t.checkpoint_every, "steps between checkpoints", Range{1, 1e9});
  v.field("keep_checkpoints", t.keep_checkpoints, "latest checkpoints kept (plus the best)",
          Range{1, 1000});
  v.field("stop_at", t.stop_at,
          "stop early when an evaluation reaches these, e.g. {exact_seq_acc: 0.99}", kStopMetrics);
  v.field("max_minutes", t.max_minutes, "wall-time budget in minutes (0: none)", Range{0, 1e7});
  v.field("bucketing", t.bucketing,
          "file: batches of examples of similar length, in a seeded order (false: shuffled)");
  v.field("on_nonfinite", t.on_nonfinite,
          "a step with a non-finite loss or gradient: stop (naming the parameter; the last "
          "checkpoint is kept) | skip (no update; counted as skipped_steps in metrics.jsonl)",
          OneOf{"stop", "skip"});
}

template <class V>
void visit(V& v, Config& c) {
  v.section("task", c.task);
  v.section("model", c.model);
  v.section("train", c.train);
  v.field("seed", c.seed, "seed of data, initialization and dropout",
          Range{0, 9.007199254740992e15});
  v.field("threads", c.threads, "threads for every kernel (0: all cores)", Range{0, 1024});
  v.field("out_dir", c.out_dir, "run directory (config, metrics, checkpoints, report)");
}

// ---- reading ----

struct Source {
  std::string name;
  std::map<std::string, std::string> overrides;  // path -> "--set path=value" for messages
};

class Reader {
 public:
  // `node` is the mapping to read, or nullopt when the section is absent (all defaults).
  Reader(const Source& src, std::optional<YAML::Node> node, std::string path,
         std::map<std::string, YAML::Mark>& marks)
      : src_(src),
        present_(node.has_value()),
        node_(node ? *node : YAML::Node()),
        path_(std::move(path)),
        marks_(marks) {
    if (present_ && !node_.IsMap())
      fail(node_, path_.empty() ? "(top level)" : path_, "must be a mapping");
    check_duplicates();
  }

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key,
                         const std::string& what) const {
    throw ConfigError(location(at, key) + ": " + key + ": " + what);
  }

  std::string location(const YAML::Node& at, const std::string& key) const {
    auto o = src_.overrides.find(key);
    if (o != src_.overrides.end()) return o->second;
    // A key an override created ("--set foo.bar=1" makes "foo") is located at that override.
    for (const auto& [path, text] : src_.overrides)
      if (path.rfind(key + ".", 0) == 0) return text;
    YAML::Mark m = at.Mark();
    if (m.is_null() && present_) m = node_.Mark();
    if (m.is_null()) return src_.name;
    return src_.name + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  void field(const char* key, int64_t& v, const char*, Range r = {}) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    int64_t x;
    if (!n.IsScalar() || !YAML::convert<int64_t>::decode(n, x))
      fail(n, full(key), "must be an integer, got " + show(n));
    if (x < r.lo || x > r.hi)
      fail(n, full(key),
           "must be in [" + num(r.lo) + ", " + num(r.hi) + "], got " + std::to_string(x));
    v = x;
  }
  void field(const char* key, double& v, const char*, Range r = {}) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    double x;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, x) || !std::isfinite(x))
      fail(n, full(key), "must be a number, got " + show(n));
    if (x < r.lo || x > r.hi)
      fail(n, full(key), "must be in [" + num(r.lo) + ", " + num(r.hi) + "], got " + n.Scalar());
    v = x;
  }
  void field(const char* key, bool& v, const char*) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    bool x;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, x))
      fail(n, full(key), "must be true or false, got " + show(n));
    v = x;
  }
  void field(const char* key, std::string& v, const char*, const OneOf& allowed = {}) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    if (!n.IsScalar()) fail(n, full(key), "must be a string, got " + show(n));
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), n.Scalar()) == allowed.end())
      fail(n, full(key), "'" + n.Scalar() + "' is not one of: " + join(allowed));
    v = n.Scalar();
  }
  void field(const char* key, std::vector<int64_t>& v, const char*, Range r = {}) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    if (!n.IsSequence()) fail(n, full(key), "must be a list of integers, got " + show(n));
    std::vector<int64_t> out;
    for (const YAML::Node& e : n) {
      int64_t x;
      if (!e.IsScalar() || !YAML::convert<int64_t>::decode(e, x))
        fail(e, full(key), "must hold integers, got " + show(e));
      if (x < r.lo || x > r.hi)
        fail(e, full(key), "values must be in [" + num(r.lo) + ", " + num(r.hi) + "]");
      out.push_back(x);
    }
    v = out;
  }
  void field(const char* key, std::map<std::string, double>& v, const char*, const OneOf& keys) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    if (!n.IsMap()) fail(n, full(key), "must be a mapping of metric: value, got " + show(n));
    Reader sub(src_, n, full(key), marks_);
    std::map<std::string, double> out;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        fail(it->first, full(key) + "." + k, "unknown metric (known: " + join(keys) + ")");
      double x;
      if (!it->second.IsScalar() || !YAML::convert<double>::decode(it->second, x) ||
          !std::isfinite(x))
        fail(it->second, full(key) + "." + k, "must be a number");
      out[k] = x;
    }
    v = out;
  }
  void field(const char* key, AttentionSpec& spec, const char*) {
    std::optional<YAML::Node> found = child(key);
    if (!found) return;
    const YAML::Node n = *found;
    if (n.IsScalar()) {  // shorthand: attention: alibi
      spec = AttentionSpec{n.Scalar(), {}};
      return;
    }
    Reader sub(src_, n, full(key), marks_);
    AttentionSpec out{"", {}};  // a mapping must name its type
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (!it->second.IsScalar())
        sub.fail(it->second, full(key) + "." + k,
                 "must be a single value, got " + show(it->second));
      marks_[full(key) + "." + k] = it->second.Mark();
      if (k == "type")
        out.type = it->second.Scalar();
      else
        out.options[k] = it->second.Scalar();
    }
    if (out.type.empty())
      sub.fail(n, full(key) + ".type", "missing (heed list attention shows the variants)");
    spec = out;
  }
  template <class S>
  void section(const char* key, S& s) {
    std::optional<YAML::Node> n = child(key);
    Reader sub(src_, n, full(key), marks_);
    visit(sub, s);
    sub.finish();
  }

  // The chosen task's own keys, checked against its declaration, defaults filled in. The keys
  // only other tasks read are remembered, so that finish() names the task reading them.
  void task_options(TaskConfig& t) {
    t.options.clear();
    for (const TaskOption& o : task_type(t.name).options) {
      std::optional<YAML::Node> found = child(o.key.c_str());
      if (!found) {
        t.options[o.key] = o.fallback;
        continue;
      }
      const YAML::Node n = *found;
      if (!n.IsScalar()) fail(n, full(o.key), "must be a single value, got " + show(n));
      if (std::string problem = option_problem(o, n.Scalar()); !problem.empty())
        fail(n, full(o.key), problem);
      t.options[o.key] = n.Scalar();
    }
    for (const TaskType* other : task_types())
      for (const TaskOption& o : other->options)
        if (!known_.count(o.key)) read_by_[o.key].push_back(other->name);
    chosen_ = "task.name is " + t.name;
  }

  // Unknown keys at this level, with the nearest known key suggested.
  void finish() const {
    if (!present_ || !node_.IsMap()) return;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const std::string k = it->first.Scalar();
      if (known_.count(k)) continue;
      if (auto r = read_by_.find(k); r != read_by_.end())
        fail(it->second, full(k),
             (r->second.size() == 1 ? "only task '" + r->second[0] + "' reads it"
                                    : "only tasks " + join(r->second) + " read it") +
                 " (" + chosen_ + ")");
      std::string best;
      std::size_t best_d = static_cast<std::size_t>(-1);
      for (const std::string& cand : known_) {
        std::size_t d = edit_distance(k, cand);
        if (d < best_d) best_d = d, best = cand;
      }
      std::string hint =
          !best.empty() && best_d <= std::max<std::size_t>(2, k.size() / 3)
              ? " (did you mean '" + best + "'?)"
              : " (known: " + join(std::vector<std::string>(known_.begin(), known_.end())) + ")";
      fail(it->first, full(k), "unknown key" + hint);
    }
  }

 private:
  // The value under `key`, or nullopt when the key is absent.
  std::optional<YAML::Node> child(const char* key) {
    known_.insert(key);
    if (!present_ || !node_.IsMap()) return std::nullopt;
    for (auto it = node_.begin(); it != node_.end(); ++it)
      if (it->first.Scalar() == key) {
        marks_[full(key)] = it->second.Mark();
        if (it->second.IsNull()) fail(it->second, full(key), "has no value");
        return it->second;
      }
    return std::nullopt;
  }
  void check_duplicates() const {
    if (!present_ || !node_.IsMap()) return;
    std::set<std::string> seen;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (!it->first.IsScalar()) fail(it->first, path_, "keys must be plain names");
      if (!seen.insert(it->first.Scalar()).second)
        fail(it->first, full(it->first.Scalar()), "duplicate key");
    }
  }
  std::string full(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  static std::string show(const YAML::Node& n) {
    if (n.IsScalar()) return "'" + n.Scalar() + "'";
    if (n.IsSequence()) return "a list";
    if (n.IsMap()) return "a mapping";
    return "nothing";
  }
  static std::string num(double x) {
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    std::ostringstream s;
    s << x;
    return s.str();
  }

  const Source& src_;
  bool present_;
  YAML::Node node_;
  std::string path_;
  std::map<std::string, YAML::Mark>& marks_;
  std::set<std::string> known_;
  std::map<std::string, std::vector<std::string>> read_by_;  // key -> the tasks reading it
  std::string chosen_;
};

// ---- writing ----

// A task option as YAML of its kind: numbers plain, text as a string.
void write_option(YAML::Emitter& out, const TaskOption& o, const std::string& value) {
  if (o.kind == TaskOption::Kind::kInteger)
    out << std::stoll(value);
  else if (o.kind == TaskOption::Kind::kNumber)
    out << std::stod(value);
  else
    out << value;
}

class Writer {
 public:
  explicit Writer(YAML::Emitter& out) : out_(out) {}
  template <class T, class... Rest>
  void field(const char* key, const T& v, const char*, const Rest&...) {
    out_ << YAML::Key << key << YAML::Value;
    write(v);
  }
  template <class S>
  void section(const char* key, S& s) {
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    visit(*this, s);
    out_ << YAML::EndMap;
  }
  void task_options(const TaskConfig& t) {
    for (const TaskOption& o : task_type(t.name).options) {
      auto it = t.options.find(o.key);
      out_ << YAML::Key << o.key << YAML::Value;
      write_option(out_, o, it == t.options.end() ? o.fallback : it->second);
    }
  }

 private:
  void write(int64_t v) { out_ << v; }
  void write(double v) { out_ << v; }
  void write(bool v) { out_ << v; }
  void write(const std::string& v) { out_ << v; }
  void write(const std::vector<int64_t>& v) { out_ << YAML::Flow << v; }
  void write(const std::map<std::string, double>& v) {
    out_ << YAML::Flow << YAML::BeginMap;
    for (const auto& [k, x] : v) out_ << YAML::Key << k << YAML::Value << x;
    out_ << YAML::EndMap;
  }
  void write(const AttentionSpec& a) {
    out_ << YAML::Flow << YAML::BeginMap << YAML::Key << "type" << YAML::Value << a.type;
    for (const auto& [k, x] : a.options) out_ << YAML::Key << k << YAML::Value << x;
    out_ << YAML::EndMap;
  }
  YAML::Emitter& out_;
};

// ---- reference ----

// Walks the schema keeping the dotted path of the current section in prefix_ ("train.optimizer.").
template <class Derived>
class PathVisitor {
 public:
  template <class S>
  void section(const char* key, S& s) {
    const std::string saved = prefix_;
    prefix_ += std::string(key) + ".";
    visit(static_cast<Derived&>(*this), s);
    prefix_ = saved;
  }

 protected:
  std::string prefix_;
};

// One row of the reference: key, default, meaning ('|' escaped for Markdown tables).
std::string reference_row(const std::string& key, const std::string& fallback,
                          const std::string& doc) {
  std::string meaning;
  for (char c : doc) meaning += c == '|' ? std::string("\\|") : std::string(1, c);
  return "| `" + key + "` | `" + fallback + "` | " + meaning + " |\n";
}

class Documenter : public PathVisitor<Documenter> {
 public:
  template <class T, class... Rest>
  void field(const char* key, const T& v, const char* doc, const Rest&...) {
    YAML::Emitter e;
    e.SetDoublePrecision(15);
    e << YAML::Flow;
    write(e, v);
    rows_ += reference_row(prefix_ + key, e.c_str(), doc);
  }
  void task_options(const TaskConfig&) {}  // each task's table follows the common one
  std::string rows_;

 private:
  template <class T>
  static void write(YAML::Emitter& e, const T& v) {
    e << v;
  }
  static void write(YAML::Emitter& e, const std::map<std::string, double>& v) {
    e << YAML::BeginMap;
    for (const auto& [k, x] : v) e << YAML::Key << k << YAML::Value << x;
    e << YAML::EndMap;
  }
  static void write(YAML::Emitter& e, const AttentionSpec& a) {
    e << YAML::BeginMap << YAML::Key << "type" << YAML::Value << a.type << YAML::EndMap;
  }
};

// Every task's own keys, a table each (a task without options says so).
std::string task_reference() {
  std::string out;
  for (const TaskType* t : task_types()) {
    out += "\n**`task.name: " + t->name + "`**: " + t->description + ".";
    if (t->options.empty()) {
      out += " No keys of its own.\n";
      continue;
    }
    out += "\n\n| key | default | meaning |\n|---|---|---|\n";
    for (const TaskOption& o : t->options) out += reference_row("task." + o.key, o.fallback, o.doc);
  }
  return out;
}

// ---- choices: the keys that take one of a list of names ----

class ChoiceCollector : public PathVisitor<ChoiceCollector> {
 public:
  template <class T, class... Rest>
  void field(const char*, const T&, const char*, const Rest&...) {}
  void field(const char* key, const std::string&, const char* doc, const OneOf& allowed) {
    if (!allowed.empty()) choices_.push_back({prefix_ + key, doc, allowed});
  }
  void field(const char* key, const std::map<std::string, double>&, const char* doc,
             const OneOf& keys) {
    choices_.push_back({prefix_ + key, doc, keys});
  }
  // Every task's keys that take a name from a list (task.format, ...), once each.
  void task_options(const TaskConfig&) {
    std::set<std::string> seen;
    for (const TaskType* t : task_types())
      for (const TaskOption& o : t->options)
        if (!o.choices.empty() && seen.insert(o.key).second)
          choices_.push_back({prefix_ + o.key, o.doc, o.choices});
  }
  std::vector<ConfigChoice> choices_;
};

// ---- overrides and cross-field checks ----

void apply_override(YAML::Node& root, const std::string& text, Source& src) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + text + ": expected KEY.PATH=VALUE, e.g. --set model.d_model=64");
  const std::string path = text.substr(0, eq), value = text.substr(eq + 1);
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + text + ": value is not valid YAML: " + e.msg);
  }
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) throw ConfigError("--set " + text + ": empty key in '" + path + "'");
    parts.push_back(p);
  }
  // Walk with fresh handles (yaml-cpp nodes are references; reassigning one would rebind it).
  std::vector<YAML::Node> chain = {root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap())
      throw ConfigError("--set " + text + ": '" + parts[i] + "' is not a section");
    chain.push_back(next);
  }
  chain.back()[parts.back()] = parsed;
  src.overrides[path] = "--set " + text;
}

// Which models read which tasks, by the task's capabilities: a task with class targets needs a
// classifier, one with sequence targets a decoder; tree positions, tree attention and
// composition need the tree encoder, which alone sees the trees.
template <class Fail>
void check_tree_keys(const Config& c, const TaskCapabilities& task, bool tree_attention,
                     const std::string& attention_key, bool type_given, Fail&& fail) {
  const TaskConfig& t = c.task;
  const ModelConfig& m = c.model;
  const bool classifying = task.targets == TargetKind::kClass;
  const bool classifier = m.type == "classifier" || m.type == "tree_encoder";
  if (classifying && !classifier)  // at task.name when model.type is the default
    fail(type_given ? "model.type" : "task.name",
         "task '" + t.name + "' is classification: set model.type to classifier (the sequence " +
             "baseline) or tree_encoder (model.type is " + m.type + ")");
  if (!classifying && classifier)
    fail("model.type", m.type + " classifies; task '" + t.name +
                           "' has sequence targets (use seq2seq or decoder)");
  const bool tree_seq2seq = m.type == "seq2seq" && m.encoder == "tree";
  if (m.encoder != "transformer" && m.type != "seq2seq")
    fail("model.encoder", "only seq2seq chooses its encoder (model.type is " + m.type + ")");
  if (tree_seq2seq && !task.tree_source)
    fail(
        "model.encoder",
        "a tree encoder needs a task whose sources are trees (heed list tasks); task is " + t.name);
  const bool tree_model = m.type == "tree_encoder" || tree_seq2seq;
  if (tree_model) {
    if (m.position == "learned")
      fail("model.position", "a tree encoder takes tree | sinusoidal | none");
    if (m.pooling == "first") fail("model.pooling", "tree_encoder pools root | mean");
    if (tree_seq2seq && m.pooling != ModelConfig{}.pooling)
      fail("model.pooling", "seq2seq does not pool: its decoder attends to every node");
    if (m.composition == "child_attention" && m.attention.type != "mha")
      fail(attention_key, "child_attention always composes with mha; leave attention out");
    if (m.composition == "child_fold" && m.attention.type != "mha")
      fail(attention_key, "child_fold does not attend; leave attention out");
    if (m.position == "tree" && m.d_model < m.max_depth * m.max_branch)
      fail("model.max_branch", "tree positions need d_model >= max_depth * max_branch (" +
                                   std::to_string(m.max_depth * m.max_branch) + ")");
    return;
  }
  if (m.position == "tree")
    fail("model.position",
         "tree positions need a tree encoder (model.type tree_encoder, or "
         "seq2seq with encoder tree)");
  if (tree_attention)
    fail(attention_key, "'" + m.attention.type +
                            "' needs a tree: use model.type tree_encoder, or seq2seq with "
                            "encoder tree (they alone read trees)");
  if (m.composition != "none")
    fail("model.composition",
         "only a tree encoder composes (model.type tree_encoder, or seq2seq "
         "with encoder tree)");
  if (m.pooling == "root") fail("model.pooling", "root pooling needs model.type tree_encoder");
  if (m.pooling == "first" && m.type != "classifier")
    fail("model.pooling", "only classifier and tree_encoder pool");
}

// The rnn model (train/rnn_task_model.h) reads d_model, the layers, dropout and attention; a
// key of the transformer or tree models set to anything but its default is a mistake to report,
// not to ignore (a resolved config lists every key with its default, so presence cannot tell).
template <class Fail>
void check_rnn_keys(const ModelConfig& m, Fail&& fail) {
  const ModelConfig d;
  for (const auto& [key, set] : {std::pair{"model.heads", m.heads != d.heads},
                                 {"model.d_ff", m.d_ff != d.d_ff},
                                 {"model.position", m.position != d.position},
                                 {"model.max_len", m.max_len != d.max_len},
                                 {"model.pooling", m.pooling != d.pooling},
                                 {"model.max_depth", m.max_depth != d.max_depth},
                                 {"model.max_branch", m.max_branch != d.max_branch}})
    if (set)
      fail(key,
           "model.type rnn does not read it (a GRU has no heads, feed-forward or positions; "
           "its attention has one head); leave it out");
  if (m.encoder_layers < 1) fail("model.encoder_layers", "rnn needs at least 1");
}

// Relative data paths against the directory of the file that named them; overrides against the
// current directory, as any command-line path.
void resolve_paths(TaskConfig& t, const Source& src) {
  namespace fs = std::filesystem;
  for (const TaskOption& o : task_type(t.name).options) {
    std::string& path = t.options[o.key];
    if (o.kind != TaskOption::Kind::kPath || path.empty() || fs::path(path).is_absolute()) continue;
    fs::path base =
        src.overrides.count("task." + o.key) ? fs::path() : fs::path(src.name).parent_path();
    path = fs::absolute(base / path).lexically_normal().string();
  }
}

// The task's own rules across its keys, and what it offers the model.
template <class Fail>
TaskCapabilities check_task(const Config& c, Fail&& fail) {
  if (c.task.min_len > c.task.max_len)
    fail("task.max_len", "max_len " + std::to_string(c.task.max_len) + " is below min_len " +
                             std::to_string(c.task.min_len));
  TaskCapabilities caps;
  try {
    caps = task_capabilities(
        task_setup(c.task.name, c.task.options, c.task.min_len, c.task.max_len, c.train.bucketing));
  } catch (const TaskOptionError& e) {
    fail("task." + e.key, e.what());
  }
  if (!caps.any_length && !c.task.eval_lengths.empty())
    fail("task.eval_lengths", "task '" + c.task.name +
                                  "' cannot make examples of a given length; evaluate another "
                                  "file with heed eval RUN --data FILE");
  return caps;
}

void check_cross_fields(const Config& c, const Source& src,
                        const std::map<std::string, YAML::Mark>& marks) {
  auto fail = [&](const std::string& key, const std::string& what) {
    auto o = src.overrides.find(key);
    std::string where = src.name;
    if (o != src.overrides.end())
      where = o->second;
    else if (auto m = marks.find(key); m != marks.end())
      where +=
          ":" + std::to_string(m->second.line + 1) + ":" + std::to_string(m->second.column + 1);
    throw ConfigError(where + ": " + key + ": " + what);
  };
  const bool rnn = c.model.type == "rnn";
  if (!rnn && c.model.d_model % c.model.heads != 0)
    fail("model.heads", "d_model " + std::to_string(c.model.d_model) +
                            " is not divisible by heads " + std::to_string(c.model.heads));
  const TaskCapabilities task = check_task(c, fail);
  if (c.model.type == "seq2seq" && c.model.encoder_layers < 1)
    fail("model.encoder_layers", "seq2seq needs at least 1");
  if (rnn) check_rnn_keys(c.model, fail);
  AttentionCapabilities caps;
  try {
    const int64_t heads = rnn ? 1 : c.model.heads;  // rnn attends with one head
    AttentionConfig ac{8 * heads, heads, 0.0f, {}};
    for (const auto& [k, v] : c.model.attention.options) ac.extra.set(k, v);
    // A small instance: checks the name and options.
    caps = make_attention(c.model.attention.type, ac)->capabilities();
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    fail("model.attention", e.what());
  }
  const std::string attention_key =
      marks.count("model.attention.type") ? "model.attention.type" : "model.attention";
  if (rnn && !caps.cross)
    fail(attention_key, "rnn cross-attends to the source; '" + c.model.attention.type +
                            "' has no capability cross (heed list attention)");
  check_tree_keys(c, task, caps.needs_tree, attention_key,
                  marks.count("model.type") || src.overrides.count("model.type"), fail);
}

}  // namespace

const std::string& default_config_yaml() {
  static const std::string text = kDefaultConfigYaml;
  return text;
}

Config parse_config(const std::string& yaml, const std::string& source,
                    const std::vector<std::string>& overrides) {
  Source src{source, {}};
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": invalid YAML: " + e.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw ConfigError(source +
                      ": the config must be a mapping of sections (task, model, train, ...)");
  for (const std::string& o : overrides) apply_override(root, o, src);
  Config c;
  std::map<std::string, YAML::Mark> marks;
  try {
    Reader reader(src, root, "", marks);
    visit(reader, c);
    reader.finish();
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": " + e.msg);
  }
  // rnn's attention is Bahdanau's unless the config names one; the resolved config says so.
  if (c.model.type == "rnn" && !marks.count("model.attention"))
    c.model.attention = {"additive", {}};
  check_cross_fields(c, src, marks);
  resolve_paths(c.task, src);
  return c;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  if (path.empty()) return parse_config(default_config_yaml(), "<default copy config>", overrides);
  // read_file refuses directories and devices: an ifstream reads a directory as an empty file
  // (which would train the defaults) and /dev/zero or /dev/full forever.
  std::string text;
  try {
    text = read_file(path);
  } catch (const Error& e) {
    throw ConfigError(std::string(e.what()) + " (cannot read the config)");
  }
  // An empty file is a truncated or mistaken one; the defaults are what no path gives.
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw ConfigError(path + ": the config file is empty (omit the path for the default config)");
  return parse_config(text, path, overrides);
}

std::string config_to_yaml(const Config& config) {
  YAML::Emitter out;
  out.SetDoublePrecision(15);  // 0.1 prints as 0.1, yet every double round-trips closely
  out << YAML::BeginMap;
  Writer w(out);
  Config c = config;
  visit(w, c);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<ConfigChoice> config_choices() {
  ChoiceCollector collector;
  Config c;
  visit(collector, c);
  return collector.choices_;
}

std::string config_reference() {
  Documenter d;
  Config c;
  visit(d, c);
  return "| key | default | meaning |\n|---|---|---|\n" + d.rows_ +
         "\nEach task reads its own keys in `task:` besides `name`, `min_len`, `max_len` and "
         "`eval_lengths`; a key only another task reads is an error naming that task.\n" +
         task_reference();
}

}  // namespace heed
