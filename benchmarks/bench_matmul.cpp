// Matmul throughput: heed's differentiable op (autograd bookkeeping, primitive cache, tensor
// allocation included) beside the raw oneDNN primitive executed on preallocated buffers, for the
// shapes a small transformer uses. Run: build/bin/bench_matmul --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true (see docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "framework/ops.h"
#include "framework/runtime.h"

namespace {

struct Shape3 {
  int64_t batch, m, k, n;
};

// Shapes: (batch, M, K, N). batch 1 means a plain 2-D product.
const Shape3 kShapes[] = {
    {1, 2048, 128, 128}, {1, 2048, 128, 512}, {1, 2048, 512, 128},   {1, 4096, 256, 256},
    {64, 32, 32, 32},    {32, 64, 64, 32},    {1, 1024, 1024, 1024},
};

double flops(const Shape3& s) {
  return 2.0 * s.batch * s.m * s.k * s.n;
}

heed::Shape dims_a(const Shape3& s) {
  return s.batch == 1 ? heed::Shape{s.m, s.k} : heed::Shape{s.batch, s.m, s.k};
}
heed::Shape dims_b(const Shape3& s) {
  return s.batch == 1 ? heed::Shape{s.k, s.n} : heed::Shape{s.batch, s.k, s.n};
}

void set_label(benchmark::State& state, const Shape3& s) {
  state.SetLabel((s.batch > 1 ? std::to_string(s.batch) + "x" : std::string()) +
                 std::to_string(s.m) + "x" + std::to_string(s.k) + "x" + std::to_string(s.n));
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops(s) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// heed::matmul with a parameter that requires grad, so the autograd node is recorded as in
// training (forward only: the product itself is what is compared).
void BM_heed_matmul(benchmark::State& state) {
  const Shape3 s = kShapes[state.range(0)];
  heed::Tensor a = heed::Tensor::randn(dims_a(s), 1);
  heed::Tensor b = heed::Tensor::randn(dims_b(s), 2).set_requires_grad();
  for (auto _ : state) {
    heed::Tensor c = heed::matmul(a, b);
    benchmark::DoNotOptimize(c.data<float>());
  }
  set_label(state, s);
}

// The same product straight on oneDNN: one primitive, buffers allocated once.
void BM_onednn_raw(benchmark::State& state) {
  const Shape3 s = kShapes[state.range(0)];
  using dt = dnnl::memory::data_type;
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  auto md = [](heed::Shape d) {
    return dnnl::memory::desc(
        dnnl::memory::dims(d.begin(), d.end()), dt::f32,
        d.size() == 2 ? dnnl::memory::format_tag::ab : dnnl::memory::format_tag::abc);
  };
  heed::Shape dc = s.batch == 1 ? heed::Shape{s.m, s.n} : heed::Shape{s.batch, s.m, s.n};
  auto a_md = md(dims_a(s)), b_md = md(dims_b(s)), c_md = md(dc);
  dnnl::matmul prim(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, b_md, c_md), eng));
  heed::Tensor a = heed::Tensor::randn(dims_a(s), 1), b = heed::Tensor::randn(dims_b(s), 2),
               c = heed::Tensor::empty(dc);
  dnnl::memory am(a_md, eng, a.data<float>()), bm(b_md, eng, b.data<float>()),
      cm(c_md, eng, c.data<float>());
  for (auto _ : state) {
    prim.execute(strm, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
    strm.wait();
  }
  set_label(state, s);
}

// A linear layer's weight gradient, gW = gᵀ·x with g (M, N) and x (M, K): the product's first
// operand is a transposed view (the summed dimension M is its rows). (N, M, K) as (m, k, n):
// copy-tiny's and sort-small's projections and feed-forward layers over 2048 rows.
const Shape3 kWeightGradShapes[] = {
    {1, 128, 2048, 128}, {1, 384, 2048, 128}, {1, 512, 2048, 128},  {1, 128, 2048, 512},
    {1, 256, 2048, 256}, {1, 768, 2048, 256}, {1, 1024, 2048, 256}, {1, 256, 2048, 1024},
};

// heed::matmul of gᵀ·x with gᵀ the transposed view linear's backward multiplies or, with
// `dense`, the same values already row-major (N, M): the rate if the transpose were free.
void time_weight_grad(benchmark::State& state, bool dense) {
  const Shape3 s = kWeightGradShapes[state.range(0)];
  const heed::Tensor g = heed::Tensor::randn({s.k, s.m}, 1);  // (M, N) of the layer
  const heed::Tensor gt =
      dense ? heed::contiguous(heed::transpose(g, 0, 1)) : heed::transpose(g, 0, 1);
  heed::Tensor x = heed::Tensor::randn({s.k, s.n}, 2).set_requires_grad();
  for (auto _ : state) {
    heed::Tensor c = heed::matmul(gt, x);
    benchmark::DoNotOptimize(c.data<float>());
  }
  set_label(state, s);
}

void BM_heed_matmul_transposed_a(benchmark::State& state) {
  time_weight_grad(state, false);
}

void BM_heed_matmul_dense_a(benchmark::State& state) {
  time_weight_grad(state, true);
}

// The dense copy alone: gᵀ made row-major (contiguous() of the transposed view), the cost a
// product on a dense copy would add.
void BM_transpose_copy(benchmark::State& state) {
  const Shape3 s = kWeightGradShapes[state.range(0)];
  heed::Tensor g = heed::Tensor::randn({s.k, s.m}, 1);
  for (auto _ : state) {
    heed::Tensor c = heed::contiguous(heed::transpose(g, 0, 1));
    benchmark::DoNotOptimize(c.data<float>());
  }
  state.SetLabel(std::to_string(s.m) + "x" + std::to_string(s.k));
  state.counters["GB/s"] =
      benchmark::Counter(2.0 * 4 * s.m * s.k * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void weight_grad_shapes(benchmark::internal::Benchmark* b) {
  for (int i = 0; i < static_cast<int>(std::size(kWeightGradShapes)); ++i) b->Arg(i);
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void all_shapes(benchmark::internal::Benchmark* b) {
  for (int i = 0; i < static_cast<int>(std::size(kShapes)); ++i) b->Arg(i);
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

BENCHMARK(BM_heed_matmul)->Apply(all_shapes);
BENCHMARK(BM_onednn_raw)->Apply(all_shapes);
BENCHMARK(BM_heed_matmul_transposed_a)->Apply(weight_grad_shapes);
BENCHMARK(BM_heed_matmul_dense_a)->Apply(weight_grad_shapes);
BENCHMARK(BM_transpose_copy)->Apply(weight_grad_shapes);

}  // namespace

int main(int argc, char** argv) {
  heed::set_num_threads(2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
