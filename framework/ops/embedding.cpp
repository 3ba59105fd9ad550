#include "framework/ops/embedding.h"

#include <cstring>

#include "framework/autograd.h"
#include "framework/ops/shape.h"

namespace heed {

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  if (weight.dim() != 2 || weight.dtype() != DType::F32)
    throw Error("embedding: weight must be float32 (V, C), got " + shape_str(weight.shape()));
  if (ids.dtype() == DType::F32) throw Error("embedding: ids must be int32 or int64");
  const int64_t V = weight.shape()[0], C = weight.shape()[1];
  std::vector<int64_t> idv = ids.to_ints();
  for (int64_t id : idv)
    if (id < 0 || id >= V)
      throw Error("embedding: token id " + std::to_string(id) +
                  " out of range for a vocabulary of " + std::to_string(V));
  Shape out_shape = ids.shape();
  out_shape.push_back(C);
  Tensor w = contiguous(weight.detach());
  Tensor out = Tensor::empty(out_shape);
  const float* wp = w.data<float>();
  float* o = out.data<float>();
  const int64_t n = static_cast<int64_t>(idv.size());
#pragma omp parallel for schedule(static) if (n * C >= 65536)
  for (int64_t i = 0; i < n; ++i) std::memcpy(o + i * C, wp + idv[i] * C, C * sizeof(float));
  auto shared_ids = std::make_shared<std::vector<int64_t>>(std::move(idv));
  return record(out, "embedding", {weight},
                [shared_ids, V, C](const Tensor& g) -> std::vector<Tensor> {
                  Tensor gc = contiguous(g);
                  Tensor gw = Tensor::zeros({V, C});
                  const float* gp = gc.data<float>();
                  float* d = gw.data<float>();
                  const std::vector<int64_t>& idv = *shared_ids;
                  for (std::size_t i = 0; i < idv.size(); ++i) {
                    float* row = d + idv[i] * C;
                    const float* src = gp + i * C;
                    for (int64_t c = 0; c < C; ++c) row[c] += src[c];
                  }
                  return {gw};
                });
}

}  // namespace heed
