#include "framework/ops/flash_attention.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "framework/autograd.h"
#include "framework/ops/attention_core.h"
#include "framework/profile.h"
#include "framework/random.h"

namespace heed {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kQueryTile = 64, kKeyTile = 64;

using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const Mat>;
using MutMap = Eigen::Map<Mat>;

// Per-thread working memory, taken from heed's allocator (so memory measurements see it) before
// a parallel loop: one slice of `floats_per_thread` for each OpenMP thread.
class ThreadScratch {
 public:
  explicit ThreadScratch(int64_t floats_per_thread)
      : per_thread_(floats_per_thread),
        buffer_(Tensor::empty({static_cast<int64_t>(omp_get_max_threads()), floats_per_thread})) {}
  // The calling thread's slice, handed out in consecutive pieces by a Carver.
  float* mine() const { return buffer_.data<float>() + omp_get_thread_num() * per_thread_; }

 private:
  int64_t per_thread_;
  Tensor buffer_;
};

// Consecutive pieces of one thread's slice.
struct Carver {
  float* next;
  float* floats(int64_t n) {
    float* p = next;
    next += n;
    return p;
  }
  MutMap matrix(int64_t rows, int64_t cols) { return MutMap(floats(rows * cols), rows, cols); }
};

// A tensor broadcast to (B, H, Tq, Tk), read in place: a dimension of size 1 has stride 0.
struct Broadcast4 {
  const float* data = nullptr;
  int64_t sb = 0, sh = 0, si = 0, sj = 0;

  Broadcast4() = default;
  explicit Broadcast4(const Tensor& t) {
    if (!t.defined()) return;
    data = t.data<float>();
    Shape s = t.shape();
    while (s.size() < 4) s.insert(s.begin(), 1);
    int64_t stride = 1;
    int64_t* strides[4] = {&sb, &sh, &si, &sj};
    for (int d = 3; d >= 0; --d) {
      *strides[d] = s[d] == 1 ? 0 : stride;
      stride *= s[d];
    }
  }
  int64_t offset(int64_t b, int64_t h, int64_t i, int64_t j) const {
    return b * sb + h * sh + i * si + j * sj;
  }
};

// Everything a tile needs: the inputs (contiguous), the sizes, the masks, the dropout draw.
struct Problem {
  int64_t B, H, Tq, Tk, D, Dv;
  float scale;
  bool causal;
  const float *q, *k, *v;
  Broadcast4 bias, mask;
  bool dropout;
  uint64_t seed = 0, base = 0, threshold = 0;
  float keep_scale = 1;

  const float* q_rows(int64_t b, int64_t h, int64_t i) const {
    return q + ((b * H + h) * Tq + i) * D;
  }
  const float* k_rows(int64_t b, int64_t h, int64_t j) const {
    return k + ((b * H + h) * Tk + j) * D;
  }
  const float* v_rows(int64_t b, int64_t h, int64_t j) const {
    return v + ((b * H + h) * Tk + j) * Dv;
  }
  // The last key query i sees under the causal rule (Tk - 1 without it).
  int64_t last_key(int64_t i) const { return causal ? std::min(Tk - 1, i + Tk - Tq) : Tk - 1; }
  // The dropout counter of element (b, h, i, j) of the (B, H, Tq, Tk) probabilities: the one the
  // unfused core's dropout_kernel gives it, so both cores drop the same elements.
  uint64_t counter(int64_t b, int64_t h, int64_t i, int64_t j) const {
    return base + static_cast<uint64_t>(((b * H + h) * Tq + i) * Tk + j);
  }
};

// s += t's block for queries i0.. and keys j0.. of (b, h), t broadcast to (B, H, Tq, Tk).
void add_broadcast(const Broadcast4& t, int64_t b, int64_t h, int64_t i0, int64_t j0, MutMap s) {
  for (int64_t r = 0; r < s.rows(); ++r) {
    const float* src = t.data + t.offset(b, h, i0 + r, j0);
    if (t.sj == 1)
      s.row(r) += ConstMap(src, 1, s.cols());
    else  // one value for every key
      s.row(r).array() += *src;
  }
}

// S (rows × cols) = q·kᵀ·scale + bias + mask for queries i0.. and keys j0.., -inf where causal
// hides a key.
void score_tile(const Problem& p, int64_t b, int64_t h, int64_t i0, int64_t rows, int64_t j0,
                int64_t cols, MutMap s) {
  s.noalias() = p.scale * (ConstMap(p.q_rows(b, h, i0), rows, p.D) *
                           ConstMap(p.k_rows(b, h, j0), cols, p.D).transpose());
  if (p.bias.data) add_broadcast(p.bias, b, h, i0, j0, s);
  if (p.mask.data) add_broadcast(p.mask, b, h, i0, j0, s);
  if (!p.causal) return;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t visible = std::clamp<int64_t>(p.last_key(i0 + r) + 1 - j0, 0, cols);
    s.row(r).tail(cols - visible).setConstant(kNegInf);
  }
}

// The dropout factors of a tile: keep_scale where kept, 0 where dropped. A row's counters are
// consecutive, so each row is one vectorized loop.
void dropout_tile(const Problem& p, int64_t b, int64_t h, int64_t i0, int64_t j0, MutMap kept) {
  const uint64_t seed = p.seed, threshold = p.threshold;
  const float scale = p.keep_scale;
  const int64_t cols = kept.cols();
  for (int64_t r = 0; r < kept.rows(); ++r) {
    const uint64_t first = p.counter(b, h, i0 + r, j0);
    float* row = &kept(r, 0);
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c)
      row[c] = dropout_keeps(seed, first + static_cast<uint64_t>(c), threshold) ? scale : 0.0f;
  }
}

// Scratch floats forward_rows needs: a score tile, a dropout tile, the accumulator, running max
// and sum.
int64_t forward_scratch(const Problem& p) {
  return 2 * kQueryTile * kKeyTile + kQueryTile * p.Dv + 2 * kQueryTile;
}

// Forward of queries i0.. of (b, h): out rows and their log-sum-exp (-inf: every key hidden).
void forward_rows(const Problem& p, int64_t b, int64_t h, int64_t i0, int64_t rows, float* out,
                  float* lse, Carver scratch) {
  float *s_data = scratch.floats(kQueryTile * kKeyTile),
        *kept_data = scratch.floats(kQueryTile * kKeyTile);
  MutMap acc = scratch.matrix(rows, p.Dv);
  float *m = scratch.floats(rows), *l = scratch.floats(rows);
  acc.setZero();
  std::fill(m, m + rows, kNegInf);
  std::fill(l, l + rows, 0.0f);
  const int64_t key_end = p.last_key(i0 + rows - 1) + 1;  // causal: later tiles are all hidden
  // S = q·kᵀ and P·v over the keys visited (none when causality hides them all: Tk < Tq).
  count_flops(2.0 * rows * std::max<int64_t>(key_end, 0) * (p.D + p.Dv));
  for (int64_t j0 = 0; j0 < key_end; j0 += kKeyTile) {
    const int64_t cols = std::min(kKeyTile, key_end - j0);
    MutMap s(s_data, rows, cols);
    score_tile(p, b, h, i0, rows, j0, cols, s);
    for (int64_t r = 0; r < rows; ++r) {
      auto e = s.row(r).array();
      const float m_new = std::max(m[r], e.maxCoeff());
      if (m_new == kNegInf) {  // nothing visible yet: the row stays empty
        e.setZero();
        continue;
      }
      const float alpha = std::exp(m[r] - m_new);  // 0 for the first visible tile
      e = (e - m_new).exp();                       // hidden keys: exp(-inf) = 0
      l[r] = l[r] * alpha + e.sum();               // the softmax sums P before dropout
      acc.row(r) *= alpha;
      m[r] = m_new;
    }
    if (p.dropout) {
      MutMap kept(kept_data, rows, cols);
      dropout_tile(p, b, h, i0, j0, kept);
      s.array() *= kept.array();
    }
    acc.noalias() += s * ConstMap(p.v_rows(b, h, j0), cols, p.Dv);
  }
  for (int64_t r = 0; r < rows; ++r) {
    MutMap o(out + r * p.Dv, 1, p.Dv);
    if (l[r] > 0) {
      o = acc.row(r) / l[r];
      lse[r] = m[r] + std::log(l[r]);
    } else {
      o.setZero();
      lse[r] = kNegInf;
    }
  }
}

struct Grads {
  float *dq, *dk, *dv, *dbias;  // dbias: the bias's own layout (Broadcast4 offsets), or null
};

// Scratch floats backward_head needs: three tiles (P, dP, the dropout factors) and δ.
int64_t backward_scratch(const Problem& p) {
  return 3 * kQueryTile * kKeyTile + p.Tq;
}

// Backward of one (b, h): every key tile against every query tile that sees it, recomputing P
// from the saved log-sum-exps. dq, dk, dv of (b, h) are this call's alone; dbias elements are
// shared only by (b, h) pairs the caller runs one after another.
void backward_head(const Problem& p, int64_t b, int64_t h, const float* dout, const float* out,
                   const float* lse, const Grads& g, Carver scratch) {
  const int64_t bh = b * p.H + h;
  const float* go = dout + bh * p.Tq * p.Dv;
  const float* o = out + bh * p.Tq * p.Dv;
  float *s_data = scratch.floats(kQueryTile * kKeyTile),
        *dp_data = scratch.floats(kQueryTile * kKeyTile),
        *kept_data = scratch.floats(kQueryTile * kKeyTile);
  float* delta = scratch.floats(p.Tq);  // rowsum(dO ∘ O) = rowsum(P ∘ dP)
  for (int64_t i = 0; i < p.Tq; ++i)
    delta[i] = ConstMap(go + i * p.Dv, 1, p.Dv).cwiseProduct(ConstMap(o + i * p.Dv, 1, p.Dv)).sum();
  MutMap dq(g.dq + bh * p.Tq * p.D, p.Tq, p.D);
  double tile_flops = 0;
  for (int64_t j0 = 0; j0 < p.Tk; j0 += kKeyTile) {
    const int64_t cols = std::min(kKeyTile, p.Tk - j0);
    MutMap dk(g.dk + (bh * p.Tk + j0) * p.D, cols, p.D);
    MutMap dv(g.dv + (bh * p.Tk + j0) * p.Dv, cols, p.Dv);
    const ConstMap kt(p.k_rows(b, h, j0), cols, p.D), vt(p.v_rows(b, h, j0), cols, p.Dv);
    for (int64_t i0 = 0; i0 < p.Tq; i0 += kQueryTile) {
      const int64_t rows = std::min(kQueryTile, p.Tq - i0);
      if (p.last_key(i0 + rows - 1) < j0) continue;  // causal: this tile sees none of the keys
      tile_flops += 2.0 * rows * cols * (2 * p.D + 2 * p.Dv);  // dV, dP, dQ, dK (not S again)
      MutMap s(s_data, rows, cols), dp(dp_data, rows, cols), kept(kept_data, rows, cols);
      score_tile(p, b, h, i0, rows, j0, cols, s);
      for (int64_t r = 0; r < rows; ++r) {  // P, from the row's log-sum-exp
        const float l = lse[bh * p.Tq + i0 + r];
        if (l == kNegInf)
          s.row(r).setZero();
        else
          s.row(r) = (s.row(r).array() - l).exp().matrix();
      }
      const ConstMap got(go + i0 * p.Dv, rows, p.Dv), qt(p.q_rows(b, h, i0), rows, p.D);
      dp.noalias() = got * vt.transpose();  // d dropout(P)
      if (p.dropout) {
        dropout_tile(p, b, h, i0, j0, kept);
        dv.noalias() += s.cwiseProduct(kept).transpose() * got;  // dV += dropout(P)ᵀ·dO
        dp.array() *= kept.array();                              // dP
      } else {
        dv.noalias() += s.transpose() * got;
      }
      // dS = P ∘ (dP − δ)
      const Eigen::Map<const Eigen::VectorXf> row_delta(delta + i0, rows);
      dp.array() = s.array() * (dp.array().colwise() - row_delta.array());
      dq.middleRows(i0, rows).noalias() += p.scale * (dp * kt);
      dk.noalias() += p.scale * (dp.transpose() * qt);
      if (g.dbias)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c)
            g.dbias[p.bias.offset(b, h, i0 + r, j0 + c)] += dp(r, c);
    }
  }
  count_flops(tile_flops);
}

}  // namespace

Tensor flash_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                       const Tensor& mask, float dropout_p, bool training, float scale,
                       bool causal) {
  const Shape scores =
      check_attention_core_inputs("flash_attention", q, k, v, bias, mask, dropout_p);
  const int64_t B = scores[0], H = scores[1], Tq = scores[2], Tk = scores[3];
  const Tensor qc = q.detach().contiguous(), kc = k.detach().contiguous(),
               vc = v.detach().contiguous();
  const Tensor bc = bias.defined() ? bias.detach().contiguous() : Tensor();
  const Tensor mc = mask.defined() ? mask.detach().contiguous() : Tensor();
  auto p = std::make_shared<Problem>(Problem{
      B, H, Tq, Tk, q.size(3), v.size(3), scale > 0 ? scale : 1.0f / std::sqrt(float(q.size(3))),
      causal, qc.data<float>(), kc.data<float>(), vc.data<float>(), Broadcast4(bc), Broadcast4(mc),
      training && dropout_p > 0});
  if (p->dropout) {
    p->seed = global_rng().seed;
    p->base = rng_reserve_batch(static_cast<uint64_t>(B * H * Tq * Tk), B);
    p->threshold = dropout_threshold(dropout_p);
    p->keep_scale = 1.0f / (1.0f - dropout_p);
  }
  Tensor out = Tensor::empty({B, H, Tq, p->Dv});  // written in place, outside autograd
  Tensor lse = Tensor::empty({B, H, Tq});
  const int64_t q_tiles = (Tq + kQueryTile - 1) / kQueryTile;
  {
    const ThreadScratch scratch(forward_scratch(*p));
#pragma omp parallel for schedule(dynamic)
    for (int64_t t = 0; t < B * H * q_tiles; ++t) {
      const int64_t bh = t / q_tiles, i0 = (t % q_tiles) * kQueryTile;
      const int64_t rows = std::min(kQueryTile, Tq - i0);
      forward_rows(*p, bh / H, bh % H, i0, rows, out.data<float>() + (bh * Tq + i0) * p->Dv,
                   lse.data<float>() + bh * Tq + i0, Carver{scratch.mine()});
    }
  }
  std::vector<Tensor> inputs = {q, k, v};
  if (bias.defined()) inputs.push_back(bias);
  // The backward keeps the contiguous inputs (p points into them), the output's values and lse.
  // Not `out` itself: out -> its node -> this backward -> out would be a cycle never freed.
  const Tensor out_values = out.detach();
  return record(out, "flash_attention", inputs,
                [p, qc, kc, vc, bc, mc, out_values, lse,
                 want_dbias = bias.defined() && bias.requires_grad()](const Tensor& grad) {
                  const Tensor go = grad.contiguous();
                  Tensor dq = Tensor::zeros(qc.shape()), dk = Tensor::zeros(kc.shape()),
                         dv = Tensor::zeros(vc.shape());
                  Tensor dbias = want_dbias ? Tensor::zeros(bc.shape()) : Tensor();
                  const Grads g{dq.data<float>(), dk.data<float>(), dv.data<float>(),
                                want_dbias ? dbias.data<float>() : nullptr};
                  // A bias shared across batch rows or heads gets its gradient from several
                  // (b, h): those run one after another in one task, never at once.
                  const bool serial_b = want_dbias && p->bias.sb == 0 && p->B > 1;
                  const bool serial_h = want_dbias && p->bias.sh == 0 && p->H > 1;
                  const int64_t nb = serial_b ? 1 : p->B, nh = serial_h ? 1 : p->H;
                  const ThreadScratch scratch(backward_scratch(*p));
#pragma omp parallel for schedule(dynamic)
                  for (int64_t t = 0; t < nb * nh; ++t)
                    for (int64_t b = serial_b ? 0 : t / nh; b < (serial_b ? p->B : t / nh + 1); ++b)
                      for (int64_t h = serial_h ? 0 : t % nh; h < (serial_h ? p->H : t % nh + 1);
                           ++h)
                        backward_head(*p, b, h, go.data<float>(), out_values.data<float>(),
                                      lse.data<float>(), g, Carver{scratch.mine()});
                  std::vector<Tensor> grads = {dq, dk, dv};
                  if (bc.defined()) grads.push_back(dbias);
                  return grads;
                });
}

}  // namespace heed
