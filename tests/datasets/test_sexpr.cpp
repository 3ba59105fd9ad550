// The S-expression parser, printer and tree files: round trips, every error with its exact
// position and message, and hostile input (deep nesting, random bytes) that must never crash.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "datasets/sexpr.h"
#include "framework/random.h"
#include "tests/test_util.h"

namespace heed {
namespace {

// "line:column: message" of the error parse_tree reports, or "ok".
std::string parse_error(std::string_view text, const SexprOptions& options = {}) {
  TreeVocab vocab;
  TreeParse p = parse_tree(text, vocab, options);
  return p.ok() ? "ok" : p.error->format("");
}

std::string lines_error(std::string_view content, TreeVocab& vocab,
                        const SexprOptions& options = {}, TreeVocab* target_vocab = nullptr,
                        bool add_targets = true) {
  try {
    parse_tree_lines(content, "data.tsv", vocab, options, target_vocab, add_targets);
  } catch (const Error& e) {
    return e.what();
  }
  return "ok";
}

// The message of the heed::Error that loading the tree file at `path` throws; "ok" when it loads.
std::string file_error(const std::string& path, TreeVocab& vocab) {
  try {
    load_tree_file(path, vocab);
  } catch (const Error& e) {
    return e.what();
  }
  return "ok";
}

TEST(Sexpr, ParsesBothStyles) {
  TreeVocab vocab;
  TreeParse p = parse_tree("(+ 3 (* 4 5))", vocab);
  ASSERT_TRUE(p.ok()) << p.error->message;
  EXPECT_EQ(vocab.decode(p.tree.tokens), "+ 3 * 4 5");
  EXPECT_EQ(p.tree.parent, (std::vector<int64_t>{-1, 0, 0, 2, 2}));
  EXPECT_EQ(p.tree.child_index, (std::vector<int64_t>{0, 0, 1, 0, 1}));

  p = parse_tree("[MAX 2 9 [MIN 4 7 ] 0 ]", vocab);
  ASSERT_TRUE(p.ok()) << p.error->message;
  EXPECT_EQ(vocab.decode(p.tree.tokens), "MAX 2 9 MIN 4 7 0");
  EXPECT_EQ(p.tree.parent, (std::vector<int64_t>{-1, 0, 0, 0, 3, 3, 0}));
  EXPECT_EQ(p.tree.depth, (std::vector<int64_t>{0, 1, 1, 1, 2, 2, 1}));
  EXPECT_EQ(vocab.id("MAX"), kFirstDataToken + 5);  // new atoms follow the reserved ids in order

  p = parse_tree("  7\n", vocab);  // a bare atom is a one-node tree
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.tree.size(), 1);
  EXPECT_EQ(p.tree.parent, (std::vector<int64_t>{-1}));

  p = parse_tree("(f)", vocab);  // an operator without arguments is a leaf
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.tree.size(), 1);
  EXPECT_EQ(p.tree.num_children, (std::vector<int64_t>{0}));
}

TEST(Sexpr, PrintsBothStylesExactly) {
  TreeVocab vocab;
  Tree listops = parse_tree("[MAX 2 9 [MIN 4 7 ] 0 ]", vocab).tree;
  EXPECT_EQ(to_sexpr(listops, vocab, SexprStyle::kSquare), "[MAX 2 9 [MIN 4 7 ] 0 ]");
  EXPECT_EQ(to_sexpr(listops, vocab, SexprStyle::kRound), "(MAX 2 9 (MIN 4 7) 0)");
  Tree arith = parse_tree("(+ 3\n   (* 4 5))", vocab).tree;
  EXPECT_EQ(to_sexpr(arith, vocab, SexprStyle::kRound), "(+ 3 (* 4 5))");
  EXPECT_EQ(to_sexpr(parse_tree("x", vocab).tree, vocab), "x");
}

TEST(Sexpr, RoundTripsParsePrintParse) {
  for (std::string_view text :
       {"[MAX 2 9 [MIN 4 7 ] 0 ]", "(+ 3 (* 4 5))", "x", "(a (b (c (d e))) f (g) h)",
        "[SM [MED 1 2 3 ] [MAX [MIN 0 1 ] 9 ] ]", "( op\t-1 foo.bar \"q\" )", "(f (g) (h x))"}) {
    for (SexprStyle style : {SexprStyle::kSquare, SexprStyle::kRound}) {
      TreeVocab vocab;
      TreeParse first = parse_tree(text, vocab);
      ASSERT_TRUE(first.ok()) << text << ": " << first.error->format("");
      const std::string printed = to_sexpr(first.tree, vocab, style);
      TreeParse second = parse_tree(printed, vocab);
      ASSERT_TRUE(second.ok()) << printed;
      EXPECT_EQ(second.tree, first.tree) << text << " -> " << printed;
      EXPECT_EQ(to_sexpr(second.tree, vocab, style), printed);  // printing is a fixed point
    }
  }
}

TEST(Sexpr, EveryErrorNamesLineAndColumn) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "1:1: no tree: the input is empty"},
      {"  \n ", "1:1: no tree: the input is empty"},
      {"[MAX 1 2", "1:1: '[' is never closed"},
      {"[MAX 1 [MIN 2 3", "1:8: '[' is never closed"},  // the innermost open bracket
      {"(+ 1 2))", "1:8: trailing text after the tree"},
      {"1 2)", "1:3: trailing text after the tree"},
      {")", "1:1: unexpected ')' (no open bracket)"},
      {"[MAX 1 2 )", "1:10: ')' does not match '[' opened at 1:1"},
      {"(+ 1\n  [MIN 2 3))", "2:11: ')' does not match '[' opened at 2:3"},
      {"[]", "1:1: empty node '[]'"},
      {"(+ 1 ( ))", "1:6: empty node '()'"},
      {"((f x) y)", "1:2: a node's operator must be an atom, not '('"},
      {"(", "1:1: '(' is never closed"},
      {"(+ 1 \x01)", "1:6: bad byte 0x01"},
      {"(+ 1 2\x7f)", "1:7: bad byte 0x7F"},
      {"(\x80 1)", "1:2: bad byte 0x80"},
      {std::string("(+ 1 \0 2)", 9), "1:6: bad byte 0x00"},
      {"(+ 1 2) (+ 3 4)", "1:9: trailing text after the tree"},
      {"(+ 1 2)\n\n  x", "3:3: trailing text after the tree"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(parse_error(text), message) << text;
}

TEST(Sexpr, DepthAndSizeLimits) {
  SexprOptions o;
  o.max_depth = 2;
  // A leaf past the limit is reported at its atom, an inner node at its bracket.
  EXPECT_EQ(parse_error("(a (b (c d)))", o), "1:10: tree deeper than the maximum depth 2");
  EXPECT_EQ(parse_error("(a (b (c (d))))", o), "1:10: tree deeper than the maximum depth 2");
  EXPECT_EQ(parse_error("(a (b c))", o), "ok");    // c has depth 2: the limit is inclusive
  EXPECT_EQ(parse_error("(a (b (c)))", o), "ok");  // (c) is a leaf at depth 2
  o = {};
  o.max_nodes = 4;
  EXPECT_EQ(parse_error("(a b c d)", o), "ok");
  EXPECT_EQ(parse_error("(a b c\n d e)", o), "2:4: tree larger than the maximum of 4 nodes");
}

TEST(Sexpr, UnknownTokenWhenVocabularyIsFrozen) {
  TreeVocab vocab;
  vocab.add("+");
  vocab.add("1");
  SexprOptions o;
  o.add_unknown = false;
  EXPECT_TRUE(parse_tree("(+ 1 1)", vocab, o).ok());
  TreeParse p = parse_tree("(+ 1 twelve)", vocab, o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error->format("f"), "f:1:6: unknown token 'twelve'");
  EXPECT_EQ(vocab.size(), 5);  // nothing was added
  EXPECT_EQ(p.tree.size(), 0);
}

// 100k nested brackets: an iterative parser reports the depth limit instead of recursing.
TEST(Sexpr, HundredThousandDeepNestingIsAnError) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "[a ";
  for (int i = 0; i < 100000; ++i) deep += "]";
  // The 258th "[a " opens a node at depth 257 > 256; each is 3 bytes.
  EXPECT_EQ(parse_error(deep), "1:772: tree deeper than the maximum depth 256");
  EXPECT_EQ(parse_error(std::string(100000, '(')),
            "1:2: a node's operator must be an atom, not '('");
  SexprOptions unlimited;
  unlimited.max_depth = 1 << 30;
  unlimited.max_nodes = 1 << 30;
  TreeVocab vocab;
  TreeParse p = parse_tree(deep, vocab, unlimited);  // no limit: still no recursion
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.tree.height(), 99999);
}

// A small in-process fuzz: random byte strings biased toward the grammar never crash, always
// give a positioned error or a tree, and every tree round-trips.
TEST(Sexpr, RandomBytesNeverCrash) {
  const std::string alphabet = "()[]  \t\nab19+-*\x01\xff";
  Rng rng(7);
  int ok = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text(rng.randint(0, 24), ' ');
    for (char& c : text) c = alphabet[rng.randint(0, alphabet.size())];
    TreeVocab vocab;
    SexprOptions o;
    o.max_depth = 4;
    TreeParse p = parse_tree(text, vocab, o);
    if (!p.ok()) {
      EXPECT_GE(p.error->line, 1);
      EXPECT_GE(p.error->column, 1);
      EXPECT_FALSE(p.error->message.empty());
      continue;
    }
    ++ok;
    ASSERT_LE(p.tree.height(), 4);
    TreeParse again = parse_tree(to_sexpr(p.tree, vocab), vocab, o);
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(again.tree, p.tree);
  }
  EXPECT_GT(ok, 100);  // the bias makes some inputs valid, so round trips were exercised
}

TEST(SexprFile, ParsesLines) {
  TreeVocab vocab;
  std::vector<TreeExample> ex =
      parse_tree_lines("[MAX 2 9 ]\t9\r\n\n(a b)\tb a\n   \n7\t7", "f.tsv", vocab);
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(vocab.decode(ex[0].tree.tokens), "MAX 2 9");
  EXPECT_EQ(vocab.decode(ex[0].target), "9");
  EXPECT_EQ(vocab.decode(ex[1].target), "b a");
  EXPECT_EQ(ex[2].tree.size(), 1);
}

TEST(SexprFile, ErrorsNameFileLineAndColumn) {
  TreeVocab vocab;
  EXPECT_EQ(lines_error("(a b)\tb\n(a b) b\n", vocab),
            "data.tsv:2:8: missing TAB between tree and target");
  EXPECT_EQ(lines_error("(a b)\tb\n\n(a (b c\tx\n", vocab), "data.tsv:3:4: '(' is never closed");
  EXPECT_EQ(lines_error("(a b)\t\n", vocab), "data.tsv:1:7: missing target after the TAB");
  EXPECT_EQ(lines_error("(a b)\t   \n", vocab), "data.tsv:1:7: missing target after the TAB");
  EXPECT_EQ(lines_error("(a b)\tx\ty\n", vocab),
            "data.tsv:1:8: a second TAB: the target must not contain one");
  EXPECT_EQ(lines_error("(a b)\tx \x02\n", vocab), "data.tsv:1:9: bad byte 0x02");
  EXPECT_EQ(lines_error("(a b) junk\tx\n", vocab), "data.tsv:1:7: trailing text after the tree");
  SexprOptions frozen;
  frozen.add_unknown = false;
  EXPECT_EQ(lines_error("(a b)\tb zz\n", vocab, frozen), "data.tsv:1:9: unknown token 'zz'");
}

TEST(SexprFile, LoadsFromDisk) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("heed_trees_" + std::to_string(::getpid()) + ".tsv");
  {
    std::ofstream out(path);
    out << "(+ 3 (* 4 5))\t3\n(- 1 2)\t9\n";
  }
  TreeVocab vocab;
  std::vector<TreeExample> ex = load_tree_file(path.string(), vocab);
  std::filesystem::remove(path);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(to_sexpr(ex[0].tree, vocab), "(+ 3 (* 4 5))");
  EXPECT_EQ(file_error(path.string(), vocab),
            path.string() + ": cannot open the tree file (missing or unreadable)");
  {
    std::ofstream out(path);
    out << "\n  \n";
  }
  EXPECT_EQ(file_error(path.string(), vocab),
            path.string() + ": no examples (one 'tree<TAB>target' a line)");
  std::filesystem::remove(path);
  EXPECT_TRUE(testing::contains(file_error(std::filesystem::temp_directory_path().string(), vocab),
                                "is a directory"));
}

TEST(SexprFile, UnknownAtomsMapToUnknownIdInTreesAndPlainTargets) {
  TreeVocab vocab;
  const int64_t unk = vocab.add("<unk>"), a = vocab.add("a");
  SexprOptions opts;
  opts.add_unknown = false;
  opts.unknown_id = unk;
  std::vector<TreeExample> ex = parse_tree_lines("(a zz)\ta yy\n", "f", vocab, opts);
  ASSERT_EQ(ex.size(), 1u);
  EXPECT_EQ(ex[0].tree.tokens, (std::vector<int64_t>{a, unk}));
  EXPECT_EQ(ex[0].target, (std::vector<int64_t>{a, unk}));
  EXPECT_EQ(vocab.size(), 5);  // nothing added
}

TEST(SexprFile, TargetsCanHaveTheirOwnVocabulary) {
  TreeVocab vocab, labels;
  std::vector<TreeExample> ex =
      parse_tree_lines("(a b)\tpos\n(b a)\tneg\n", "f", vocab, {}, &labels);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(labels.name(ex[0].target[0]), "pos");
  EXPECT_EQ(labels.name(ex[1].target[0]), "neg");
  EXPECT_EQ(vocab.find("pos"), -1);
  // Frozen targets: an unseen one is an error even when tree atoms have an unknown id.
  SexprOptions frozen;
  frozen.add_unknown = false;
  frozen.unknown_id = 0;
  EXPECT_EQ(lines_error("(a q)\tneutral\n", vocab, frozen, &labels, false),
            "data.tsv:1:7: target 'neutral' is not one of the task's classes");
}

}  // namespace
}  // namespace heed
