// The task model of `model.type: rnn`: the GRU encoder–decoder with attention of Bahdanau et al.
// (2015) (models/rnn_attention.h) over any sequence task, trained and decoded as seq2seq is
// (source → [BOS] target → target EOS). From the config: d_model is the GRU's hidden size and
// the embeddings' width, encoder_layers and decoder_layers the stacked GRU layers, dropout, and
// model.attention its one-head cross-attention (additive unless the config names another).
#pragma once

#include <memory>

#include "train/task_model.h"

namespace heed {

std::unique_ptr<TaskModel> make_rnn_task_model(const Config& config, int64_t vocab);

}  // namespace heed
