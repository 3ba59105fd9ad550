#include "train/list_command.h"

#include <cstdio>

#include "datasets/task_registry.h"
#include "framework/text.h"
#include "models/attention/attention.h"
#include "train/config.h"
#include "train/model_registry.h"

namespace heed {
namespace {

// The key a kind lists, named by its last meaningful part: model.position -> positions,
// train.optimizer.type -> optimizers; keys that are not nouns (train.on_nonfinite, train.stop_at)
// keep their own name.
std::string kind_of(const std::string& key) {
  const std::vector<std::string> parts = split(key, '.');
  std::string word = parts.back();
  if ((word == "type" || word == "name") && parts.size() > 1) word = parts[parts.size() - 2];
  return word.find('_') == std::string::npos ? word + "s" : word;
}

void list_tasks() {
  for (const TaskType* t : task_types())
    std::printf("%-15s %s\n", t->name.c_str(), t->description.c_str());
}

void list_attention() {
  for (const AttentionVariant& v : attention_variants()) {
    AttentionCapabilities c =
        make_attention(v.name, AttentionConfig{8, 2, 0.0f, {}})->capabilities();
    std::vector<std::string> caps;
    auto add = [&](bool on, const char* name) {
      if (on) caps.push_back(name);
    };
    add(c.returns_weights, "weights");
    add(c.causal, "causal");
    add(c.cross, "cross");
    add(c.key_padding, "padding");
    add(c.kv_cache, "kv_cache");
    add(c.needs_tree, "tree");
    std::printf("%-14s %-40s %s\n", v.name.c_str(), join(caps, ",").c_str(), v.description.c_str());
  }
}

void list_models() {
  for (const ModelType* m : model_types())
    std::printf("%-13s %s\n", m->name.c_str(), m->description.c_str());
}

void list_choice(const ConfigChoice& choice) {
  std::printf("%s: %s\n", choice.key.c_str(), choice.meaning.c_str());
  for (const std::string& v : choice.values) std::printf("  %s\n", v.c_str());
}

// The kinds with a printer of their own; the rest are config choices.
struct Special {
  const char* kind;
  const char* key;  // the config key whose values it lists
  void (*print)();
};
const Special kSpecial[] = {{"tasks", "task.name", list_tasks},
                            {"attention", "model.attention.type", list_attention},
                            {"models", "model.type", list_models}};

bool is_special_key(const std::string& key) {
  for (const Special& s : kSpecial)
    if (key == s.key) return true;
  return false;
}

}  // namespace

std::vector<std::string> list_kinds() {
  std::vector<std::string> kinds;
  for (const Special& s : kSpecial) kinds.push_back(s.kind);
  for (const ConfigChoice& c : config_choices())
    if (!is_special_key(c.key)) kinds.push_back(kind_of(c.key));
  return kinds;
}

int run_list(const std::string& kind) {
  bool first = true;
  auto heading = [&](const std::string& title) {
    if (!kind.empty()) return;
    std::printf("%s== %s ==\n", first ? "" : "\n", title.c_str());
    first = false;
  };
  for (const Special& s : kSpecial)
    if (kind.empty() || kind == s.kind) {
      heading(std::string(s.kind) + " (" + s.key + ")");
      s.print();
    }
  for (const ConfigChoice& c : config_choices())
    if (!is_special_key(c.key) && (kind.empty() || kind == kind_of(c.key))) {
      heading(kind_of(c.key));
      list_choice(c);
    }
  return 0;
}

}  // namespace heed
