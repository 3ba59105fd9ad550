// The `model.*` keys a tree encoder (models/tree_encoder.h) reads, their rules, and the
// TreeEncoderConfig they make: shared by the model types that put one in front
// (tree_encoder, and seq2seq with `encoder: tree`).
#pragma once

#include <string>
#include <vector>

#include "models/tree_encoder.h"
#include "train/model_registry.h"

namespace heed {

// Its own keys, besides transformer_keys() and encoder_layers.
std::vector<std::string> tree_encoder_keys();
// Positions tree | sinusoidal | none; composition's attention; room for tree positions.
ModelType::Refusal tree_encoder_rules(const ModelConfig& m);
// The encoder of a task whose tree vocabulary has `vocab` tokens.
TreeEncoderConfig tree_encoder_config(const ModelConfig& m, int64_t vocab);

}  // namespace heed
