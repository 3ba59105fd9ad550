#include "train/config.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <sstream>

#include "datasets/task_registry.h"
#include "framework/io/atomic_file.h"
#include "models/attention/attention.h"
#include "train/config_reader.h"
#include "train/config_schema.h"
#include "train/config_writers.h"
#include "train/default_config.h"

namespace heed {
namespace {

using namespace config_detail;

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
