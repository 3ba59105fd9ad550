#include "models/decoding.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

#include "framework/ops.h"
#include "framework/random.h"

namespace heed {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

void check_options(const Tensor& prefix, const DecodeOptions& o) {
  if (prefix.dim() != 2 || prefix.dtype() == DType::F32 || prefix.size(0) < 1 || prefix.size(1) < 1)
    throw Error("decode: prefix must be (B, P) int ids with B, P >= 1, got " +
                std::string(dtype_name(prefix.dtype())) + " " + shape_str(prefix.shape()));
  if (o.max_len < 1)
    throw Error("decode: max_len must be at least 1, got " + std::to_string(o.max_len));
  if (!(o.temperature >= 0.0f))
    throw Error("decode: temperature must be >= 0, got " + std::to_string(o.temperature));
  if (o.top_k < 0) throw Error("decode: top_k must be >= 0, got " + std::to_string(o.top_k));
  if (o.beam_width < 1)
    throw Error("decode: beam_width must be at least 1, got " + std::to_string(o.beam_width));
  if (!(o.length_penalty >= 0.0f))
    throw Error("decode: length_penalty must be >= 0, got " + std::to_string(o.length_penalty));
}

// The step's logits as host rows, with each row's log-softmax in double.
struct StepScores {
  Tensor logits;  // (R, V)
  int64_t rows = 0, vocab = 0;
  std::vector<float> raw;    // R·V
  std::vector<double> logp;  // R·V
  const float* raw_row(int64_t r) const { return raw.data() + r * vocab; }
  const double* logp_row(int64_t r) const { return logp.data() + r * vocab; }
};

StepScores score_step(const Tensor& logits, int64_t rows, int64_t eos) {
  if (logits.dim() != 2 || logits.size(0) != rows)
    throw Error("decode: the model returned logits " + shape_str(logits.shape()) + " for " +
                std::to_string(rows) + " rows");
  StepScores s{logits, rows, logits.size(1), logits.to_vector(), {}};
  if (eos < 0 || eos >= s.vocab)
    throw Error("decode: eos " + std::to_string(eos) + " is outside the vocabulary of " +
                std::to_string(s.vocab));
  s.logp.resize(s.raw.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = s.raw_row(r);
    double* lp = s.logp.data() + r * s.vocab;
    double m = kNegInf;
    for (int64_t v = 0; v < s.vocab; ++v) m = std::max(m, static_cast<double>(x[v]));
    double z = 0;
    for (int64_t v = 0; v < s.vocab; ++v) z += std::exp(static_cast<double>(x[v]) - m);
    const double lse = m + std::log(z);
    for (int64_t v = 0; v < s.vocab; ++v) lp[v] = static_cast<double>(x[v]) - lse;
  }
  return s;
}

int64_t argmax(const float* x, int64_t n) {  // the first maximum
  return static_cast<int64_t>(std::max_element(x, x + n) - x);
}

// Indices of the k largest values, largest first; ties keep the lower index first.
std::vector<int64_t> top_indices(const float* x, int64_t n, int64_t k) {
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  k = std::min(k, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [x](int64_t a, int64_t b) { return x[a] > x[b] || (x[a] == x[b] && a < b); });
  idx.resize(k);
  return idx;
}

int64_t sample_token(const float* x, int64_t vocab, const DecodeOptions& o, Rng& rng) {
  if (o.temperature == 0.0f || o.top_k == 1) return argmax(x, vocab);
  std::vector<int64_t> pool = top_indices(x, vocab, o.top_k > 0 ? o.top_k : vocab);
  const double t = o.temperature, top = x[pool[0]];
  std::vector<double> cum(pool.size());
  double total = 0;
  for (std::size_t i = 0; i < pool.size(); ++i) cum[i] = total += std::exp((x[pool[i]] - top) / t);
  const double u = static_cast<double>(rng.uniform()) * total;
  for (std::size_t i = 0; i < pool.size(); ++i)
    if (u < cum[i]) return pool[i];
  return pool[0];  // only if every weight underflowed
}

Tensor stack_logits(const std::vector<Tensor>& rows) {
  return rows.empty() ? Tensor() : stack(rows, 0);
}

Tensor last_tokens(const std::vector<int64_t>& tokens) {
  return Tensor::from_ints(tokens, {static_cast<int64_t>(tokens.size()), 1});
}

// Greedy and sampling: one hypothesis per row, rows leave the batch when they finish.
template <typename Choose>
std::vector<Hypothesis> decode_per_row(StepModel& model, const Tensor& prefix,
                                       const DecodeOptions& o, Choose&& choose) {
  check_options(prefix, o);
  NoGradGuard no_grad;
  const int64_t B = prefix.size(0);
  std::vector<Hypothesis> out(B);
  std::vector<std::vector<Tensor>> kept(B);
  std::vector<int64_t> elem(B);  // current row -> batch element
  std::iota(elem.begin(), elem.end(), 0);
  model.start(B);
  Tensor logits = model.next_logits(prefix, 0);
  int64_t offset = prefix.size(1);
  for (int64_t step = 0;; ++step) {
    const int64_t R = static_cast<int64_t>(elem.size());
    StepScores s = score_step(logits, R, o.eos);
    std::vector<int64_t> survivors, next;
    for (int64_t r = 0; r < R; ++r) {
      const int64_t b = elem[r];
      const int64_t tok = choose(s.raw_row(r), s.vocab, b);
      Hypothesis& h = out[b];
      h.log_prob += s.logp_row(r)[tok];
      if (o.keep_logits)
        kept[b].push_back(select(logits, 0, r).clone());  // not a view: frees the step's tensor
      if (tok == o.eos) {
        h.finished = true;
      } else {
        h.tokens.push_back(tok);
        survivors.push_back(r);
        next.push_back(tok);
      }
    }
    if (survivors.empty() || step + 1 == o.max_len) break;
    if (static_cast<int64_t>(survivors.size()) < R) {
      model.reorder(survivors);
      std::vector<int64_t> e;
      for (int64_t r : survivors) e.push_back(elem[r]);
      elem = std::move(e);
    }
    logits = model.next_logits(last_tokens(next), offset++);
  }
  for (int64_t b = 0; b < B; ++b) {
    out[b].score = out[b].log_prob;
    if (o.keep_logits) out[b].logits = stack_logits(kept[b]);
  }
  return out;
}

struct Beam {
  std::vector<int64_t> tokens;
  double log_prob = 0;
  std::vector<Tensor> logits;  // (V,) rows, with keep_logits
};

double ranked(double log_prob, int64_t length, double alpha) {
  return alpha == 0.0 ? log_prob : log_prob / std::pow(static_cast<double>(length), alpha);
}

Hypothesis to_hypothesis(const Beam& beam, bool finished, double alpha) {
  Hypothesis h;
  h.tokens = beam.tokens;
  h.log_prob = beam.log_prob;
  h.finished = finished;
  h.score = ranked(beam.log_prob, static_cast<int64_t>(beam.tokens.size()) + finished, alpha);
  h.logits = stack_logits(beam.logits);
  return h;
}

struct Candidate {
  double log_prob;
  int64_t beam, token;
};

}  // namespace

std::vector<Hypothesis> greedy_decode(StepModel& model, const Tensor& prefix,
                                      const DecodeOptions& opts) {
  return decode_per_row(model, prefix, opts,
                        [](const float* x, int64_t vocab, int64_t) { return argmax(x, vocab); });
}

std::vector<Hypothesis> sample_decode(StepModel& model, const Tensor& prefix,
                                      const DecodeOptions& opts) {
  std::vector<Rng> rngs;
  for (int64_t b = 0; b < prefix.size(0); ++b) rngs.emplace_back(mix64(opts.seed, b));
  return decode_per_row(model, prefix, opts, [&](const float* x, int64_t vocab, int64_t b) {
    return sample_token(x, vocab, opts, rngs[b]);
  });
}

std::vector<Hypothesis> beam_search(StepModel& model, const Tensor& prefix,
                                    const DecodeOptions& o) {
  check_options(prefix, o);
  NoGradGuard no_grad;
  const int64_t B = prefix.size(0), K = o.beam_width;
  const double alpha = o.length_penalty;
  struct Row {
    std::vector<Beam> live;
    std::vector<Hypothesis> finished;
    bool done = false;
  };
  std::vector<Row> rows(B);
  for (Row& r : rows) r.live.emplace_back();
  std::vector<std::pair<int64_t, int64_t>> at(B);  // state row -> (element, live beam)
  for (int64_t b = 0; b < B; ++b) at[b] = {b, 0};
  model.start(B);
  Tensor logits = model.next_logits(prefix, 0);
  int64_t offset = prefix.size(1);
  for (int64_t step = 0; step < o.max_len; ++step) {
    const int64_t R = static_cast<int64_t>(at.size());
    StepScores s = score_step(logits, R, o.eos);
    std::vector<int64_t> parents, next;
    std::vector<std::pair<int64_t, int64_t>> next_at;
    for (int64_t first = 0; first < R;) {
      const int64_t b = at[first].first;
      int64_t end = first;
      while (end < R && at[end].first == b) ++end;
      Row& row = rows[b];
      // Every (beam, token) extension; at most K of the best 2K end in EOS (one per beam), so
      // walking those fills the K live beams whenever that many finite extensions exist.
      std::vector<Candidate> cands;
      for (int64_t r = first; r < end; ++r) {
        const double* lp = s.logp_row(r);
        for (int64_t v = 0; v < s.vocab; ++v)
          if (std::isfinite(lp[v]))
            cands.push_back({row.live[at[r].second].log_prob + lp[v], r, v});
      }
      const auto better = [](const Candidate& a, const Candidate& c) {
        if (a.log_prob != c.log_prob) return a.log_prob > c.log_prob;
        return a.beam != c.beam ? a.beam < c.beam : a.token < c.token;
      };
      const std::size_t top = std::min(cands.size(), static_cast<std::size_t>(2 * K));
      std::partial_sort(cands.begin(), cands.begin() + top, cands.end(), better);
      std::vector<Beam> live;
      for (std::size_t i = 0; i < top && static_cast<int64_t>(live.size()) < K; ++i) {
        const Candidate& c = cands[i];
        Beam beam = row.live[at[c.beam].second];
        beam.log_prob = c.log_prob;
        if (o.keep_logits) beam.logits.push_back(select(logits, 0, c.beam).clone());
        if (c.token == o.eos) {
          row.finished.push_back(to_hypothesis(beam, true, alpha));
        } else {
          beam.tokens.push_back(c.token);
          live.push_back(std::move(beam));
          parents.push_back(c.beam);
          next.push_back(c.token);
        }
      }
      row.live = std::move(live);
      // Stop when no live beam can catch up: its log_prob only falls, its length is ≤ max_len.
      double best_live = kNegInf;
      for (const Beam& beam : row.live)
        best_live = std::max(best_live, ranked(beam.log_prob, o.max_len, alpha));
      double best_finished = kNegInf;
      for (const Hypothesis& h : row.finished) best_finished = std::max(best_finished, h.score);
      row.done = row.live.empty() || (!row.finished.empty() && best_finished >= best_live);
      if (row.done) {
        parents.resize(parents.size() - row.live.size());
        next.resize(next.size() - row.live.size());
      } else {
        for (std::size_t j = 0; j < row.live.size(); ++j)
          next_at.push_back({b, static_cast<int64_t>(j)});
      }
      first = end;
    }
    if (parents.empty() || step + 1 == o.max_len) break;
    model.reorder(parents);
    at = std::move(next_at);
    logits = model.next_logits(last_tokens(next), offset++);
  }
  std::vector<Hypothesis> out(B);
  for (int64_t b = 0; b < B; ++b) {
    Row& row = rows[b];
    std::vector<Hypothesis> pool = row.finished;
    if (pool.empty())
      for (const Beam& beam : row.live) pool.push_back(to_hypothesis(beam, false, alpha));
    if (pool.empty())
      throw Error("beam_search: every continuation of row " + std::to_string(b) +
                  " has probability 0");
    // The first of equal scores: the earliest finished, or the best-ranked live beam.
    out[b] = *std::max_element(
        pool.begin(), pool.end(),
        [](const Hypothesis& a, const Hypothesis& c) { return a.score < c.score; });
  }
  return out;
}

std::vector<Hypothesis> decode(StepModel& model, const Tensor& prefix, const DecodeOptions& opts) {
  if (opts.strategy == "greedy") return greedy_decode(model, prefix, opts);
  if (opts.strategy == "sample") return sample_decode(model, prefix, opts);
  if (opts.strategy == "beam") return beam_search(model, prefix, opts);
  throw Error("decode: strategy '" + opts.strategy + "' is not one of: greedy, sample, beam");
}

Tensor bos_prefix(int64_t batch, int64_t bos) {
  return Tensor::from_ints(std::vector<int64_t>(batch, bos), {batch, 1});
}

}  // namespace heed
