#include "framework/ops/reduce.h"

#include <algorithm>
#include <limits>

#include "framework/autograd.h"
#include "framework/ops/elementwise.h"
#include "framework/ops/iter.h"
#include "framework/ops/shape.h"

namespace heed {

float row_sum(const float* p, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += p[i + k];
  for (int k = 0; i < n; ++i, ++k) acc[k] += p[i];
  for (int w = 8; w >= 1; w /= 2)
    for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  return acc[0];
}

namespace {

struct Plan {
  std::vector<bool> reduced;  // per dim of x
  Shape kept_shape;           // output shape with keepdim
  Shape out_shape;            // output shape as requested
  int64_t groups = 1;         // number of outputs
  int64_t group_size = 1;     // elements per output
};

Plan make_plan(const Tensor& x, std::vector<int64_t> dims, bool keepdim, const char* op) {
  Plan p;
  p.reduced.assign(x.dim(), false);
  if (dims.empty())
    for (int64_t d = 0; d < x.dim(); ++d) dims.push_back(d);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x.dim(), op);
    if (x.dim() == 0) continue;
    if (p.reduced[w])
      throw Error(std::string(op) + ": dimension " + std::to_string(d) + " repeated");
    p.reduced[w] = true;
  }
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (p.reduced[d]) {
      p.group_size *= x.shape()[d];
      p.kept_shape.push_back(1);
      if (keepdim) p.out_shape.push_back(1);
    } else {
      p.groups *= x.shape()[d];
      p.kept_shape.push_back(x.shape()[d]);
      p.out_shape.push_back(x.shape()[d]);
    }
  }
  return p;
}

// x rearranged as a contiguous (groups, group_size) matrix: kept dims first, reduced last.
Tensor as_groups(const Tensor& x, const Plan& p) {
  Shape order;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!p.reduced[d]) order.push_back(d);
  for (int64_t d = 0; d < x.dim(); ++d)
    if (p.reduced[d]) order.push_back(d);
  NoGradGuard no_grad;
  return contiguous(permute(x, order)).detach();
}

// True when the reduced dims are exactly the leading ones of a contiguous x: then the sum is a
// column sum over a (group_size, groups) matrix and needs no copy.
bool reduces_leading(const Tensor& x, const Plan& p) {
  if (!x.is_contiguous()) return false;
  bool seen_kept = false;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (!p.reduced[d])
      seen_kept = true;
    else if (seen_kept && x.shape()[d] != 1)
      return false;
  }
  return true;
}

Tensor sum_kernel(const Tensor& x, const Plan& p) {
  if (x.dtype() != DType::F32) throw Error("sum: expects float32");
  Tensor out = Tensor::empty(p.out_shape);
  float* o = out.data<float>();
  const int64_t G = p.groups, R = p.group_size;
  if (reduces_leading(x, p) && G > 1) {
    // out[g] = Σ_r x[r, g]: rows added in order, columns in parallel blocks.
    const float* in = x.data<float>();
    constexpr int64_t kBlock = 256;
    const int64_t blocks = (G + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (G * R >= kParallelGrain)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t s = b * kBlock, e = std::min(G, s + kBlock);
      for (int64_t g = s; g < e; ++g) o[g] = 0.0f;
      for (int64_t r = 0; r < R; ++r) {
        const float* row = in + r * G;
        for (int64_t g = s; g < e; ++g) o[g] += row[g];
      }
    }
    return out;
  }
  Tensor m = as_groups(x, p);
  const float* in = m.data<float>();
#pragma omp parallel for schedule(static) if (G * R >= kParallelGrain && G > 1)
  for (int64_t g = 0; g < G; ++g) o[g] = row_sum(in + g * R, R);
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  Plan p = make_plan(x, std::move(dims), keepdim, "sum");
  Tensor out = sum_kernel(x, p);
  Shape in_shape = x.shape(), kept = p.kept_shape;
  return record(out, "sum", {x}, [in_shape, kept](const Tensor& g) -> std::vector<Tensor> {
    return {contiguous(expand(reshape(g, kept), in_shape))};
  });
}

Tensor sum(const Tensor& x) {
  return sum(x, {}, false);
}

Tensor mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  Plan p = make_plan(x, dims, keepdim, "mean");
  return mul(sum(x, std::move(dims), keepdim),
             1.0f / static_cast<float>(std::max<int64_t>(p.group_size, 1)));
}

Tensor mean(const Tensor& x) {
  return mean(x, {}, false);
}

Tensor max(const Tensor& x, std::vector<int64_t> dims, bool keepdim) {
  Plan p = make_plan(x, std::move(dims), keepdim, "max");
  if (x.dtype() != DType::F32) throw Error("max: expects float32");
  if (p.group_size == 0)
    throw Error("max: reduction over an empty dimension of " + shape_str(x.shape()));
  Tensor m = as_groups(x, p);
  const int64_t G = p.groups, R = p.group_size;
  Tensor out = Tensor::empty(p.out_shape);
  auto argmax = std::make_shared<std::vector<int64_t>>(G);
  const float* in = m.data<float>();
  float* o = out.data<float>();
  for (int64_t g = 0; g < G; ++g) {
    const float* row = in + g * R;
    int64_t best = 0;
    for (int64_t r = 1; r < R; ++r)
      if (row[r] > row[best] || (row[r] != row[r] && row[best] == row[best])) best = r;  // NaN wins
    (*argmax)[g] = best;
    o[g] = row[best];
  }
  // Backward: scatter into the (groups, group_size) layout, then undo the permutation.
  Shape permuted_shape, inverse(x.dim());
  {
    Shape order;
    for (int64_t d = 0; d < x.dim(); ++d)
      if (!p.reduced[d]) order.push_back(d);
    for (int64_t d = 0; d < x.dim(); ++d)
      if (p.reduced[d]) order.push_back(d);
    for (std::size_t i = 0; i < order.size(); ++i) {
      permuted_shape.push_back(x.shape()[order[i]]);
      inverse[order[i]] = static_cast<int64_t>(i);
    }
  }
  return record(out, "max", {x},
                [argmax, G, R, permuted_shape, inverse](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gc = contiguous(g);
                  Tensor gm = Tensor::zeros({G, R});
                  const float* gp = gc.data<float>();
                  float* d = gm.data<float>();
                  for (int64_t i = 0; i < G; ++i) d[i * R + (*argmax)[i]] = gp[i];
                  return {contiguous(permute(reshape(gm, permuted_shape), inverse))};
                });
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  if (shape.size() > g.shape().size())
    throw Error("sum_to: cannot reduce " + shape_str(g.shape()) + " to " + shape_str(shape));
  const std::size_t lead = g.shape().size() - shape.size();
  std::vector<int64_t> dims;
  for (std::size_t d = 0; d < g.shape().size(); ++d) {
    if (d < lead) {
      dims.push_back(static_cast<int64_t>(d));
    } else if (shape[d - lead] == 1 && g.shape()[d] != 1) {
      dims.push_back(static_cast<int64_t>(d));
    } else if (shape[d - lead] != g.shape()[d]) {
      throw Error("sum_to: cannot reduce " + shape_str(g.shape()) + " to " + shape_str(shape));
    }
  }
  if (dims.empty()) return reshape(g, shape);
  return reshape(sum(g, dims, true), shape);
}

}  // namespace heed
