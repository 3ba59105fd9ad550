#include "datasets/sexpr.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace heed {
namespace {

bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_open(unsigned char c) {
  return c == '[' || c == '(';
}
bool is_close(unsigned char c) {
  return c == ']' || c == ')';
}
bool is_printable(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}
bool is_atom_byte(unsigned char c) {
  return is_printable(c) && !is_open(c) && !is_close(c);
}
char closer_of(char open) {
  return open == '[' ? ']' : ')';
}

std::string bad_byte(unsigned char c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bad byte 0x%02X", c);
  return buf;
}

// Atoms in messages are shortened: a hostile atom may be megabytes long.
std::string quote(std::string_view atom) {
  constexpr std::size_t kMax = 32;
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) on "'" + string.
  std::string out = "'";
  out.append(atom.substr(0, kMax));
  out += atom.size() > kMax ? "...'" : "'";
  return out;
}

// One pass over the bytes with an explicit stack of open nodes: nesting costs heap, not stack.
class Parser {
 public:
  Parser(std::string_view text, TreeVocab& vocab, const SexprOptions& options)
      : text_(text), vocab_(vocab), options_(options) {}

  TreeParse run() {
    TreeParse result;
    if (std::optional<ParseError> e = parse(result.tree)) {
      result.tree = Tree();
      result.error = std::move(e);
    }
    return result;
  }

 private:
  struct Open {
    int64_t node;
    char bracket;
    int64_t line, column;
  };

  std::optional<ParseError> parse(Tree& tree) {
    bool done = false;  // the root is complete: only whitespace may follow
    while (true) {
      skip_space();
      if (at_end()) break;
      const unsigned char c = peek();
      const int64_t line = line_, column = column_;
      if (done) return error(line, column, "trailing text after the tree");
      if (is_open(c)) {
        advance();
        skip_space();
        if (at_end()) return error(line, column, std::string("'") + char(c) + "' is never closed");
        const unsigned char d = peek();
        if (is_close(d))
          return error(line, column, std::string("empty node '") + char(c) + char(d) + "'");
        if (is_open(d))
          return error(line_, column_,
                       std::string("a node's operator must be an atom, not '") + char(d) + "'");
        if (!is_atom_byte(d)) return error(line_, column_, bad_byte(d));
        int64_t node;
        if (auto e = add_atom(tree, line, column, node)) return e;
        stack_.push_back({node, static_cast<char>(c), line, column});
      } else if (is_close(c)) {
        if (stack_.empty())
          return error(line, column, std::string("unexpected '") + char(c) + "' (no open bracket)");
        const Open& o = stack_.back();
        if (c != closer_of(o.bracket))
          return error(line, column,
                       std::string("'") + char(c) + "' does not match '" + o.bracket +
                           "' opened at " + std::to_string(o.line) + ":" +
                           std::to_string(o.column));
        advance();
        stack_.pop_back();
        done = stack_.empty();
      } else if (is_atom_byte(c)) {
        int64_t node;
        if (auto e = add_atom(tree, line, column, node)) return e;
        done = stack_.empty();
      } else {
        return error(line, column, bad_byte(c));
      }
    }
    if (!stack_.empty()) {
      const Open& o = stack_.back();
      return error(o.line, o.column, std::string("'") + o.bracket + "' is never closed");
    }
    if (tree.size() == 0) return error(1, 1, "no tree: the input is empty");
    return std::nullopt;
  }

  // Reads the atom at the cursor as a new node under the innermost open one; (line, column) is
  // where the node starts (its bracket, if any) for depth errors.
  std::optional<ParseError> add_atom(Tree& tree, int64_t line, int64_t column, int64_t& node) {
    const int64_t atom_line = line_, atom_column = column_;
    const std::size_t start = pos_;
    while (!at_end() && is_atom_byte(peek())) advance();
    const std::string_view atom = text_.substr(start, pos_ - start);
    const int64_t depth = static_cast<int64_t>(stack_.size());
    if (depth > options_.max_depth)
      return error(line, column,
                   "tree deeper than the maximum depth " + std::to_string(options_.max_depth));
    if (tree.size() >= options_.max_nodes)
      return error(
          atom_line, atom_column,
          "tree larger than the maximum of " + std::to_string(options_.max_nodes) + " nodes");
    int64_t token = options_.add_unknown ? vocab_.add(atom) : vocab_.find(atom);
    if (token < 0) token = options_.unknown_id;
    if (token < 0) return error(atom_line, atom_column, "unknown token " + quote(atom));
    node = tree.add_node(token, stack_.empty() ? -1 : stack_.back().node);
    return std::nullopt;
  }

  static ParseError error(int64_t line, int64_t column, std::string message) {
    return ParseError{line, column, std::move(message)};
  }
  bool at_end() const { return pos_ >= text_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(text_[pos_]); }
  void advance() {
    if (text_[pos_++] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
  }
  void skip_space() {
    while (!at_end() && is_space(peek())) advance();
  }

  std::string_view text_;
  TreeVocab& vocab_;
  const SexprOptions& options_;
  std::size_t pos_ = 0;
  int64_t line_ = 1, column_ = 1;
  std::vector<Open> stack_;
};

}  // namespace

std::string ParseError::format(std::string_view file) const {
  std::string where = std::to_string(line) + ":" + std::to_string(column) + ": ";
  return file.empty() ? where + message : std::string(file) + ":" + where + message;
}

TreeParse parse_tree(std::string_view text, TreeVocab& vocab, const SexprOptions& options) {
  return Parser(text, vocab, options).run();
}

std::string to_sexpr(const Tree& tree, const TreeVocab& vocab, SexprStyle style) {
  const bool square = style == SexprStyle::kSquare;
  std::string out;
  std::vector<int64_t> open;  // inner nodes whose bracket is not closed yet
  auto close_until = [&](int64_t parent) {
    while (!open.empty() && open.back() != parent) {
      out += square ? " ]" : ")";
      open.pop_back();
    }
  };
  for (int64_t i = 0; i < tree.size(); ++i) {
    close_until(tree.parent[i]);
    if (!out.empty() && out.back() != '[' && out.back() != '(') out += ' ';
    if (tree.num_children[i] > 0) {
      out += square ? '[' : '(';
      open.push_back(i);
    }
    out += vocab.name(tree.tokens[i]);
  }
  close_until(-1);
  return out;
}

std::vector<TreeExample> parse_tree_lines(std::string_view content, std::string_view file,
                                          TreeVocab& vocab, const SexprOptions& options,
                                          TreeVocab* target_vocab, bool add_targets) {
  std::vector<TreeExample> out;
  auto fail = [&](int64_t line, int64_t column, const std::string& message) {
    throw Error(ParseError{line, column, message}.format(file));
  };
  int64_t line_no = 0;
  for (std::size_t start = 0; start < content.size();) {
    ++line_no;
    std::size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = content.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(' ') == std::string_view::npos) continue;

    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      fail(line_no, static_cast<int64_t>(line.size()) + 1, "missing TAB between tree and target");
    TreeParse parsed = parse_tree(line.substr(0, tab), vocab, options);
    if (!parsed.ok()) fail(line_no, parsed.error->column, parsed.error->message);

    TreeExample example{std::move(parsed.tree), {}, line_no};
    for (std::size_t i = tab + 1; i < line.size();) {
      const auto c = static_cast<unsigned char>(line[i]);
      const int64_t column = static_cast<int64_t>(i) + 1;
      if (c == ' ') {
        ++i;
        continue;
      }
      if (c == '\t') fail(line_no, column, "a second TAB: the target must not contain one");
      if (!is_printable(c)) fail(line_no, column, bad_byte(c));
      const std::size_t atom_start = i;
      while (i < line.size() && is_printable(static_cast<unsigned char>(line[i]))) ++i;
      const std::string_view atom = line.substr(atom_start, i - atom_start);
      int64_t token = -1;
      if (target_vocab)
        token = add_targets ? target_vocab->add(atom) : target_vocab->find(atom);
      else
        token = options.add_unknown ? vocab.add(atom) : vocab.find(atom);
      if (token < 0 && !target_vocab) token = options.unknown_id;
      if (token < 0)
        fail(line_no, column,
             (target_vocab ? "target " + quote(atom) + " is not one of the task's classes"
                           : "unknown token " + quote(atom)));
      example.target.push_back(token);
    }
    if (example.target.empty())
      fail(line_no, static_cast<int64_t>(tab) + 2, "missing target after the TAB");
    out.push_back(std::move(example));
  }
  return out;
}

void check_no_reserved(const std::vector<TreeExample>& examples, const std::string& file,
                       bool targets) {
  for (const TreeExample& e : examples) {
    auto check = [&](int64_t t) {
      if (t < kFirstDataToken)
        throw Error(file + ":" + std::to_string(e.line) + ": '" + TreeVocab().name(t) +
                    "' is a reserved token");
    };
    for (int64_t t : e.tree.tokens) check(t);
    if (targets)
      for (int64_t t : e.target) check(t);
  }
}

std::vector<TreeExample> load_tree_file(const std::string& path, TreeVocab& vocab,
                                        const SexprOptions& options, TreeVocab* target_vocab,
                                        bool add_targets) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a tree file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the tree file (missing or unreadable)");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error(path + ": cannot read the tree file");
  std::vector<TreeExample> out =
      parse_tree_lines(content.str(), path, vocab, options, target_vocab, add_targets);
  if (out.empty()) throw Error(path + ": no examples (one 'tree<TAB>target' a line)");
  return out;
}

}  // namespace heed
