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
#include "train/yaml_text.h"

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

// Keys of the model section the chosen type does not read, set to other than their default: a
// mistake to report, not to ignore (a config written for another type keeps loading while its
// keys hold their defaults).
template <class Fail>
void check_unread_model_keys(const ModelConfig& m, const std::vector<std::string>& read,
                             Fail&& fail) {
  ValueTexts now, defaults;
  ModelConfig given = m, d;
  visit(now, given);
  visit(defaults, d);
  for (const auto& [key, text] : now.texts_)
    if (key != "type" && text != defaults.texts_[key] &&
        std::find(read.begin(), read.end(), key) == read.end())
      fail("model." + key,
           "model.type " + m.type + " does not read it; leave it out (heed config keys)");
}

// The model against its own rules and the task's capabilities (train/model_registry.h).
template <class Fail>
void check_model(const Config& c, const TaskCapabilities& task, bool type_given,
                 const std::map<std::string, YAML::Mark>& marks, Fail&& fail) {
  const ModelConfig& m = c.model;
  const ModelType& type = model_type(m.type);
  const std::vector<std::string> read = type.keys(m);
  const bool heads = std::find(read.begin(), read.end(), "heads") != read.end();
  if (heads && m.d_model % m.heads != 0)
    fail("model.heads", "d_model " + std::to_string(m.d_model) + " is not divisible by heads " +
                            std::to_string(m.heads));
  AttentionCapabilities caps;
  try {
    const int64_t h = heads ? m.heads : 1;  // a model without heads attends with one
    AttentionConfig ac{8 * h, h, 0.0f, {}};
    for (const auto& [k, v] : m.attention.options) ac.extra.set(k, v);
    caps = make_attention(m.attention.type, ac)->capabilities();  // checks name and options
  } catch (const ConfigError&) {
    throw;
  } catch (const Error& e) {
    fail("model.attention", e.what());
  }
  auto blame = [&](const ModelType::Refusal& r) {
    if (r.key.empty()) return;
    if (r.key == "model.attention" && marks.count("model.attention.type"))
      fail("model.attention.type", r.why);
    fail(r.key == "model.type" && !type_given ? "task.name" : r.key, r.why);
  };
  if (type.check) blame(type.check(m, caps));
  blame(type.refuses(task, c.task.name, m));
  check_unread_model_keys(m, read, fail);
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
  const TaskCapabilities task = check_task(c, fail);
  check_model(c, task, marks.count("model.type") || src.overrides.count("model.type"), marks, fail);
}

// An experiment file given where a config belongs: say what it is, rather than that `set` is
// not a config key.
void refuse_experiment_file(const Reader& reader, const YAML::Node& root,
                            const std::string& source) {
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (key == "variants" || key == "grid" || key == "seeds" || key == "select")
      reader.fail(it->first, key,
                  "this is an experiment file, not a config: run it with `heed experiment " +
                      source + "` (--dry-run lists its runs)");
  }
}

}  // namespace

const std::string& default_config_yaml() {
  static const std::string text = kDefaultConfigYaml;
  return text;
}

Config parse_config(const std::string& yaml, const std::string& source,
                    const std::vector<std::string>& overrides) {
  Source src{source, {}};
  YAML::Node root = load_yaml(yaml, source);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw ConfigError(source +
                      ": the config must be a mapping of sections (task, model, train, ...)");
  for (const std::string& o : overrides) apply_override(root, o, src);
  Config c;
  std::map<std::string, YAML::Mark> marks;
  try {
    Reader reader(src, root, "", marks);
    refuse_experiment_file(reader, root, source);
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
         task_reference() +
         "\nEach model type reads its own keys in `model:` besides `type` (seq2seq with `encoder: "
         "tree` also `composition`, `max_depth`, `max_branch`); another key set to other than its "
         "default is an error, and `heed config show` prints only the keys the type reads.\n\n" +
         model_reference();
}

}  // namespace heed
