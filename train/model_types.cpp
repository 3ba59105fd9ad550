#include "train/model_types.h"

namespace heed {

std::vector<ModelTypeInfo> model_type_list() {
  return {
      {"seq2seq",
       "pre-LayerNorm encoder-decoder transformer (the reference Seq2SeqModel); with "
       "encoder: tree, a tree encoder reads the source tree (tasks over trees)"},
      {"decoder", "decoder-only causal LM over 'source BOS target EOS' (the reference CausalLM)"},
      {"classifier",
       "encoder + pooling + linear head over the flat token sequence (classification tasks)"},
      {"tree_encoder",
       "encoder over a tree's nodes (tree attention, tree positions or bottom-up "
       "child_attention) + root/mean pooling + head (tasks over trees with class targets)"},
      {"rnn",
       "GRU encoder-decoder with attention (Bahdanau et al. 2015): stacked GRU layers, "
       "cross-attention any variant with capability cross, additive by default"}};
}

std::vector<std::string> model_type_names() {
  std::vector<std::string> names;
  for (const ModelTypeInfo& m : model_type_list()) names.push_back(m.name);
  return names;
}

}  // namespace heed
