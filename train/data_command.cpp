#include "train/data_command.h"

#include <cstdio>

#include "datasets/sexpr.h"
#include "datasets/tree_tasks.h"
#include "framework/text.h"
#include "train/config.h"
#include "train/task_state.h"

namespace heed {
namespace {

std::string ids_text(const std::vector<int64_t>& ids) {
  std::vector<std::string> words;
  for (int64_t id : ids) words.push_back(std::to_string(id));
  return join(words, " ");
}

}  // namespace

int run_data(const DataArgs& args) {
  const Config c = load_config(args.config, args.overrides);
  std::unique_ptr<Task> task = make_config_task(c);
  if (task->reads_files())
    throw Error("data: task '" + c.task.name +
                "' reads its examples from files; only generated tasks write theirs");
  const uint64_t stream = args.split == "train" ? 0 : args.split == "valid" ? 1 : kTestStream;
  const auto* tree_task = dynamic_cast<const TreeTask*>(task.get());
  for (const Example& e :
       generate(*task, c.seed, stream, args.first, args.examples, c.task.min_len, c.task.max_len)) {
    std::string line;
    if (tree_task) {
      const TreeVocab& vocab = tree_task->tree_vocab();
      line = to_sexpr(tree_task->to_tree(e.source), vocab, SexprStyle::kSquare) + "\t" +
             (tree_task->target_kind() == TargetKind::kClass ? tree_task->class_name(e.target[0])
                                                             : vocab.decode(e.target));
    } else {
      line = ids_text(e.source) + "\t" + ids_text(e.target);
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace heed
