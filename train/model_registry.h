// Model types register themselves, as tasks and attention variants do: a model type is one file
// (its TaskModel adapter in train/, beside its implementation in models/) that declares its
// name, description, the model.* keys it reads, the tasks it can read (by their capabilities,
// datasets/task_registry.h), how it is made and, optionally, its own memory estimate:
//
//   HEED_REGISTER_MODEL(rnn, rnn_model_type());
//
// The config reads only the chosen type's keys (a key it does not read is an error naming the
// types that do), `heed config show` prints only those, `heed list models` lists the types.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "datasets/task_registry.h"
#include "models/attention/attention.h"
#include "models/transformer.h"
#include "train/config.h"
#include "train/memory_estimate.h"
#include "train/task_model.h"

namespace heed {

// What a model is made for: the task's vocabulary, and the task itself when there is one (tree
// models rebuild the trees from it; a model made for a bare vocabulary, in tests, has none).
struct ModelInput {
  int64_t vocab = 0;
  const Task* task = nullptr;
};

struct ModelType {
  std::string name, description;
  // The model.* keys it reads besides `type`, for this config (seq2seq's depend on its encoder).
  std::function<std::vector<std::string>(const ModelConfig&)> keys;
  // Why it cannot read a task that offers `task`, and the key to blame (none when it can).
  struct Refusal {
    std::string key, why;  // key "" : nothing to refuse
  };
  std::function<Refusal(const TaskCapabilities& task, const std::string& task_name,
                        const ModelConfig&)>
      refuses;
  // Rules across its own keys and its attention variant's capabilities, e.g. "tree positions
  // need d_model >= max_depth * max_branch". May be empty.
  std::function<Refusal(const ModelConfig&, const AttentionCapabilities&)> check;
  std::function<std::unique_ptr<TaskModel>(const Config&, const ModelInput&)> make;
  // Its memory estimate (memory_estimate.h: estimate_transformer serves the transformers).
  std::function<MemoryEstimate(const Config&, int64_t vocab)> estimate;
};

bool register_model(ModelType type);
// Every registered model type, sorted by name.
std::vector<const ModelType*> model_types();
// The registered type `name`; throws ConfigError at model.type listing the known ones.
const ModelType& model_type(const std::string& name);

// The keys of the transformer models: width, heads, feed-forward, dropout, positions, attention.
std::vector<std::string> transformer_keys();
// The fields every transformer model's config (models/transformer.h: TransformerShape) takes
// from `model.*` alike: width, heads, feed-forward, dropout and the self-attention variant with
// its options.
void set_transformer_fields(TransformerShape& k, const ModelConfig& m);
// The refusal of a model that writes sequences (seq2seq, decoder, rnn) for a task with class
// targets.
ModelType::Refusal refuse_class_targets(const TaskCapabilities& task, const std::string& name,
                                        const std::string& type);
// The rules of a transformer over tokens (no tree positions, no variant that needs a tree); a
// tree encoder's are in tree_encoder_options.h.
ModelType::Refusal token_transformer_rules(const ModelConfig& m, const AttentionCapabilities& a);

}  // namespace heed

#define HEED_REGISTER_MODEL(NAME, TYPE) \
  static const bool heed_model_registered_##NAME = ::heed::register_model(TYPE)
