// The `file` task with `format: tree`: S-expression files with class or sequence targets, every
// refusal with its "FILE:LINE[:COLUMN]: what" message, <unk> for atoms a later file has, the
// checkpoint metadata that rebuilds the task without its files, its config keys, and a short
// run that trains a tree encoder on a ListOps file and carries its classes to predict and eval.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "datasets/tree_file_task.h"
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

class TreeFileTaskTest : public testing::TempDirTest {
 protected:
  static std::string task_error(const FileTaskSpec& s, TargetKind kind = TargetKind::kClass) {
    try {
      load_tree_file_task(s, kind)->eval_examples(0, 1, 1, 1);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  }
};

TEST_F(TreeFileTaskTest, ReadsClassExamples) {
  const std::string train = write("t.tsv", "[MAX 2 9 [MIN 4 7 ] ]\t9\n\n(SM 3 4)\t7\r\n");
  auto task = load_tree_file_task(file_task_spec(train), TargetKind::kClass);
  // Atoms in order of appearance after [, ], <unk>; classes sorted by name.
  const TreeVocab& v = task->tree_vocab();
  ASSERT_EQ(v.size(), 14);
  EXPECT_EQ(v.name(3), "[");
  EXPECT_EQ(v.name(5), "<unk>");
  EXPECT_EQ(v.name(6), "MAX");
  EXPECT_EQ(v.name(12), "SM");
  EXPECT_EQ(task->num_classes(), 2);
  EXPECT_EQ(task->class_name(0), "7");
  EXPECT_EQ(task->class_name(1), "9");
  EXPECT_EQ(task->max_target_len(50), 1);

  std::vector<Example> batch = task->train_batch(0, 0, 2, 1, 1);
  ASSERT_EQ(batch.size(), 2u);
  std::sort(batch.begin(), batch.end(),
            [](const Example& a, const Example& b) { return a.source.size() < b.source.size(); });
  EXPECT_EQ(v.decode(batch[0].source), "[ SM 3 4 ]");
  EXPECT_EQ(batch[0].target, (std::vector<int64_t>{0}));
  EXPECT_EQ(v.decode(batch[1].source), "[ MAX 2 9 [ MIN 4 7 ] ]");
  EXPECT_EQ(batch[1].target, (std::vector<int64_t>{1}));
  EXPECT_EQ(to_sexpr(task->to_tree(batch[1].source), v, SexprStyle::kSquare),
            "[MAX 2 9 [MIN 4 7 ] ]");

  // Without a validation file, evaluation reads the training file in order.
  std::vector<Example> eval = task->eval_examples(0, 10, 1, 1);
  ASSERT_EQ(eval.size(), 2u);
  EXPECT_EQ(eval[0].target, (std::vector<int64_t>{1}));
}

TEST_F(TreeFileTaskTest, SequenceTargetsShareTheTreeVocabulary) {
  const std::string train = write("t.tsv", "(a b (c d))\tb d c a\n(b a)\ta b\n");
  auto task = load_tree_file_task(file_task_spec(train), TargetKind::kSequence);
  EXPECT_EQ(task->target_kind(), TargetKind::kSequence);
  EXPECT_EQ(task->max_target_len(5), 4 + 5);
  std::vector<Example> eval = task->eval_examples(0, 10, 1, 1);
  EXPECT_EQ(task->tree_vocab().decode(eval[0].target), "b d c a");
  // A target atom no tree has joins the vocabulary too: a decoder must be able to emit it.
  const std::string other = write("o.tsv", "(a b)\tb zz\n");
  auto task2 = load_tree_file_task(file_task_spec(other), TargetKind::kSequence);
  EXPECT_GE(task2->tree_vocab().find("zz"), 0);
}

TEST_F(TreeFileTaskTest, LaterFilesMapUnknownAtomsToUnk) {
  const std::string train = write("t.tsv", "(MAX 1 2)\t2\n(MIN 1 2)\t1\n");
  const std::string valid = write("v.tsv", "(MAX 1 8)\t2\n");
  auto task = load_tree_file_task(file_task_spec(train, valid), TargetKind::kClass);
  std::vector<Example> eval = task->eval_examples(0, 5, 1, 1);
  ASSERT_EQ(eval.size(), 1u);
  EXPECT_EQ(task->tree_vocab().decode(eval[0].source), "[ MAX 1 <unk> ]");
  EXPECT_EQ(task->read_examples(valid).size(), 1u);
}

TEST_F(TreeFileTaskTest, ErrorsNameFileLineAndColumn) {
  const std::string ok = "(MAX 1 2)\t2\n(MIN 1 2)\t1\n";
  auto err = [&](const std::string& name, const std::string& content,
                 TargetKind kind = TargetKind::kClass) {
    const std::string path = write(name, content);
    return task_error(file_task_spec(path), kind);
  };
  const std::string d = dir_.string() + "/";
  EXPECT_EQ(err("a.tsv", ok + "(MAX 1 2\t2\n"), d + "a.tsv:3:1: '(' is never closed");
  EXPECT_EQ(err("b.tsv", ok + "(MAX 1 2) 2\n"),
            d + "b.tsv:3:12: missing TAB between tree and target");
  EXPECT_EQ(err("c.tsv", ok + "(MAX 1 2)\t2 3\n"),
            d + "c.tsv:3: a class target is one atom (this one has 2; use task.target sequence "
                "for more)");
  EXPECT_EQ(err("e.tsv", ok + "(MAX <pad> 2)\t2\n"), d + "e.tsv:3: '<pad>' is a reserved token");
  EXPECT_EQ(err("f.tsv", ok + "(MAX 1 2)\t<eos>\n"), d + "f.tsv:3: '<eos>' is a reserved token");
  EXPECT_EQ(err("g.tsv", "(MAX 1 2)\t2\n(MIN 2 2)\t2\n"),
            d + "g.tsv: every target is '2'; classification needs at least two classes");
  EXPECT_EQ(err("h.tsv", ok + "(a b)\t<bos>\n", TargetKind::kSequence),
            d + "h.tsv:3: '<bos>' is a reserved token");
  EXPECT_EQ(err("i.tsv", "\n\n"), d + "i.tsv: no examples (one 'tree<TAB>target' a line)");
  EXPECT_EQ(task_error(file_task_spec(d + "missing.tsv")),
            d + "missing.tsv: cannot open the tree file (missing or unreadable)");
  EXPECT_EQ(task_error(file_task_spec(write("j.tsv", ok + "(MAX 1 2 3 4)\t2\n"), "", "", 1, 6)),
            d + "j.tsv:3: tree of 7 flat tokens is outside task.min_len..task.max_len = 1..6");
  // The validation file: read before training, a class the training file lacks is an error.
  EXPECT_EQ(task_error(file_task_spec(write("k.tsv", ok),
                                      write("kv.tsv", "(MAX 1 2)\t2\n(MAX 5 8)\t8\n"))),
            d + "kv.tsv:2:11: target '8' is not one of the task's classes");
}

TEST_F(TreeFileTaskTest, VocabularyFile) {
  const std::string train = write("t.tsv", "(MAX 1 2)\t2\n(MIN 1 7)\t1\n");
  auto task = load_tree_file_task(file_task_spec(train, "", write("v.txt", "MIN\nMAX\n1\n2\n")),
                                  TargetKind::kClass);
  EXPECT_EQ(task->tree_vocab().name(6), "MIN");
  EXPECT_EQ(task->tree_vocab().decode(task->eval_examples(0, 2, 1, 1)[1].source),
            "[ MIN 1 <unk> ]");  // 7 is not in the vocabulary file
  const std::string d = dir_.string() + "/";
  EXPECT_EQ(task_error(file_task_spec(train, "", write("w.txt", "MIN\nMAX\nMIN\n"))),
            d + "w.txt:3: duplicate 'MIN'");
  EXPECT_EQ(task_error(file_task_spec(train, "", write("x.txt", "MIN\n<unk>\n"))),
            d + "x.txt:2: '<unk>' is reserved");
  EXPECT_EQ(task_error(file_task_spec(train, "", write("y.txt", "MIN\n(a\n"))),
            d + "y.txt:2: '(a' is not an atom (printable ASCII without spaces or brackets)");
}

TEST_F(TreeFileTaskTest, MetadataRebuildsTheTask) {
  const std::string train = write("t.tsv", "(MAX 1 2)\tbig\n(MIN 1 7)\tsmall\n");
  auto task = load_tree_file_task(file_task_spec(train), TargetKind::kClass);
  const std::map<std::string, std::string> meta = task->metadata();
  EXPECT_EQ(meta.at("task.vocab"), "MAX\n1\n2\nMIN\n7\n");
  EXPECT_EQ(meta.at("task.labels"), "big\nsmall\n");
  auto back = tree_file_task_from_metadata(file_task_spec(""), meta, "ckpt");
  EXPECT_EQ(back->metadata(), meta);
  EXPECT_EQ(back->tree_vocab().decode({6, 7}), "MAX 1");
  EXPECT_EQ(back->class_name(1), "small");

  auto broken = meta;
  broken.erase("task.labels");
  try {
    tree_file_task_from_metadata(file_task_spec(""), broken, "ckpt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "ckpt: no 'task.labels' in its metadata (not a checkpoint of a tree file task)");
  }
  broken = meta;
  broken["task.vocab"] = "MAX\nMAX\n";
  try {
    tree_file_task_from_metadata(file_task_spec(""), broken, "ckpt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "ckpt task.vocab:2: duplicate 'MAX'");
  }
}

// ---- config ----

std::string config_error(const std::string& yaml) {
  try {
    parse_config(yaml, "my.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(TreeFileTaskConfig, ChecksItsKeys) {
  EXPECT_EQ(config_error("task: {name: file, train: a.tsv, format: tree}\n"),
            "my.yaml:1:14: task.name: task 'file' is classification: set model.type to "
            "classifier (the sequence baseline) or tree_encoder (model.type is seq2seq)");
  EXPECT_EQ(config_error("task: {name: file, train: a.tsv, format: tree, target: sequence}\n"
                         "model: {type: tree_encoder}\n"),
            "my.yaml:2:15: model.type: tree_encoder classifies; task 'file' has sequence "
            "targets (use seq2seq or decoder)");
  EXPECT_EQ(config_error("task: {name: file, train: a.tsv, format: trees}\n"),
            "my.yaml:1:42: task.format: 'trees' is not one of: text, tree");
  EXPECT_EQ(config_error("task: {name: listops, format: tree}\nmodel: {type: tree_encoder}\n"),
            "my.yaml:1:31: task.format: only task 'file' reads it (task.name is listops)");
  EXPECT_EQ(config_error("task: {name: file, train: a.tsv, target: sequence}\n"),
            "my.yaml:1:42: task.target: only format tree reads it");
  EXPECT_EQ(config_error("task: {name: file, train: a.tsv, format: tree}\n"
                         "model: {type: tree_encoder, composition: child_attention}\n"),
            "(accepted)");
  EXPECT_EQ(config_error("task: {name: file, train: a.tsv, format: tree, target: sequence}\n"),
            "(accepted)");
}

// ---- a run ----

// ListOps trees of depth <= 3 as a file, their values as the classes.
std::string listops_file(int64_t count, uint64_t stream) {
  auto listops = make_tree_task("listops", {{"max_depth", "3"}, {"max_args", "3"}});
  std::string out;
  for (const TreeExample& e : generate_trees(*listops, 7, stream, 0, count, 1, 20))
    out += to_sexpr(e.tree, listops->tree_vocab(), SexprStyle::kSquare) + "\t" +
           std::to_string(e.target[0]) + "\n";
  return out;
}

TEST_F(TreeFileTaskTest, TrainsATreeEncoderAndCarriesItsClasses) {
  write("train.tsv", listops_file(2000, 0));
  write("valid.tsv", listops_file(300, 1));
  const std::string cfg = write(
      "c.yaml",
      "task: {name: file, format: tree, train: train.tsv, valid: valid.tsv, max_len: 40}\n"
      "model: {type: tree_encoder, composition: child_attention, position: none, pooling: root,"
      " d_model: 64, heads: 2, d_ff: 128, encoder_layers: 1, dropout: 0.0}\n"
      "train: {steps: 300, batch_size: 32, optimizer: {type: adamw, lr: 0.003}, eval_every: 100,"
      " eval_examples: 300, checkpoint_every: 100, log_every: 100}\n"
      "seed: 1\nthreads: 1\nout_dir: " +
          (dir_ / "run").string() + "\n");
  TrainSummary s = train(load_config(cfg), {});
  // The majority class of ListOps depth <= 3 is about 20% of the examples.
  EXPECT_GT(s.eval.at("accuracy"), 0.5) << "did not learn the ListOps file";
  EXPECT_EQ(read_file((dir_ / "run" / "vocab.txt").string()).substr(0, 4), "MAX\n");

  // predict and eval --data from the checkpoint alone: the data files gone.
  fs::remove(dir_ / "train.tsv");
  fs::remove(dir_ / "valid.tsv");
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  PredictArgs p;
  p.path = (dir_ / "run").string();
  p.input = "[MAX 2 9 [MIN 4 7 ] ]";
  EXPECT_EQ(run_predict(p), 0);
  p.input = "[MAX 2 ZEBRA ]";
  EXPECT_EQ(run_predict(p), 0);
  const std::string predicted = ::testing::internal::GetCapturedStdout();
  const std::string notes = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(predicted.size() == 4 && std::isdigit(predicted[0]) && std::isdigit(predicted[2]))
      << predicted;
  EXPECT_NE(notes.find("the input has atoms the vocabulary lacks: <unk>"), std::string::npos)
      << notes;

  const std::string other = write("other.tsv", "[SM 1 2 ]\t3\n[MIN 4 [MAX 1 8 ] ]\t4\n");
  const nlohmann::json j = testing::eval_data_json((dir_ / "run").string(), other);
  EXPECT_EQ(j["data"]["examples"], 2);

  // A training file whose classes changed cannot resume onto the trained head.
  write("train.tsv", "[MAX 1 2 ]\tbig\n[MIN 1 2 ]\tsmall\n");
  write("valid.tsv", "[MAX 1 2 ]\tbig\n");
  EXPECT_TRUE(testing::contains(testing::resume_error((dir_ / "run").string(), {"train.steps=400"}),
                                "classes differ"));
}

}  // namespace
}  // namespace heed
