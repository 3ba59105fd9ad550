#include "train/tree_encoder_options.h"

namespace heed {

std::vector<std::string> tree_encoder_keys() {
  return {"composition", "max_depth", "max_branch"};
}

ModelType::Refusal tree_encoder_rules(const ModelConfig& m) {
  if (m.position == "learned")
    return {"model.position", "a tree encoder takes tree | sinusoidal | none"};
  if (m.composition == "child_attention" && m.attention.type != "mha")
    return {"model.attention", "child_attention always composes with mha; leave attention out"};
  if (m.composition == "child_fold" && m.attention.type != "mha")
    return {"model.attention", "child_fold does not attend; leave attention out"};
  if (m.position == "tree" && m.d_model < m.max_depth * m.max_branch)
    return {"model.max_branch", "tree positions need d_model >= max_depth * max_branch (" +
                                    std::to_string(m.max_depth * m.max_branch) + ")"};
  return {};
}

TreeEncoderConfig tree_encoder_config(const ModelConfig& m, int64_t vocab) {
  TreeEncoderConfig e;
  set_transformer_fields(e, m);
  e.vocab = vocab;
  e.layers = m.encoder_layers;
  e.composition = m.composition;
  e.position = m.position;
  e.max_depth = m.max_depth;
  e.max_branch = m.max_branch;
  return e;
}

}  // namespace heed
