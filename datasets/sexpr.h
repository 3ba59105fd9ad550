// Trees as S-expressions: `[MAX 2 9 [MIN 4 7 ] 0 ]` (ListOps) or `(+ 3 (* 4 5))`. A bracket
// opens a node whose first atom is its token and whose other items are its children; a bare atom
// is a leaf; `(f)` is a leaf too. Atoms are runs of printable ASCII other than brackets;
// whitespace separates them. Files hold one example a line: `tree<TAB>target`.
//
// The parser never recurses and never throws on its input: any byte string yields a tree or one
// error with its line and column (1-based, in bytes), so it can be fuzzed (fuzz/).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/tree.h"
#include "datasets/tree_vocab.h"

namespace heed {

struct SexprOptions {
  // Limits that keep hostile input from costing unbounded memory or time.
  int64_t max_depth = 256;      // deepest node accepted (the root has depth 0)
  int64_t max_nodes = 1 << 16;  // nodes per tree
  // New atoms join the vocabulary; when false an atom the vocabulary lacks is an error, unless
  // unknown_id >= 0: then it becomes that id (a validation file meeting words its training file
  // lacked).
  bool add_unknown = true;
  int64_t unknown_id = -1;
};

struct ParseError {
  int64_t line = 1, column = 1;
  std::string message;
  // "file:line:column: message"
  std::string format(std::string_view file) const;
};

struct TreeParse {
  Tree tree;                        // empty when error is set
  std::optional<ParseError> error;  // set on failure
  bool ok() const { return !error.has_value(); }
};

// One tree, alone in `text` apart from whitespace. Atoms map to ids through `vocab`.
TreeParse parse_tree(std::string_view text, TreeVocab& vocab, const SexprOptions& options = {});

// kSquare prints ListOps' layout `[MAX 2 9 [MIN 4 7 ] 0 ]`, kRound `(+ 3 (* 4 5))`. Either
// parses back to the same tree.
enum class SexprStyle { kSquare, kRound };
std::string to_sexpr(const Tree& tree, const TreeVocab& vocab,
                     SexprStyle style = SexprStyle::kRound);

struct TreeExample {
  Tree tree;
  std::vector<int64_t> target;  // a class id, or tokens (see the producer)
  int64_t line = 0;             // the file line it was read from; 0 when generated
};

// Examples of a file's contents, one a line: the tree, one TAB, then the target's atoms separated
// by spaces, mapped through `vocab` like the tree's, or through `target_vocab` when given (then
// an atom it lacks joins it when add_targets, else is an error; options are for trees only).
// Blank lines are skipped; a trailing CR is ignored. Throws heed::Error "file:line:column:
// message" at the first bad line.
std::vector<TreeExample> parse_tree_lines(std::string_view content, std::string_view file,
                                          TreeVocab& vocab, const SexprOptions& options = {},
                                          TreeVocab* target_vocab = nullptr,
                                          bool add_targets = true);
// Throws heed::Error "file:line: '<pad>' is a reserved token" for a tree token, or with
// `targets` a target token, below kFirstDataToken: atoms spelt <pad>, <bos> or <eos> in a file
// would read as padding or sequence marks.
void check_no_reserved(const std::vector<TreeExample>& examples, const std::string& file,
                       bool targets);
// The same for a file; a missing, unreadable or empty file (no example) is an error too.
std::vector<TreeExample> load_tree_file(const std::string& path, TreeVocab& vocab,
                                        const SexprOptions& options = {},
                                        TreeVocab* target_vocab = nullptr, bool add_targets = true);

}  // namespace heed
