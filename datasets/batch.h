// Token layout shared by every task, and batches of padded sequences.
#pragma once

#include <cstdint>
#include <vector>

#include "framework/tensor.h"

namespace heed {

// Reserved ids. Generated tasks put data tokens from kFirstDataToken on, as the reference.
constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kFirstDataToken = 3;

struct Example {
  std::vector<int64_t> source;  // data tokens, no BOS/EOS
  std::vector<int64_t> target;  // data tokens, no BOS/EOS (or one class id for classification)
};

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
