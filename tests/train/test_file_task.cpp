// The `file` task: reading source<TAB>target files and vocabularies, every refusal with its exact
// "FILE:LINE: what" message, <unk> mapping, length bucketing, its config keys, and a short
// training run that learns a tiny file and carries its vocabulary to eval, predict and resume.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "datasets/bucketing.h"
#include "datasets/file_task.h"
#include "framework/io/atomic_file.h"
#include "tests/test_util.h"
#include "tests/train/train_test_util.h"
#include "train/commands.h"
#include "train/config.h"
#include "train/run_loader.h"
#include "train/trainer.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using testing::file_task_spec;

class FileTaskTest : public testing::TempDirTest {
 protected:
  // The message of the heed::Error that reading `path` as a TSV file throws.
  static std::string tsv_error(const std::string& path) {
    try {
      read_tsv(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  }
  static std::string task_error(const FileTaskSpec& spec) {
    try {
      load_file_task(spec);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  }
};

TEST_F(FileTaskTest, ReadsExamplesAndBuildsASortedVocabulary) {
  // CRLF and LF endings mixed, runs of spaces, no final newline.
  const std::string train = write("t.tsv", "b  a\tx\r\nc\ty z\nz\ta");
  std::unique_ptr<FileTask> task = load_file_task(file_task_spec(train));
  const WordVocab& v = *task->vocabulary();
  EXPECT_EQ(v.words(), (std::vector<std::string>{"a", "b", "c", "x", "y", "z"}));
  EXPECT_EQ(task->vocab(), 4 + 6);
  EXPECT_EQ(v.id("a"), 4);
  EXPECT_EQ(v.id("z"), 9);
  EXPECT_EQ(v.word(3), "<unk>");
  EXPECT_EQ(v.word(5), "b");
  const std::vector<Example>& ex = task->train_examples();
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].source, (std::vector<int64_t>{5, 4}));
  EXPECT_EQ(ex[0].target, (std::vector<int64_t>{7}));
  EXPECT_EQ(ex[1].target, (std::vector<int64_t>{8, 9}));
  // Without a validation file, evaluation reads the training file in order.
  std::vector<Example> eval = task->eval_examples(0, 100, 1, 32);
  ASSERT_EQ(eval.size(), 3u);
  EXPECT_EQ(eval[2].source, (std::vector<int64_t>{9}));
  EXPECT_EQ(task->eval_examples(0, 2, 1, 32).size(), 2u);
  // What a checkpoint carries rebuilds the same vocabulary without the files.
  std::unique_ptr<FileTask> again =
      file_task_from_metadata(FileTaskSpec{}, task->metadata(), "ckpt");
  EXPECT_EQ(again->vocabulary()->words(), v.words());
  EXPECT_EQ(again->max_target_len(3), task->max_target_len(3));
  EXPECT_EQ(task->max_target_len(3), 2 + 3);  // longest training target + source length
}

TEST_F(FileTaskTest, UnknownWordsMapToUnk) {
  const std::string vocab = write("v.txt", "a\nb\nx\n");
  const std::string train = write("t.tsv", "a b\tx\na q\t<unk>\n");
  const std::string valid = write("v.tsv", "b new\tx x\n");
  std::unique_ptr<FileTask> task = load_file_task(file_task_spec(train, valid, vocab));
  EXPECT_EQ(task->vocabulary()->words(), (std::vector<std::string>{"a", "b", "x"}));
  EXPECT_EQ(task->train_examples()[1].source, (std::vector<int64_t>{4, WordVocab::kUnknownWord}));
  EXPECT_EQ(task->train_examples()[1].target, (std::vector<int64_t>{WordVocab::kUnknownWord}));
  std::vector<Example> eval = task->eval_examples(0, 10, 1, 32);
  ASSERT_EQ(eval.size(), 1u);
  EXPECT_EQ(eval[0].source, (std::vector<int64_t>{5, WordVocab::kUnknownWord}));
  EXPECT_EQ(eval[0].target, (std::vector<int64_t>{6, 6}));
  // "<unk>" in a training file is the unknown word, never a data token.
  std::unique_ptr<FileTask> built = load_file_task(file_task_spec(train));
  EXPECT_EQ(built->vocabulary()->words(), (std::vector<std::string>{"a", "b", "q", "x"}));
}

TEST_F(FileTaskTest, FileErrorsNameThePath) {
  const std::string missing = (dir_ / "nope.tsv").string();
  EXPECT_EQ(tsv_error(missing), missing + ": cannot open: No such file or directory");
  const std::string file = write("plain.tsv", "a\tb\n");
  EXPECT_EQ(tsv_error(file + "/x.tsv"), file + "/x.tsv: cannot open: Not a directory");
  EXPECT_EQ(tsv_error(dir_.string()), dir_.string() + ": is a directory, not a file");
  const std::string empty = write("empty.tsv", "");
  EXPECT_EQ(tsv_error(empty), empty + ": empty file");
}

TEST_F(FileTaskTest, LineErrorsNameFileAndLine) {
  struct Case {
    std::string bytes, message;
  };
  const std::vector<Case> cases = {
      {"a\tb\nab\n", ":2: no TAB between source and target (expected source<TAB>target)"},
      {"a\tb\tc\n", ":1: 2 TABs, expected exactly one (source<TAB>target)"},
      {"a\tb\n  \tc\n", ":2: empty source (before the TAB)"},
      {"a\t \n", ":1: empty target (after the TAB)"},
      {"a\tb\n\nc\td\n", ":2: blank line"},
      {"a\tb\n\r\n", ":2: blank line"},
      {"a\rb\tc\n",
       ":1: carriage return (0x0D) at column 2 (only \\r\\n line endings are "
       "accepted)"},
      {std::string("a\tb\nx\0y\tz\n", 10), ":2: NUL byte (0x00) at column 2 (a binary file?)"},
      {"a\x07\tb\n", ":1: control character (0x07) at column 2 (a binary file?)"},
      {"a\tb\nok\t\xff\xfe\n", ":2: invalid UTF-8 at column 4 (a binary file?)"},
      {"a\t\xc3\n", ":1: invalid UTF-8 at column 3 (a binary file?)"},
      {std::string(70000, 'a') + "\tb\n",
       ":1: line of 70002 bytes, longer than the limit of 65536"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string path = write("case" + std::to_string(i) + ".tsv", cases[i].bytes);
    EXPECT_EQ(tsv_error(path), path + cases[i].message) << "case " << i;
  }
  // UTF-8 text is fine, and so is a line ending in \r\n.
  const std::string utf8 = write("utf8.tsv", "caf\xc3\xa9 \xe2\x82\xac\t\xf0\x9f\x98\x80\r\n");
  EXPECT_EQ(tsv_error(utf8), "(accepted)");
}

TEST_F(FileTaskTest, VocabularyFileErrors) {
  const std::string train = write("t.tsv", "a\tb\n");
  auto vocab_error = [&](const std::string& name, const std::string& bytes) {
    return task_error(file_task_spec(train, "", write(name, bytes)));
  };
  const std::string dup = (dir_ / "dup.txt").string();
  EXPECT_EQ(vocab_error("dup.txt", "a\nb\na\n"), dup + ":3: duplicate token 'a' (first on line 1)");
  const std::string res = (dir_ / "res.txt").string();
  EXPECT_EQ(vocab_error("res.txt", "a\n<unk>\n"),
            res + ":2: '<unk>' is reserved (pad, bos, eos and unk are implicit)");
  const std::string sp = (dir_ / "sp.txt").string();
  EXPECT_EQ(vocab_error("sp.txt", "a b\n"),
            sp + ":1: token 'a b' holds a space or TAB (one token per line)");
  const std::string empty = (dir_ / "empty.txt").string();
  EXPECT_EQ(vocab_error("empty.txt", ""), empty + ": empty file");
}

TEST_F(FileTaskTest, TrainingLinesOutsideTheLengthsAreRefused) {
  const std::string train = write("t.tsv", "a b\tc\na b c d e\tc\n");
  EXPECT_EQ(task_error(file_task_spec(train, "", "", 1, 4)),
            train + ":2: source of 5 tokens is outside task.min_len..task.max_len = 1..4");
  EXPECT_EQ(task_error(file_task_spec(train, "", "", 3, 8)),
            train + ":1: source of 2 tokens is outside task.min_len..task.max_len = 3..8");
  // Validation lines may be longer: they measure length generalization.
  const std::string valid = write("v.tsv", "a b c d e f g\tc\n");
  EXPECT_EQ(task_error(file_task_spec(train, valid, "", 1, 5)), "(accepted)");
  const std::string bad = write("bad.tsv", "a\tb\na <eos>\tb\n");
  EXPECT_EQ(task_error(file_task_spec(bad)), bad + ":2: '<eos>' is a reserved token");
  // A broken validation file is found before training starts.
  const std::string broken = write("broken.tsv", "a b\n");
  EXPECT_EQ(task_error(file_task_spec(train, broken)),
            broken + ":1: no TAB between source and target (expected source<TAB>target)");
}

// ---- bucketing ----

TEST(BatchPlan, BucketedBatchesHoldOneLengthAndCoverEveryEpoch) {
  std::vector<int64_t> keys;
  for (int64_t len = 1; len <= 8; ++len)
    for (int i = 0; i < 32; ++i) keys.push_back(len);
  BatchPlan plan(keys, 32, true);
  ASSERT_EQ(plan.batches_per_epoch(), 8);
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::multiset<int64_t> seen;
    std::set<int64_t> lengths_in_order;
    for (int64_t b = 0; b < 8; ++b) {
      std::vector<int64_t> idx = plan.batch(7, epoch * 8 + b);
      ASSERT_EQ(idx.size(), 32u);
      for (int64_t i : idx) EXPECT_EQ(keys[i], keys[idx[0]]) << "batch " << b;
      seen.insert(idx.begin(), idx.end());
      lengths_in_order.insert(keys[idx[0]]);
    }
    EXPECT_EQ(seen.size(), keys.size());
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), keys.size()) << "a repeat";
    EXPECT_EQ(lengths_in_order.size(), 8u);
  }
  // The batch order is shuffled: epoch 0 does not visit lengths in ascending order.
  std::vector<int64_t> first_keys;
  for (int64_t b = 0; b < 8; ++b) first_keys.push_back(keys[plan.batch(7, b)[0]]);
  EXPECT_FALSE(std::is_sorted(first_keys.begin(), first_keys.end()));
}

TEST(BatchPlan, BatchKDependsOnlyOnSeedAndK) {
  std::vector<int64_t> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(i % 7);
  BatchPlan a(keys, 16, true), b(keys, 16, true);
  std::vector<std::vector<int64_t>> in_order;
  for (int64_t k = 0; k < 30; ++k) in_order.push_back(a.batch(3, k));
  // Out of order and across epochs (7 batches an epoch), as a resume at any step draws them.
  for (int64_t k : {29, 0, 15, 14, 6, 7, 22}) EXPECT_EQ(b.batch(3, k), in_order[k]) << k;
  EXPECT_EQ(BatchPlan(keys, 16, true).batch(3, 12), in_order[12]);
  // Another seed, another order; another epoch, another order.
  EXPECT_NE(BatchPlan(keys, 16, true).batch(4, 0), in_order[0]);
  EXPECT_NE(in_order[0], in_order[7]);
  // 100 = 6 · 16 + 4: one batch of each epoch holds the 4 left over.
  std::multiset<std::size_t> sizes;
  for (int64_t k = 0; k < 7; ++k) sizes.insert(in_order[k].size());
  EXPECT_EQ(sizes, (std::multiset<std::size_t>{4, 16, 16, 16, 16, 16, 16}));
}

TEST(BatchPlan, WithoutBucketingBatchesMixLengths) {
  std::vector<int64_t> keys;
  for (int64_t len = 1; len <= 8; ++len)
    for (int i = 0; i < 32; ++i) keys.push_back(len);
  BatchPlan plan(keys, 32, false);
  std::set<int64_t> seen, lengths;
  for (int64_t b = 0; b < 8; ++b) {
    std::vector<int64_t> idx = plan.batch(7, b);
    seen.insert(idx.begin(), idx.end());
    if (b == 0)
      for (int64_t i : idx) lengths.insert(keys[i]);
  }
  EXPECT_EQ(seen.size(), keys.size());
  EXPECT_GT(lengths.size(), 4u);
}

TEST_F(FileTaskTest, TrainingBatchesAreBucketedBySourceLength) {
  std::string text;
  for (int len = 1; len <= 4; ++len)
    for (int i = 0; i < 16; ++i) {
      std::string src;
      for (int k = 0; k < len; ++k) src += (k ? " w" : "w") + std::to_string((i + k) % 5);
      text += src + "\tt" + std::to_string(i % 3) + "\n";
    }
  const std::string train = write("t.tsv", text);
  std::unique_ptr<FileTask> task = load_file_task(file_task_spec(train));
  for (int64_t k = 0; k < 12; ++k) {
    std::vector<Example> batch = task->train_batch(5, k, 16, 1, 32);
    ASSERT_EQ(batch.size(), 16u);
    for (const Example& e : batch) EXPECT_EQ(e.source.size(), batch[0].source.size()) << k;
  }
  std::unique_ptr<FileTask> other = load_file_task(file_task_spec(train));
  EXPECT_EQ(other->train_batch(5, 9, 16, 1, 32)[3].source,
            task->train_batch(5, 9, 16, 1, 32)[3].source);
}

// ---- config ----

std::string config_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_config(yaml, "my.yaml", overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(FileTaskConfig, ChecksItsKeys) {
  EXPECT_EQ(config_error("task:\n  name: file\n"),
            "my.yaml:2:9: task.name: task 'file' needs task.train, its training file");
  EXPECT_EQ(config_error("task:\n  train: a.tsv\n"),
            "my.yaml:2:10: task.train: only task 'file' reads it (task.name is copy)");
  EXPECT_EQ(config_error("task:\n  name: file\n  train: a.tsv\n  vocab: 40\n"),
            "my.yaml:4:10: task.vocab: only tasks copy, reverse, sort read it (task.name is file)");
  EXPECT_EQ(config_error("task:\n  name: file\n  train: a.tsv\n  eval_lengths: [9]\n"),
            "my.yaml:4:17: task.eval_lengths: task 'file' cannot make examples of a given "
            "length; evaluate another file with heed eval RUN --data FILE");
  EXPECT_EQ(config_error("train:\n  bucketing: maybe\n"),
            "my.yaml:2:14: train.bucketing: must be true or false, got 'maybe'");
}

TEST(FileTaskConfig, PathsResolveAgainstTheConfigOrTheCurrentDirectory) {
  Config c = parse_config("task: {name: file, train: data/t.tsv, valid: /abs/v.tsv}\n",
                          "/cfg/dir/x.yaml", {"task.vocab_file=v.txt"});
  EXPECT_EQ(c.task.options.at("train"), "/cfg/dir/data/t.tsv");
  EXPECT_EQ(c.task.options.at("valid"), "/abs/v.tsv");
  EXPECT_EQ(c.task.options.at("vocab_file"), (fs::current_path() / "v.txt").string());
  EXPECT_TRUE(c.train.bucketing);
  // The resolved config reads back the same from anywhere: what --resume relies on.
  const std::string yaml = config_to_yaml(c);
  EXPECT_EQ(config_to_yaml(parse_config(yaml, "/elsewhere/config.yaml")), yaml);
  // A generated task's resolved config (empty paths) reads back too.
  const std::string copy = config_to_yaml(parse_config("", "x.yaml"));
  EXPECT_EQ(config_to_yaml(parse_config(copy, "y.yaml")), copy);
}

// ---- end to end ----

// Word-for-word translation of 1..3 words over a 4-word language: 84 examples.
std::string translation_tsv() {
  const std::vector<std::string> src = {"one", "two", "three", "four"},
                                 tgt = {"un", "deux", "trois", "quatre"};
  std::string out;
  for (int n = 1; n <= 3; ++n) {
    int count = 1;
    for (int k = 0; k < n; ++k) count *= 4;
    for (int code = 0; code < count; ++code) {
      std::string s, t;
      for (int k = 0, c = code; k < n; ++k, c /= 4) {
        s += (k ? " " : "") + src[c % 4];
        t += (k ? " " : "") + tgt[c % 4];
      }
      out += s + "\t" + t + "\n";
    }
  }
  return out;
}

std::string file_config(const std::string& out_dir) {
  return "task: {name: file, train: train.tsv, valid: valid.tsv, max_len: 3}\n"
         "model: {d_model: 32, heads: 2, d_ff: 64, encoder_layers: 1, decoder_layers: 1, "
         "dropout: 0.0}\n"
         "train: {steps: 600, batch_size: 16, optimizer: {lr: 0.005}, eval_every: 50, "
         "checkpoint_every: 50, log_every: 50, stop_at: {exact_seq_acc: 1.0}}\n"
         "seed: 3\nthreads: 1\nout_dir: " +
         out_dir + "\n";
}

TEST_F(FileTaskTest, TrainsOnATinyFileAndCarriesItsVocabulary) {
  write("train.tsv", translation_tsv());
  write("valid.tsv", translation_tsv());  // stop_at 1.0 then means: learnt every line
  const std::string cfg = write("c.yaml", file_config((dir_ / "run").string()));
  TrainSummary s = train(load_config(cfg), {});
  EXPECT_EQ(s.stop_reason, "stop_at") << "did not learn the file in " << s.steps << " steps";
  EXPECT_DOUBLE_EQ(s.eval.at("exact_seq_acc"), 1.0);

  // The run carries its vocabulary: vocab.txt (reusable as task.vocab_file) and the checkpoint.
  EXPECT_EQ(read_file((dir_ / "run" / "vocab.txt").string()),
            "deux\nfour\none\nquatre\nthree\ntrois\ntwo\nun\n");
  const std::string resolved = read_file((dir_ / "run" / "config.yaml").string());
  EXPECT_NE(resolved.find("train: " + (dir_ / "train.tsv").string()), std::string::npos)
      << resolved;

  // predict: words in, words out, from the checkpoint alone (the data files gone).
  fs::remove(dir_ / "train.tsv");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  PredictArgs p;
  p.path = (dir_ / "run" / "checkpoints" / "best").string();
  p.input = "two four one";
  EXPECT_EQ(run_predict(p), 0);
  p.input = "zebra";  // <unk>: whatever the model makes of it, it says so
  EXPECT_EQ(run_predict(p), 0);
  const std::string predicted = ::testing::internal::GetCapturedStdout();
  const std::string notes = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(predicted.substr(0, predicted.find('\n') + 1), "deux quatre un\n") << predicted;
  EXPECT_NE(notes.find("'zebra' is not in the vocabulary: <unk>"), std::string::npos) << notes;

  // eval --data: another file, unknown words included, scored with the run's vocabulary.
  const std::string other = write("other.tsv", "two two\tdeux deux\none zebra\tun zebra\n");
  const nlohmann::json j = testing::eval_data_json((dir_ / "run").string(), other);
  EXPECT_EQ(j["data"]["examples"], 2);
  EXPECT_DOUBLE_EQ(j["data"]["exact_seq_acc"].get<double>(), 0.5);  // "zebra" is beyond it
}

TEST_F(FileTaskTest, ResumeDrawsTheSameBucketedBatches) {
  write("train.tsv", translation_tsv());
  write("valid.tsv", "one\tun\n");
  // Dropout on: the resumed generator state must match too.
  const std::vector<std::string> common = {"model.dropout=0.1", "train.stop_at={}",
                                           "train.eval_every=10", "train.checkpoint_every=10",
                                           "train.keep_checkpoints=5"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.end(), common.begin(), common.end());
    return extra;
  };
  const std::string cfg_a = write("a.yaml", file_config((dir_ / "a").string()));
  const std::string cfg_b = write("b.yaml", file_config((dir_ / "b").string()));
  train(load_config(cfg_a, with({"train.steps=30"})), {});
  train(load_config(cfg_b, with({"train.steps=20"})), {});
  TrainOptions resume;
  resume.resume = true;
  train(run_config((dir_ / "b").string(), {"train.steps=30"}), resume);
  EXPECT_EQ(read_file((dir_ / "a/checkpoints/step_00000030/model.safetensors").string()),
            read_file((dir_ / "b/checkpoints/step_00000030/model.safetensors").string()));

  // A training file whose words changed since the checkpoint cannot resume silently.
  write("train.tsv", "five\tcinq\n");
  EXPECT_TRUE(testing::contains(testing::resume_error((dir_ / "b").string(), {"train.steps=40"}),
                                "vocabulary differs"));
}

}  // namespace
}  // namespace heed
