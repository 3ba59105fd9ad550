#include "datasets/batch.h"

#include <algorithm>

namespace heed {

Seq2SeqBatch make_seq2seq_batch(const std::vector<Example>& examples, bool append_eos) {
  if (examples.empty()) throw Error("make_seq2seq_batch: no examples");
  const int64_t B = static_cast<int64_t>(examples.size());
  int64_t S = 1, T = 1;
  for (const Example& e : examples) {
    S = std::max<int64_t>(S, static_cast<int64_t>(e.source.size()));
    T = std::max<int64_t>(T, static_cast<int64_t>(e.target.size()) + (append_eos ? 1 : 0));
  }
  std::vector<int64_t> src(B * S, kPad), dec(B * T, kPad), lab(B * T, kPad);
  std::vector<int64_t> pad(B * S, 1);
  Seq2SeqBatch batch;
  for (int64_t b = 0; b < B; ++b) {
    const Example& e = examples[b];
    for (std::size_t i = 0; i < e.source.size(); ++i) {
      src[b * S + i] = e.source[i];
      pad[b * S + i] = 0;
    }
    std::vector<int64_t> y = e.target;
    if (append_eos) y.push_back(kEos);
    for (std::size_t i = 0; i < y.size(); ++i) {
      lab[b * T + i] = y[i];
      dec[b * T + i] = i == 0 ? kBos : y[i - 1];
    }
    batch.target_tokens += static_cast<int64_t>(y.size());
  }
  batch.src = Tensor::from_ints(src, {B, S});
  batch.src_pad = Tensor::from_ints(pad, {B, S}, DType::I32);
  batch.dec_in = Tensor::from_ints(dec, {B, T});
  batch.labels = Tensor::from_ints(lab, {B, T});
  batch.examples = examples;
  return batch;
}

}  // namespace heed
