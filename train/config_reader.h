// Reading the config: YAML nodes checked against the schema (config_schema.h), every problem one
// line "FILE:LINE:COL: KEY: what is wrong", unknown keys with the nearest known one suggested.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "framework/text.h"
#include "train/config_schema.h"

namespace heed::config_detail {

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

}  // namespace heed::config_detail
