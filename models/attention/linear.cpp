// linear: kernelized linear attention (Katharopoulos et al. 2020, "Transformers are RNNs").
// softmax(q·k) is replaced by the kernel φ(q)·φ(k) with φ(x) = elu(x) + 1 > 0, so
//   out_i = φ(q_i)ᵀ (Σ_j φ(k_j) v_jᵀ) / (φ(q_i)ᵀ Σ_j φ(k_j))
// costs O(T·D²) instead of O(T²·D). Non-causal: the sums over keys are two products. Causal:
// prefix sums over j ≤ i, the numerator by the fused causal_dot_product (O(D²) extra memory)
// and the denominator by cumsum (O(T·D)). No T×T matrix exists, so no weights are returned and
// the config's dropout (which acts on weights) does not apply. Padded keys get φ(k) = 0; a query
// that sees no key at all has 0/0, defined as a zero output. No 1/√D scaling (the kernel has
// none). Projections are mha's. The KV cache holds the projected keys and values, so cached
// decoding recomputes the prefix sums (O(T) per token, not the paper's O(1) recurrent state).
#include "models/attention/skeleton.h"

namespace heed {
namespace {

class LinearAttention final : public PackedAttention {
 public:
  explicit LinearAttention(const AttentionConfig& c) : PackedAttention(c, "linear") {}

  AttentionCapabilities capabilities() const override {
    return {.returns_weights = false, .kv_cache = true};
  }

 private:
  // The kernel in place of the softmax core: out (B, H, Tq, D), no weights. Padding and
  // causality act on the sums over keys, not through a score mask.
  AttentionCoreOutput attend(const Tensor& qh, const Tensor& kh, const Tensor& vh,
                             const AttentionContext& ctx) override {
    const int64_t B = qh.size(0), Tq = qh.size(2), Tk = kh.size(2);
    Tensor fq = add(elu(qh), 1.0f), fk = add(elu(kh), 1.0f);  // φ: (B, H, T, D), positive
    if (ctx.key_padding.defined()) fk = mul(fk, kept_keys(ctx.key_padding, B, Tk));
    Tensor num, den;  // (B, H, Tq, D), (B, H, Tq, 1)
    if (ctx.causal) {
      if (Tk < Tq)
        throw Error("linear: causal attention needs at least as many keys as queries (queries " +
                    std::to_string(Tq) + ", keys " + std::to_string(Tk) + ")");
      num = causal_dot_product(fq, fk, vh);  // query i sees keys j <= i + Tk − Tq
      den = sum(mul(fq, cumsum(fk, 2).slice(2, Tk - Tq, Tk)), {-1}, true);
    } else {
      num = matmul(fq, matmul(fk.transpose(-1, -2), vh));      // (B, H, Tq, D) via (B, H, D, D)
      den = matmul(fq, sum(fk, {2}, true).transpose(-1, -2));  // (B, H, Tq, 1)
    }
    // 0/0 for a query with no visible key: divide by 1 there instead (its numerator is 0 too).
    std::vector<float> d = den.to_vector();
    std::vector<float> none(d.size());
    for (std::size_t i = 0; i < d.size(); ++i) none[i] = d[i] == 0.0f ? 1.0f : 0.0f;
    den = where(Tensor::from_vector(none, den.shape()), Tensor::scalar(1.0f), den);
    return {div(num, den), Tensor()};
  }

  // padding: (B, Tk), nonzero = padded -> (B, 1, Tk, 1) with 0 on padded keys, 1 elsewhere.
  static Tensor kept_keys(const Tensor& padding, int64_t B, int64_t Tk) {
    if (padding.dim() != 2 || padding.size(0) != B || padding.size(1) != Tk)
      throw Error("linear: key_padding " + shape_str(padding.shape()) + " does not match (batch " +
                  std::to_string(B) + ", keys " + std::to_string(Tk) + ")");
    std::vector<float> keep = padding.to_vector();
    for (float& x : keep) x = x != 0 ? 0.0f : 1.0f;
    return Tensor::from_vector(keep, {B, 1, Tk, 1});
  }
};

}  // namespace

HEED_REGISTER_ATTENTION(
    linear, "linear attention (Katharopoulos et al.): elu+1 feature map, O(T) in length",
    LinearAttention);

}  // namespace heed
