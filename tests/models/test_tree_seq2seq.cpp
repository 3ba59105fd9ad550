// Tree to sequence (models/tree_seq2seq.h): gradchecks of the whole model, what the decoder may
// depend on (its own tree only, never padding nodes), incremental decoding equal to full
// recomputation and to teacher forcing, and the parameter names the header promises.
#include <gtest/gtest.h>

#include "framework/nn/init.h"
#include "framework/ops.h"
#include "models/attention/tree_attention.h"
#include "models/decoding.h"
#include "models/seq2seq_stepper.h"
#include "models/tree_seq2seq.h"
#include "tests/models/model_test_util.h"
#include "tests/test_util.h"

namespace heed {
namespace {

constexpr int64_t kVocab = kFirstDataToken + 8;  // random_tree's tokens

TreeSeq2SeqConfig tiny(const std::string& composition, const std::string& attention = "mha",
                       const std::string& position = "tree") {
  TreeSeq2SeqConfig c;
  TreeEncoderConfig& e = c.encoder;
  e = testing::sized<TreeEncoderConfig>(kVocab, {.d_model = 8, .heads = 2, .d_ff = 16});
  e.layers = 1;
  e.composition = composition;
  e.attention = attention;
  e.position = position;
  e.max_depth = 2;  // tree positions: 2 levels x 2 branches x 2 features = 8 = d_model
  e.max_branch = 2;
  c.decoder_layers = 1;
  return c;
}

Tensor dec_in(const std::vector<int64_t>& ids, int64_t rows) {  // the same ids in every row
  std::vector<int64_t> all;
  for (int64_t r = 0; r < rows; ++r) all.insert(all.end(), ids.begin(), ids.end());
  return Tensor::from_ints(all, {rows, static_cast<int64_t>(ids.size())});
}

TEST(TreeSeq2Seq, GradcheckOfAllParameters) {
  const TreeBatch batch = random_tree_batch({5, 3}, 50);
  const Tensor in = dec_in({kBos, 4, 6}, 2);
  struct Case {
    const char *composition, *attention, *position;
  };
  for (Case k : {Case{"child_attention", "mha", "tree"}, Case{"none", "tree_mask", "none"},
                 Case{"none", "tree_distance", "sinusoidal"}}) {
    SCOPED_TRACE(std::string(k.composition) + " " + k.attention + " " + k.position);
    seed_init(7);
    TreeSeq2Seq m(tiny(k.composition, k.attention, k.position));
    m.eval();
    EXPECT_TRUE(testing::passes_gradcheck(
        [&](const std::vector<Tensor>&) { return m.forward(batch, in); }, m.parameters()));
  }
}

TEST(TreeSeq2Seq, OutputDependsOnlyOnItsOwnTree) {
  const TreeBatch alone = random_tree_batch({4}, 60);
  const TreeBatch others = random_tree_batch({11, 2}, 61);
  const TreeBatch together =
      make_tree_batch({others.trees[0], alone.trees[0], others.trees[1]});  // padded 4 -> 11
  for (const char* composition : {"none", "child_attention"}) {
    SCOPED_TRACE(composition);
    seed_init(8);
    TreeSeq2Seq m(tiny(composition));
    m.eval();
    NoGradGuard no_grad;
    Tensor a = m.forward(alone, dec_in({kBos, 5, 7, 3}, 1));
    Tensor b = m.forward(together, dec_in({kBos, 5, 7, 3}, 3));
    testing::expect_values(select(b, 0, 1), a.to_vector(), 1e-5f);
  }
}

TEST(TreeSeq2Seq, IncrementalDecodingEqualsRecomputationAndTeacherForcing) {
  const TreeBatch batch = random_tree_batch({6, 3, 5}, 70);
  seed_init(9);
  TreeSeq2Seq m(tiny("child_attention"));
  // Draw every parameter afresh: zero biases would hide a decoder that ignores the memory.
  uint64_t seed = 90;
  for (const auto& [name, p] : m.named_parameters())
    copy_(p, Tensor::randn(p.shape(), seed++, 0.5f));
  DecodeOptions opts;
  opts.max_len = 6;
  opts.keep_logits = true;
  auto run = [&](bool incremental) {
    Seq2SeqStepper s(
        m,
        [&] {
          return std::pair{m.encode(batch), batch.node_pad};
        },
        batch.batch_size(), incremental);
    return decode(s, bos_prefix(batch.batch_size()), opts);
  };
  std::vector<Hypothesis> inc = run(true), full = run(false);
  ASSERT_EQ(inc.size(), 3u);
  for (std::size_t r = 0; r < inc.size(); ++r) {
    EXPECT_EQ(inc[r].tokens, full[r].tokens) << r;
    testing::expect_values(inc[r].logits, full[r].logits.to_vector(), 1e-4f);
    // Teacher forcing on the decoded tokens gives the same logits at every step.
    std::vector<int64_t> prefix = {kBos};
    prefix.insert(prefix.end(), inc[r].tokens.begin(), inc[r].tokens.end());
    const int64_t steps = inc[r].logits.size(0);
    prefix.resize(static_cast<std::size_t>(steps));
    const TreeBatch one = make_tree_batch({batch.trees[r]});
    EvalModeScope eval(m);
    NoGradGuard no_grad;
    Tensor forced = select(m.forward(one, dec_in(prefix, 1)), 0, 0);  // (steps, V)
    testing::expect_values(forced, inc[r].logits.to_vector(), 1e-4f);
  }
}

TEST(TreeSeq2Seq, ParameterNamesAreTheDocumentedOnes) {
  TreeSeq2Seq m(tiny("child_attention"));
  std::vector<std::string> names;
  for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
  auto has_prefix = [&](const std::string& prefix) {
    for (const std::string& n : names)
      if (n.rfind(prefix, 0) == 0) return true;
    return false;
  };
  for (const char* prefix :
       {"encoder.embed.weight", "encoder.pos.", "encoder.layers.0.", "embed.embed.weight",
        "decoder.layers.0.", "decoder.norm.", "out.weight", "out.bias"})
    EXPECT_TRUE(has_prefix(prefix)) << prefix;
  for (const std::string& n : names)
    EXPECT_TRUE(n.rfind("encoder.", 0) == 0 || n.rfind("embed.", 0) == 0 ||
                n.rfind("decoder.", 0) == 0 || n.rfind("out.", 0) == 0)
        << n;
}

TEST(TreeSeq2Seq, BadConfigsAreErrors) {
  TreeSeq2SeqConfig c = tiny("none");
  c.decoder_layers = 0;
  EXPECT_THROW(TreeSeq2Seq{c}, Error);
  c = tiny("none");
  c.encoder.vocab = 3;
  EXPECT_THROW(TreeSeq2Seq{c}, Error);
}

}  // namespace
}  // namespace heed
