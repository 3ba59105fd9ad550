#include "framework/ops/matmul.h"

#include "framework/autograd.h"
#include "framework/dnnl_matmul.h"
#include "framework/ops/iter.h"
#include "framework/ops/reduce.h"
#include "framework/ops/shape.h"

namespace heed {
namespace {

Tensor mt(const Tensor& t) {
  return transpose(t, -1, -2);
}

// Raw product without autograd: a (..., M, K) @ b (..., K, N), shapes already checked.
Tensor product(Tensor a, Tensor b, const Tensor& bias = Tensor(), float scale = 1.0f) {
  if (!dnnl_matmul_layout_ok(a)) a = a.clone();
  if (!dnnl_matmul_layout_ok(b)) b = b.clone();
  // b 2-D and a's leading dims collapsible: one (rows, K) @ (K, N) product.
  if (b.dim() == 2 && a.dim() > 2 && a.is_contiguous()) {
    Shape out_shape = a.shape();
    out_shape.back() = b.shape()[1];
    Tensor a2 = a.detach().view({-1, a.shape().back()});
    Tensor c = Tensor::empty({a2.shape()[0], b.shape()[1]});
    if (c.numel() > 0) dnnl_matmul(a2, b, bias, c, scale);
    return c.view(out_shape).detach();
  }
  // Same rank for oneDNN: pad the smaller rank with leading 1s.
  while (a.dim() < b.dim()) a = a.detach().unsqueeze(0);
  while (b.dim() < a.dim()) b = b.detach().unsqueeze(0);
  Shape out_shape(a.dim());
  for (int64_t d = 0; d < a.dim() - 2; ++d) out_shape[d] = std::max(a.shape()[d], b.shape()[d]);
  out_shape[a.dim() - 2] = a.shape()[a.dim() - 2];
  out_shape[a.dim() - 1] = b.shape()[b.dim() - 1];
  Tensor c = Tensor::empty(out_shape);
  if (c.numel() > 0) dnnl_matmul(a, b, bias, c, scale);
  return c;
}

void check_matmul(const Tensor& a, const Tensor& b) {
  if (a.dtype() != DType::F32 || b.dtype() != DType::F32)
    throw Error("matmul: expects float32 inputs");
  if (a.dim() < 2 || b.dim() < 2 || a.shape().back() != b.shape()[b.dim() - 2])
    throw Error("matmul: shapes " + shape_str(a.shape()) + " and " + shape_str(b.shape()) +
                " do not fit (..., M, K) @ (..., K, N)");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  broadcast_shapes(ba, bb, "matmul (batch dims)");
  if (std::max(a.dim(), b.dim()) > 6) throw Error("matmul: at most 6 dimensions");
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matmul(a, b);
  Tensor out = product(a.detach(), b.detach());
  return record(out, "matmul", {a, b}, [a, b](const Tensor& g) -> std::vector<Tensor> {
    Tensor ga, gb;
    Tensor ad = a.detach(), bd = b.detach();
    if (a.requires_grad()) ga = sum_to(product(g, mt(bd)), a.shape());
    if (b.requires_grad()) {
      if (b.dim() == 2 && a.dim() > 2) {
        // Weight shared across the batch: one (K, rows) @ (rows, N) product.
        Tensor a2 = reshape(ad, {-1, a.shape().back()});
        Tensor g2 = reshape(g, {-1, g.shape().back()});
        gb = product(mt(a2), g2);
      } else {
        gb = sum_to(product(mt(ad), g), b.shape());
      }
    }
    return {ga, gb};
  });
}

Tensor matmul_nograd(const Tensor& a, const Tensor& b, float scale) {
  check_matmul(a, b);
  return product(a.detach(), b.detach(), Tensor(), scale);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  if (weight.dim() != 2 || x.dim() < 1 || x.shape().back() != weight.shape()[1])
    throw Error("linear: input " + shape_str(x.shape()) + " and weight " +
                shape_str(weight.shape()) + " do not fit (..., K) and (N, K)");
  if (bias.defined() && (bias.dim() != 1 || bias.shape()[0] != weight.shape()[0]))
    throw Error("linear: bias " + shape_str(bias.shape()) + " for weight " +
                shape_str(weight.shape()));
  Shape out_shape = x.shape();
  out_shape.back() = weight.shape()[0];
  Tensor x2 = contiguous(x.detach()).view({-1, x.shape().back()});
  Tensor out =
      product(x2, mt(weight.detach()), bias.defined() ? bias.detach() : Tensor()).view(out_shape);
  Shape x_shape = x.shape();
  std::vector<Tensor> inputs = {x, weight};
  if (bias.defined()) inputs.push_back(bias);
  return record(out, "linear", inputs,
                [x, x2, weight, bias](const Tensor& g) -> std::vector<Tensor> {
                  Tensor g2 = contiguous(g).view({-1, g.shape().back()});
                  Tensor gx, gw, gb;
                  if (x.requires_grad())
                    gx = product(g2, weight.detach()).view(x.shape());   // (M,N)@(N,K)
                  if (weight.requires_grad()) gw = product(mt(g2), x2);  // (N,M)@(M,K)
                  if (bias.defined() && bias.requires_grad()) gb = sum(g2, {0});
                  return {gx, gw, gb};
                });
}

}  // namespace heed
