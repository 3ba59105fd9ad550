// The task model of `model: {type: seq2seq, encoder: tree}` on a task over trees with
// sequence targets: each example's flat
// source rebuilt into its tree (TreeTask::to_tree), a TreeSeq2Seq (models/tree_seq2seq.h) over
// those trees, and the target decoded as Seq2Seq's is ([BOS] target → target EOS).
#pragma once

#include <memory>

#include "datasets/tree_tasks.h"
#include "train/task_model.h"

namespace heed {

// Throws ConfigError for a task with class targets.
std::unique_ptr<TaskModel> make_tree_seq2seq_task_model(const Config& config, const TreeTask& task);

}  // namespace heed
