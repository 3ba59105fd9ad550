#include "datasets/file_task.h"

#include <algorithm>

#include "framework/tensor.h"

namespace heed {
namespace {

std::vector<Example> encode_with(const WordVocab& vocab, const std::vector<TextExample>& text) {
  std::vector<Example> out;
  out.reserve(text.size());
  for (const TextExample& t : text) {
    Example e;
    for (const std::string& w : t.source) e.source.push_back(vocab.id(w));
    for (const std::string& w : t.target) e.target.push_back(vocab.id(w));
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::vector<Example> FileExamples::eval(
    int64_t count, const std::function<std::vector<Example>(const std::string&)>& read) const {
  if (!eval_) {
    if (!spec_.valid.empty())
      eval_ = read(spec_.valid);
    else if (!train_.empty())
      eval_ = train_;
    else if (!spec_.train.empty())
      eval_ = read(spec_.train);
    else
      throw Error("task 'file': no validation or training file to evaluate on");
  }
  const std::size_t n = std::min<std::size_t>(eval_->size(), std::max<int64_t>(count, 0));
  return std::vector<Example>(eval_->begin(), eval_->begin() + n);
}

FileTask::FileTask(FileTaskSpec spec, WordVocab vocab, std::vector<Example> train,
                   int64_t longest_target)
    : Task("file"),
      files_(std::move(spec), std::move(train)),
      vocab_(std::move(vocab)),
      longest_target_(longest_target) {}

Example FileTask::sample(Rng&, int64_t, int64_t) const {
  throw Error("task 'file' reads its examples from files; it cannot generate any");
}

std::vector<Example> FileTask::encode(const std::vector<TextExample>& examples) const {
  return encode_with(vocab_, examples);
}

std::vector<Example> FileTask::train_batch(uint64_t seed, int64_t k, int64_t batch_size, int64_t,
                                           int64_t) const {
  return files_.batch(seed, k, batch_size);
}

std::vector<Example> FileTask::eval_examples(uint64_t, int64_t count, int64_t, int64_t) const {
  return files_.eval(count, [this](const std::string& path) { return read_examples(path); });
}

std::map<std::string, std::string> FileTask::metadata() const {
  return {{"task.vocab", vocab_.save_text()},
          {"task.longest_target", std::to_string(longest_target_)}};
}

std::unique_ptr<FileTask> load_file_task(const FileTaskSpec& spec) {
  if (spec.train.empty()) throw Error("task 'file': task.train names no file");
  std::vector<TextExample> text = read_tsv(spec.train);
  int64_t longest_target = 0;
  for (const TextExample& t : text) {
    const int64_t n = static_cast<int64_t>(t.source.size());
    if (n < spec.min_len || n > spec.max_len)
      throw Error(spec.train + ":" + std::to_string(t.line) + ": source of " + std::to_string(n) +
                  " tokens is outside task.min_len..task.max_len = " +
                  std::to_string(spec.min_len) + ".." + std::to_string(spec.max_len));
    longest_target = std::max<int64_t>(longest_target, t.target.size());
  }
  // A reserved spelling in the data is a mistake, except <unk>: corpora mark rare words with it.
  for (const TextExample& t : text)
    for (const auto* side : {&t.source, &t.target})
      for (const std::string& w : *side)
        if (w == "<pad>" || w == "<bos>" || w == "<eos>")
          throw Error(spec.train + ":" + std::to_string(t.line) + ": '" + w +
                      "' is a reserved token");
  WordVocab vocab = [&] {
    if (!spec.vocab_file.empty()) return WordVocab::read_file(spec.vocab_file);
    std::vector<std::vector<std::string>> words;
    for (const TextExample& t : text) {
      words.push_back(t.source);
      words.push_back(t.target);
    }
    return WordVocab::build(words);
  }();
  std::vector<Example> train = encode_with(vocab, text);
  auto task = std::make_unique<FileTask>(spec, std::move(vocab), std::move(train), longest_target);
  if (!spec.valid.empty()) task->eval_examples(0, 0, 0, 0);  // read now: errors before training
  return task;
}

std::unique_ptr<FileTask> file_task_from_metadata(const FileTaskSpec& spec,
                                                  const std::map<std::string, std::string>& meta,
                                                  const std::string& source) {
  auto vocab = meta.find("task.vocab");
  auto longest = meta.find("task.longest_target");
  if (vocab == meta.end() || longest == meta.end())
    throw Error(source + ": no 'task.vocab' in its metadata (not a checkpoint of a file task)");
  int64_t longest_target = 0;
  try {
    longest_target = std::stoll(longest->second);
  } catch (const std::exception&) {
    throw Error(source + ": 'task.longest_target' is not a number");
  }
  return std::make_unique<FileTask>(spec, WordVocab::from_text(vocab->second, source),
                                    std::vector<Example>{}, longest_target);
}

}  // namespace heed
