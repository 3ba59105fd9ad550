// The `file` task: examples read from text files, one `source<TAB>target` a line (datasets/tsv.h),
// words mapped to ids by a WordVocab built from the training file (sorted) or read from a
// vocabulary file. Training batches come from a BatchPlan (length-bucketed by default);
// evaluation reads the validation file in order.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "datasets/bucketing.h"
#include "datasets/tasks.h"
#include "datasets/tsv.h"
#include "datasets/word_vocab.h"

namespace heed {

struct FileTaskSpec {
  std::string train, valid, vocab_file;  // paths; valid and vocab_file may be ""
  bool bucketing = true;
  // Every training source must have min_len..max_len tokens: a longer line is refused with its
  // file and line rather than dropped in silence. Validation lines may have any length.
  int64_t min_len = 1, max_len = 1 << 16;
};

// The examples of a task read from files (FileTask, TreeFileTask): the training file's, batched by
// a BatchPlan, and the first `count` for evaluation: the validation file's, else the training
// examples, else the training file's (a task rebuilt from a checkpoint has none in memory), read
// with `read` at the first evaluation.
class FileExamples {
 public:
  FileExamples(FileTaskSpec spec, std::vector<Example> train)
      : spec_(std::move(spec)), train_(std::move(train)) {}
  const FileTaskSpec& spec() const { return spec_; }
  const std::vector<Example>& train() const { return train_; }
  std::vector<Example> batch(uint64_t seed, int64_t k, int64_t batch_size) const {
    return planned_batch(plan_, train_, seed, k, batch_size, spec_.bucketing);
  }
  std::vector<Example> eval(
      int64_t count, const std::function<std::vector<Example>(const std::string&)>& read) const;

 private:
  FileTaskSpec spec_;
  std::vector<Example> train_;
  mutable std::optional<BatchPlan> plan_;             // built at the first batch
  mutable std::optional<std::vector<Example>> eval_;  // read at the first evaluation
};

class FileTask final : public Task {
 public:
  // `train` may be empty (a task rebuilt from a checkpoint to evaluate or predict).
  FileTask(FileTaskSpec spec, WordVocab vocab, std::vector<Example> train, int64_t longest_target);

  Example sample(Rng&, int64_t, int64_t) const override;  // throws: nothing to generate
  int64_t vocab() const override { return vocab_.size(); }
  // The longest training target plus the source length: room for targets a little longer than
  // any seen, while a model that never emits EOS still stops.
  int64_t max_target_len(int64_t source_len) const override { return longest_target_ + source_len; }
  std::vector<Example> train_batch(uint64_t seed, int64_t k, int64_t batch_size, int64_t min_len,
                                   int64_t max_len) const override;
  // The first `count` examples of the validation file (of the training file without one).
  std::vector<Example> eval_examples(uint64_t seed, int64_t count, int64_t min_len,
                                     int64_t max_len) const override;
  const WordVocab* vocabulary() const override { return &vocab_; }
  bool reads_files() const override { return true; }
  // Unknown words become <unk>.
  std::vector<Example> read_examples(const std::string& path) const override {
    return encode(read_tsv(path));
  }
  // "task.vocab": the data tokens, one per line; "task.longest_target".
  std::map<std::string, std::string> metadata() const override;

  // Ids of a file's examples; words the vocabulary lacks become <unk>.
  std::vector<Example> encode(const std::vector<TextExample>& examples) const;
  const std::vector<Example>& train_examples() const { return files_.train(); }

 private:
  FileExamples files_;
  WordVocab vocab_;
  int64_t longest_target_;
};

// Reads the vocabulary (spec.vocab_file, else built from spec.train) and the training file, and
// checks the validation file. Errors name the file and line.
std::unique_ptr<FileTask> load_file_task(const FileTaskSpec& spec);
// The task a checkpoint's metadata describes (see FileTask::metadata); reads no training data.
std::unique_ptr<FileTask> file_task_from_metadata(const FileTaskSpec& spec,
                                                  const std::map<std::string, std::string>& meta,
                                                  const std::string& source);

}  // namespace heed
