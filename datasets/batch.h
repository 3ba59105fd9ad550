// Token layout shared by every task, and batches of padded sequences.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "framework/tensor.h"

namespace heed {

// Reserved ids. Generated tasks put data tokens from kFirstDataToken on, as the reference.
constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kFirstDataToken = 3;

struct Example {
  std::vector<int64_t> source;  // data tokens, no BOS/EOS
  std::vector<int64_t> target;  // data tokens, no BOS/EOS (or one class id for classification)
};

// Data-parallel training gives each process a shard of the batch (framework/random.h,
// BatchShard) and pads it as the whole batch would be padded, so that every dimension past the
// batch one, and so every dropout mask, is the single-process run's. The trainer puts the whole
// batch in scope around a shard's loss; batch builders take each padded length from
// padded_length(), which then covers it too.
class WholeBatchScope {
 public:
  explicit WholeBatchScope(const std::vector<Example>& whole);
  ~WholeBatchScope();
  WholeBatchScope(const WholeBatchScope&) = delete;
  WholeBatchScope& operator=(const WholeBatchScope&) = delete;

 private:
  const std::vector<Example>* previous_;
};
// The largest length(e) over `examples` and the whole batch in scope, at least `at_least`.
int64_t padded_length(const std::vector<Example>& examples,
                      const std::function<int64_t(const Example&)>& length, int64_t at_least = 1);

// A padded batch for sequence-to-sequence training:
//   src:     (B, S)   source tokens, kPad after the end
//   src_pad: (B, S)   int32, 1 where src is padding
//   dec_in:  (B, T)   [BOS, y1, ..., yn] then kPad
//   labels:  (B, T)   [y1, ..., yn, EOS] then kPad (ignored by the loss)
struct Seq2SeqBatch {
  Tensor src, src_pad, dec_in, labels;
  std::vector<Example> examples;
  int64_t target_tokens = 0;  // non-pad labels
};

// The examples' sources, padded: tokens (B, S) with kPad after each end, padding (B, S) int32,
// 1 where tokens is padding; S = the longest source (at least 1).
struct PaddedSources {
  Tensor tokens, padding;
};
PaddedSources pad_sources(const std::vector<Example>& examples);

// `append_eos` adds EOS to each target (generated tasks with variable length); without it the
// layout is the reference's fixed-length one (decoder input [BOS] + target[:-1]).
Seq2SeqBatch make_seq2seq_batch(const std::vector<Example>& examples, bool append_eos = true);

}  // namespace heed
