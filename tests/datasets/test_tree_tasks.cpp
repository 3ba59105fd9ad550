// Generated tree tasks: vocabularies, determinism, ListOps and tree_eval semantics checked
// against independent evaluators, length/depth/arity limits over many samples, traversal targets.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "datasets/task_registry.h"
#include "datasets/tree_tasks.h"

namespace heed {
namespace {

Tree parse_with(const TreeVocab& vocab, std::string_view text) {
  TreeVocab v = vocab;
  SexprOptions frozen;
  frozen.add_unknown = false;
  TreeParse p = parse_tree(text, v, frozen);
  if (!p.ok()) throw Error(p.error->format(text));
  return p.tree;
}

// ListOps as LRA's to_value computes it, recursively over names (independent of the token layout
// listops_value relies on): MED is int(np.median(args)), i.e. the float median truncated.
int64_t reference_listops(const Tree& t, const TreeVocab& v, int64_t node = 0) {
  const std::string& name = v.name(t.tokens[node]);
  if (t.num_children[node] == 0) return std::stoi(name);
  std::vector<double> args;
  for (int64_t c : t.children(node)) args.push_back(double(reference_listops(t, v, c)));
  std::sort(args.begin(), args.end());
  const std::size_t n = args.size();
  if (name == "MIN") return int64_t(args.front());
  if (name == "MAX") return int64_t(args.back());
  if (name == "MED") return int64_t(n % 2 ? args[n / 2] : (args[n / 2 - 1] + args[n / 2]) / 2.0);
  double sum = 0;
  for (double a : args) sum += a;
  return int64_t(std::fmod(sum, 10.0));
}

int64_t reference_arith(const Tree& t, const TreeVocab& v, int64_t node = 0) {
  const std::string& name = v.name(t.tokens[node]);
  if (t.num_children[node] == 0) return std::stoi(name);
  std::vector<int64_t> c = t.children(node);
  int64_t acc = reference_arith(t, v, c[0]);  // exact integers, reduced once at the end
  for (std::size_t k = 1; k < c.size(); ++k) {
    const int64_t x = reference_arith(t, v, c[k]);
    acc = name == "+" ? acc + x : name == "-" ? acc - x : acc * x;
    acc = ((acc % 1000) + 1000) % 1000;  // mod 1000 keeps mod 10 and avoids overflow
  }
  return acc % 10;
}

void reference_postorder(const Tree& t, int64_t node, std::vector<int64_t>& out) {
  for (int64_t c : t.children(node)) reference_postorder(t, c, out);
  out.push_back(t.tokens[node]);
}

TEST(TreeTasks, VocabulariesHaveTheDocumentedLayout) {
  TreeVocab l = listops_vocab();
  EXPECT_EQ(l.size(), 19);
  EXPECT_EQ(l.id("["), kOpenBracket);
  EXPECT_EQ(l.id("]"), kCloseBracket);
  EXPECT_EQ(l.decode({5, 6, 7, 8, 9, 18}), "MIN MAX MED SM 0 9");
  EXPECT_EQ(l.name(kPad), "<pad>");
  TreeVocab e = tree_eval_vocab();
  EXPECT_EQ(e.size(), 18);
  EXPECT_EQ(e.decode({3, 4, 5, 6, 7, 8, 17}), "[ ] + - * 0 9");
  TreeVocab t = tree_traversal_vocab(4);
  EXPECT_EQ(t.size(), 9);
  EXPECT_EQ(t.decode({5, 8}), "a d");
  EXPECT_THROW(tree_traversal_vocab(27), Error);
  EXPECT_EQ(make_tree_task("listops", {})->vocab(), 19);
}

TEST(TreeTasks, ListOpsHandMadeValues) {
  const TreeVocab v = listops_vocab();
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"[MAX 2 9 [MIN 4 7 ] 0 ]", 9},
      {"[MIN 2 9 [MAX 4 7 ] 3 ]", 2},
      {"[MED 3 1 2 ]", 2},
      {"[MED 1 4 ]", 2},      // LRA: int(np.median([1, 4])) = int(2.5) = 2, not 1
      {"[MED 9 0 ]", 4},      // int(4.5)
      {"[MED 5 1 2 9 ]", 3},  // int((2 + 5) / 2)
      {"[MED 7 7 8 8 ]", 7},  // int(7.5)
      {"[SM 9 8 7 ]", 4},     // 24 mod 10
      {"[SM 5 5 ]", 0},
      {"[SM [MAX 1 9 ] [MIN 8 3 ] [MED 1 2 3 ] ]", 4},  // 9 + 3 + 2 = 14
      {"[MAX [MIN [SM 9 9 ] 5 ] [MED 0 0 1 ] ]", 5},    // SM = 8, MIN = 5, MED = 0
  };
  for (const auto& [text, value] : cases) {
    Tree t = parse_with(v, text);
    EXPECT_EQ(listops_value(t), value) << text;
    EXPECT_EQ(reference_listops(t, v), value) << text;
  }
  EXPECT_THROW(listops_value(parse_with(v, "MAX")), Error);       // an operator without arguments
  EXPECT_THROW(listops_value(parse_with(v, "[3 1 2 ]")), Error);  // a value with arguments
}

TEST(TreeTasks, TreeEvalHandMadeValues) {
  const TreeVocab v = tree_eval_vocab();
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"(+ 3 (* 4 5))", 3},          // 23
      {"(- 2 7)", 5},                // -5 mod 10
      {"(- 9 3 8)", 8},              // (9 - 3) - 8 = -2
      {"(* 7 8 9)", 4},              // 504
      {"(- (* 9 9) (+ 5 6 7))", 3},  // 81 - 18 = 63
      {"4", 4},
  };
  for (const auto& [text, value] : cases) {
    Tree t = parse_with(v, text);
    EXPECT_EQ(tree_eval_value(t), value) << text;
    EXPECT_EQ(reference_arith(t, v), value) << text;
  }
}

TEST(TreeTasks, GenerationIsDeterministicPerIndex) {
  auto task = make_tree_task("listops", {});
  auto a = generate_trees(*task, 11, 0, 0, 10, 1, 128);
  auto b = generate_trees(*task, 11, 0, 0, 10, 1, 128);
  auto slice = generate_trees(*task, 11, 0, 5, 3, 1, 128);
  auto other_stream = generate_trees(*task, 11, 1, 0, 10, 1, 128);
  auto other_seed = generate_trees(*task, 12, 0, 0, 10, 1, 128);
  int same_stream = 0, same_seed = 0;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(a[i].tree, b[i].tree);
    EXPECT_EQ(a[i].target, b[i].target);
    same_stream += a[i].tree == other_stream[i].tree;
    same_seed += a[i].tree == other_seed[i].tree;
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(slice[i].tree, a[5 + i].tree);  // any slice regenerates
  EXPECT_LE(same_stream, 1);  // short trees may coincide, not all
  EXPECT_LE(same_seed, 1);
}

// A sequence baseline trains on the same examples: generate() gives the flat sequences.
TEST(TreeTasks, FlatExamplesMatchTrees) {
  for (const char* name : {"listops", "tree_eval", "tree_traversal"}) {
    auto task = make_tree_task(name, {});
    auto trees = generate_trees(*task, 3, 0, 0, 20, 1, 64);
    auto flat = generate(*task, 3, 0, 0, 20, 1, 64);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(flat[i].source, flatten(trees[i].tree, task->brackets())) << name;
      EXPECT_EQ(flat[i].target, trees[i].target) << name;
    }
  }
}

TEST(TreeTasks, ListOpsSmallRespectsLimitsAndReportsLabels) {
  auto task = make_tree_task("listops", {});
  const auto [min_len, max_len] = task->default_lengths();
  EXPECT_EQ(min_len, 1);
  EXPECT_EQ(max_len, 128);
  const TreeVocab& v = task->tree_vocab();
  std::vector<int64_t> labels(10, 0);
  int64_t longest = 0, highest = 0, widest = 0;
  const int n = 3000;
  for (const TreeExample& e : generate_trees(*task, 5, 0, 0, n, min_len, max_len)) {
    const Tree& t = e.tree;
    const int64_t length = flat_length(t, Brackets::kClose);
    ASSERT_LE(length, 128);
    ASSERT_LE(t.height(), 5);  // max_depth 6 levels, the root at level 1
    for (int64_t i = 0; i < t.size(); ++i) {
      const bool op = t.tokens[i] >= v.id("MIN") && t.tokens[i] <= v.id("SM");
      ASSERT_EQ(op, t.num_children[i] > 0);  // operators exactly at inner nodes
      if (op) {
        ASSERT_TRUE(t.num_children[i] >= 2 && t.num_children[i] <= 5);
      }
      widest = std::max(widest, t.num_children[i]);
    }
    ASSERT_EQ(e.target.size(), 1u);
    ASSERT_EQ(e.target[0], reference_listops(t, v));
    ++labels[e.target[0]];
    longest = std::max(longest, length);
    highest = std::max(highest, t.height());
  }
  // The limits are reached, not merely respected by accident of small trees.
  EXPECT_GT(longest, 100);
  EXPECT_EQ(highest, 5);
  EXPECT_EQ(widest, 5);
  std::string report = "listops small labels (n=" + std::to_string(n) + "):";
  for (int c = 0; c < 10; ++c) report += " " + std::to_string(c) + ":" + std::to_string(labels[c]);
  std::printf("%s\n", report.c_str());
  RecordProperty("label_distribution", report);
}

TEST(TreeTasks, ListOpsLraPreset) {
  auto task = make_tree_task("listops", {{"preset", "lra"}});
  const auto [min_len, max_len] = task->default_lengths();
  EXPECT_EQ(min_len, 500);
  EXPECT_EQ(max_len, 2000);
  for (const TreeExample& e : generate_trees(*task, 1, 0, 0, 20, min_len, max_len)) {
    const int64_t length = flat_length(e.tree, Brackets::kClose);
    EXPECT_GE(length, 500);
    EXPECT_LE(length, 2000);
    EXPECT_LE(e.tree.height(), 9);
    EXPECT_LE(*std::max_element(e.tree.num_children.begin(), e.tree.num_children.end()), 10);
    EXPECT_EQ(e.target[0], reference_listops(e.tree, task->tree_vocab()));
  }
}

TEST(TreeTasks, ExactLengthsAndImpossibleRanges) {
  auto task = make_tree_task("listops", {{"max_depth", "3"}, {"max_args", "3"}});
  for (const TreeExample& e : generate_trees(*task, 2, 0, 0, 50, 9, 9))
    EXPECT_EQ(flat_length(e.tree, Brackets::kClose), 9);
  // Depth 3 and 3 arguments: at most 2 + 3 * (2 + 3) = 17 tokens; at least [OP v v ] = 4.
  EXPECT_NO_THROW(generate_trees(*task, 2, 0, 0, 5, 17, 17));
  EXPECT_THROW(generate_trees(*task, 2, 0, 0, 1, 18, 40), Error);
  EXPECT_THROW(generate_trees(*task, 2, 0, 0, 1, 1, 3), Error);
  EXPECT_THROW(generate_trees(*task, 2, 0, 0, 1, 5, 4), Error);
}

TEST(TreeTasks, TreeEvalValuesAndLimits) {
  auto task = make_tree_task("tree_eval", {});
  const TreeVocab& v = task->tree_vocab();
  std::vector<int64_t> labels(10, 0);
  for (const TreeExample& e : generate_trees(*task, 9, 0, 0, 2000, 1, 64)) {
    ASSERT_LE(flat_length(e.tree, Brackets::kClose), 64);
    ASSERT_LE(e.tree.height(), 5);
    for (int64_t c : e.tree.num_children) ASSERT_TRUE(c == 0 || c == 2);  // binary by default
    ASSERT_EQ(e.target, (std::vector<int64_t>{reference_arith(e.tree, v)}));
    ++labels[e.target[0]];
  }
  std::string report = "tree_eval labels (n=2000):";
  for (int c = 0; c < 10; ++c) report += " " + std::to_string(c) + ":" + std::to_string(labels[c]);
  std::printf("%s\n", report.c_str());
  RecordProperty("label_distribution", report);
}

TEST(TreeTasks, TraversalTargetsArePostorder) {
  const TreeVocab v = tree_traversal_vocab(10);
  Tree hand = parse_with(v, "(a b (c d e) f)");
  EXPECT_EQ(v.decode(postorder_tokens(hand)), "b d e c f a");

  auto task = make_tree_task("tree_traversal", {{"labels", "6"}});
  EXPECT_EQ(task->target_kind(), TargetKind::kSequence);
  for (const TreeExample& e : generate_trees(*task, 4, 0, 0, 500, 1, 64)) {
    std::vector<int64_t> want;
    reference_postorder(e.tree, 0, want);
    ASSERT_EQ(e.target, want);
    // The flat source (both brackets) alone determines the tree: it parses back to it.
    const std::string source = task->tree_vocab().decode(task->to_example(e).source);
    ASSERT_EQ(parse_with(task->tree_vocab(), source), e.tree) << source;
    ASSERT_LE(static_cast<int64_t>(source.size()), 64 * 2);
    for (int64_t tok : e.tree.tokens) ASSERT_TRUE(tok >= 5 && tok < 11);
  }
}

TEST(TreeTasks, OptionErrors) {
  EXPECT_THROW(make_tree_task("lisptops", {}), Error);
  EXPECT_THROW(make_tree_task("listops", {{"preset", "huge"}}), Error);
  EXPECT_THROW(make_tree_task("listops", {{"max_depth", "1"}}), Error);
  EXPECT_THROW(make_tree_task("tree_eval", {{"labels", "4"}}), Error);  // not a tree_eval option
  try {
    make_tree_task("lisptops", {});
  } catch (const Error& e) {
    // Tests may register tasks of their own: the list holds at least the shipped ones.
    EXPECT_EQ(std::string(e.what()).rfind("unknown task 'lisptops' (known: addition, copy, file, "
                                          "listops, reverse, sort, ",
                                          0),
              0u)
        << e.what();
  }
}

// heed eval --data on a generated tree task: S-expression files over its vocabulary.
TEST(TreeTasks, ReadExamplesFromAFile) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("heed_tree_read_" + std::to_string(::getpid()) + ".tsv"))
                               .string();
  auto read = [&](const std::string& task_name, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
    return make_tree_task(task_name, {})->read_examples(path);
  };
  auto error = [&](const std::string& task_name, const std::string& content) -> std::string {
    try {
      read(task_name, content);
    } catch (const Error& e) {
      return e.what();
    }
    return "(accepted)";
  };
  std::unique_ptr<TreeTask> listops = make_tree_task("listops", {});
  std::vector<Example> ex = read("listops", "[MAX 2 9 [MIN 4 7 ] ]\t9\n(SM 3 4)\t7\n");
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(listops->tree_vocab().decode(ex[0].source), "MAX 2 9 MIN 4 7 ] ]");
  EXPECT_EQ(ex[0].target, (std::vector<int64_t>{9}));
  EXPECT_EQ(ex[1].target, (std::vector<int64_t>{7}));
  std::unique_ptr<TreeTask> traversal = make_tree_task("tree_traversal", {});
  ex = read("tree_traversal", "[a b [c d ] ]\tb d c a\n");
  EXPECT_EQ(traversal->tree_vocab().decode(ex[0].target), "b d c a");

  EXPECT_EQ(error("listops", "[MAX 2 FOO ]\t2\n"), path + ":1:8: unknown token 'FOO'");
  EXPECT_EQ(error("listops", "[MAX 2 9 ]\t10\n"),
            path + ":1:12: target '10' is not one of the task's classes");
  EXPECT_EQ(error("listops", "[MAX 2 9 ]\t9 9\n"),
            path + ":1: a class target is one atom (this one has 2)");
  EXPECT_EQ(error("listops", "[2 MAX 9 ]\t9\n"),
            path +
                ":1: not a tree of task 'listops' (an operator needs arguments, a value has "
                "none)");
  EXPECT_EQ(error("listops", "[MAX <pad> 9 ]\t9\n"), path + ":1: '<pad>' is a reserved token");
  EXPECT_EQ(error("tree_traversal", "[a b ]\tb <eos>\n"), path + ":1: '<eos>' is a reserved token");
  std::filesystem::remove(path);
  try {
    make_task("copy", {})->read_examples(path);
    FAIL() << "copy read a file";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "task 'copy' generates its examples; it reads no files of examples");
  }
}

}  // namespace
}  // namespace heed
