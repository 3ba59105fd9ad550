#include "datasets/batch.h"

#include <algorithm>

namespace heed {

namespace {
const std::vector<Example>* g_whole_batch = nullptr;  // set by WholeBatchScope
}  // namespace

WholeBatchScope::WholeBatchScope(const std::vector<Example>& whole) : previous_(g_whole_batch) {
  g_whole_batch = &whole;
}
WholeBatchScope::~WholeBatchScope() {
  g_whole_batch = previous_;
}

int64_t padded_length(const std::vector<Example>& examples,
                      const std::function<int64_t(const Example&)>& length, int64_t at_least) {
  int64_t n = at_least;
  for (const Example& e : examples) n = std::max(n, length(e));
  if (g_whole_batch)
    for (const Example& e : *g_whole_batch) n = std::max(n, length(e));
  return n;
}

PaddedSources pad_sources(const std::vector<Example>& examples) {
  const int64_t B = static_cast<int64_t>(examples.size());
  const int64_t S = padded_length(
      examples, [](const Example& e) { return static_cast<int64_t>(e.source.size()); });
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
  const int64_t T = padded_length(examples, [append_eos](const Example& e) {
    return static_cast<int64_t>(e.target.size()) + (append_eos ? 1 : 0);
  });
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
