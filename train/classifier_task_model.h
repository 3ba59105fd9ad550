// Task models for tasks with class targets over trees: the sequence Classifier over the
// flat token sequences, and the TreeClassifier over the trees rebuilt from them
// (TreeTask::to_tree), so both read exactly the same examples. Loss: cross-entropy over the
// classes; an output is the argmax class, one "token" long, so evaluation's exact-sequence
// accuracy is the classification accuracy.
#pragma once

#include <memory>

#include "datasets/tree_tasks.h"
#include "train/task_model.h"

namespace heed {

// config.model.type classifier or tree_encoder; throws ConfigError for another.
std::unique_ptr<TaskModel> make_classifier_task_model(const Config& config, const TreeTask& task);

}  // namespace heed
