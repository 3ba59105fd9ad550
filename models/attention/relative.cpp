// relative: T5-style relative position bias (Raffel et al. 2020). Each head adds a learned
// scalar per bucket of key − query distance to its scores: exact buckets for short distances,
// log-spaced ones up to max_distance, and (unless causal) separate buckets for keys after the
// query. The bias is a differentiable input of the shared attention core, so the table learns
// through its fused backward. Projections are mha's. T5 itself omits 1/√D; we keep it so that
// relative and mha differ only by the bias.
#include <cmath>

#include "framework/nn/init.h"
#include "models/attention/positions.h"
#include "models/attention/skeleton.h"

namespace heed {

int64_t t5_relative_position_bucket(int64_t relative_position, bool bidirectional,
                                    int64_t num_buckets, int64_t max_distance) {
  int64_t bucket = 0;
  int64_t n = relative_position;
  if (bidirectional) {
    num_buckets /= 2;
    if (n > 0) bucket += num_buckets;
    n = std::abs(n);
  } else {
    n = -std::min<int64_t>(n, 0);
  }
  const int64_t max_exact = num_buckets / 2;
  if (n < max_exact) return bucket + n;
  // float32 throughout, as torch evaluates it, so bucket edges land where T5's do.
  const float log_ratio =
      std::log(static_cast<float>(n) / static_cast<float>(max_exact)) /
      static_cast<float>(std::log(static_cast<double>(max_distance) / max_exact)) *
      static_cast<float>(num_buckets - max_exact);
  const int64_t large = max_exact + static_cast<int64_t>(log_ratio);
  return bucket + std::min(large, num_buckets - 1);
}

namespace {

class RelativeAttention final : public PackedAttention {
 public:
  explicit RelativeAttention(const AttentionConfig& c)
      : PackedAttention(c, "relative"),
        num_buckets_(c.extra.get_int("num_buckets", 32, 4, 1 << 16)),
        max_distance_(c.extra.get_int("max_distance", 128, 1, 1 << 30)) {
    // Both bucket layouts need max_distance beyond the exact range, or the log spacing divides
    // by log(≤ 1).
    if (max_distance_ <= num_buckets_ / 2)
      throw Error("relative: option 'max_distance' = " + std::to_string(max_distance_) +
                  " must exceed num_buckets / 2 = " + std::to_string(num_buckets_ / 2));
    table_ = register_module("relative_attention_bias",
                             std::make_shared<Embedding>(num_buckets_, heads_));
    normal_(table_->weight(), 0.0f, 1.0f / std::sqrt(static_cast<float>(d_model_)));  // as HF's T5
  }

 private:
  // (H, Tq, Tk), learned: bucket ids (Tq, Tk) of key j − query (offset + i), looked up in the
  // (num_buckets, H) table.
  Tensor score_bias(const Tensor& qh, const Tensor& kh,
                    const AttentionContext& ctx) const override {
    const int64_t tq = qh.size(2), tk = kh.size(2);
    const int64_t lo = -(ctx.query_offset + tq - 1);  // smallest key − query
    std::vector<int64_t> bucket_of(tk - lo);
    for (int64_t r = lo; r < tk; ++r)
      bucket_of[r - lo] = t5_relative_position_bucket(r, !ctx.causal, num_buckets_, max_distance_);
    Tensor ids = Tensor::empty({tq, tk}, DType::I64);
    int64_t* p = ids.data<int64_t>();
    for (int64_t i = 0; i < tq; ++i)
      for (int64_t j = 0; j < tk; ++j) p[i * tk + j] = bucket_of[j - (ctx.query_offset + i) - lo];
    return table_->forward(ids).permute({2, 0, 1});
  }

  int64_t num_buckets_, max_distance_;
  std::shared_ptr<Embedding> table_;
};

}  // namespace

HEED_REGISTER_ATTENTION(relative,
                        "T5 relative position bias: a learned scalar per head and distance bucket",
                        RelativeAttention);

}  // namespace heed
