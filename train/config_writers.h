// Walking the schema for output: the resolved config as YAML (Writer), the key reference
// (Documenter, task_reference) and the keys that take a name from a list (ChoiceCollector).
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "train/config_schema.h"

namespace heed::config_detail {

// ---- writing ----

// A task option as YAML of its kind: numbers plain, text as a string.
inline void write_option(YAML::Emitter& out, const TaskOption& o, const std::string& value) {
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
    if (!only_.empty() && std::find(only_.begin(), only_.end(), key) == only_.end()) return;
    out_ << YAML::Key << key << YAML::Value;
    write(v);
  }
  template <class S>
  void section(const char* key, S& s) {
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    visit(*this, s);
    out_ << YAML::EndMap;
  }
  // The model section holds only the keys the chosen type reads.
  void section(const char* key, ModelConfig& m) {
    only_ = model_type(m.type).keys(m);
    only_.push_back("type");
    out_ << YAML::Key << key << YAML::Value << YAML::BeginMap;
    visit(*this, m);
    out_ << YAML::EndMap;
    only_.clear();
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
  std::vector<std::string> only_;  // in a section that prints only these keys
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

// Each key's value as YAML text, by dotted path below the visited struct ("heads" -> "4").
class ValueTexts : public PathVisitor<ValueTexts> {
 public:
  template <class T, class... Rest>
  void field(const char* key, const T& v, const char*, const Rest&...) {
    YAML::Emitter e;
    e.SetDoublePrecision(15);
    e << YAML::Flow;
    write(e, v);
    texts_[prefix_ + key] = e.c_str();
  }
  void task_options(const TaskConfig&) {}
  std::map<std::string, std::string> texts_;

 private:
  template <class T>
  static void write(YAML::Emitter& e, const T& v) {
    e << v;
  }
  static void write(YAML::Emitter& e, const AttentionSpec& a) {
    e << YAML::BeginMap << YAML::Key << "type" << YAML::Value << a.type;
    for (const auto& [k, x] : a.options) e << YAML::Key << k << YAML::Value << x;
    e << YAML::EndMap;
  }
};

// One row of the reference: key, default, meaning ('|' escaped for Markdown tables).
inline std::string reference_row(const std::string& key, const std::string& fallback,
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
inline std::string task_reference() {
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

// Every model type's keys, a line each.
inline std::string model_reference() {
  std::string out;
  for (const ModelType* t : model_types()) {
    ModelConfig m;
    m.type = t->name;
    std::vector<std::string> keys;
    for (const std::string& k : t->keys(m)) keys.push_back("`" + k + "`");
    out += "- **`model.type: " + t->name + "`** reads " + join(keys) + ".\n";
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

}  // namespace heed::config_detail
