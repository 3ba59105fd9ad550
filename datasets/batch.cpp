#include "datasets/batch.h"

#include <algorithm>

namespace heed {

PaddedSources pad_sources(const std::vector<Example>& examples) {
  const int64_t B = static_cast<int64_t>(examples.size());
  int64_t S = 1;
  for (const Example& e : examples) S = std::max<int64_t>(S, e.source.size());
  std::vector<int64_t> src(B * S, kPad), pad(B * S, 1);
  for (int64_t b = 0; b < B; ++b)
    for (std::size_t i = 0; i < examples[b].source.size(); ++i) {
      src[b * S + i] = examples[b].source[i];
      pad[b * S + i] = 0;
    }
  return {Tensor::from_ints(src, {B, S}), Tensor::from_ints(pad, {B, S}, DType::I32)};
}

Seq2SeqBatch make_seq2seq_batch(const std::vector<Example>& examples, bool append_eos) {
  if (examples.empty()) throw Error("make_seq2seq_batch: no examples");
  const int64_t B = static_cast<int64_t>(examples.size());
  int64_t T = 1;
  for (const Example& e : examples)
    T = std::max<int64_t>(T, static_cast<int64_t>(e.target.size()) + (append_eos ? 1 : 0));
  std::vector<int64_t> dec(B * T, kPad), lab(B * T, kPad);
  Seq2SeqBatch batch;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<int64_t> y = examples[b].target;
    if (append_eos) y.push_back(kEos);
    for (std::size_t i = 0; i < y.size(); ++i) {
      lab[b * T + i] = y[i];
      dec[b * T + i] = i == 0 ? kBos : y[i - 1];
    }
    batch.target_tokens += static_cast<int64_t>(y.size());
  }
  PaddedSources src = pad_sources(examples);
  batch.src = src.tokens;
  batch.src_pad = src.padding;
  batch.dec_in = Tensor::from_ints(dec, {B, T});
  batch.labels = Tensor::from_ints(lab, {B, T});
  batch.examples = examples;
  return batch;
}

}  // namespace heed
