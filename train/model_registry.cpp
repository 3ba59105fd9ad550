#include "train/model_registry.h"

#include <map>

#include "framework/registry.h"
#include "framework/text.h"

namespace heed {
namespace {

using Models = Registry<ModelType>;

}  // namespace

bool register_model(ModelType type) {
  if (!type.make || !type.keys || !type.refuses || !type.estimate)
    throw Error("model type '" + type.name +
                "' registered without make, keys, refuses or estimate");
  const std::string name = type.name;
  return Models::add("model type", name, std::move(type));
}

std::vector<const ModelType*> model_types() {
  return Models::all();
}

const ModelType& model_type(const std::string& name) {
  if (const ModelType* t = Models::find(name)) return *t;
  throw ConfigError("model.type: '" + name + "' is not one of: " + join(Models::names()));
}

ModelType::Refusal refuse_class_targets(const TaskCapabilities& task, const std::string& name,
                                        const std::string& type) {
  if (task.targets != TargetKind::kClass) return {};
  return {"model.type", "task '" + name + "' is classification: set model.type to classifier " +
                            "(the sequence baseline) or tree_encoder (model.type is " + type + ")"};
}

ModelType::Refusal token_transformer_rules(const ModelConfig& m, const AttentionCapabilities& a) {
  if (m.position == "tree")
    return {"model.position",
            "tree positions need a tree encoder (model.type tree_encoder, or seq2seq with "
            "encoder tree)"};
  if (a.needs_tree)
    return {"model.attention", "'" + m.attention.type +
                                   "' needs a tree: use model.type tree_encoder, or seq2seq with "
                                   "encoder tree (they alone read trees)"};
  return {};
}

void set_transformer_fields(TransformerShape& k, const ModelConfig& m) {
  k.d_model = m.d_model;
  k.heads = m.heads;
  k.d_ff = m.d_ff;
  k.dropout = static_cast<float>(m.dropout);
  k.attention = m.attention.type;
  for (const auto& [key, v] : m.attention.options) k.attention_options.set(key, v);
}

std::vector<std::string> transformer_keys() {
  return {"d_model", "heads", "d_ff", "dropout", "position", "max_len", "attention"};
}

}  // namespace heed
