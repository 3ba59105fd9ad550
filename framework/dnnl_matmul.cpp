#include "framework/dnnl_matmul.h"

#include <omp.h>
#include <cstring>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <utility>

#include "framework/profile.h"
#include "framework/runtime.h"

namespace heed {
namespace {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream stream(cpu_engine());
  return stream;
}

struct Cached {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, c, bias;
};

struct Cache {
  std::mutex mutex;
  std::map<std::vector<int64_t>, Cached> entries;
};

Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

dnnl::memory::desc desc_of(const Tensor& t) {
  return dnnl::memory::desc(dnnl::memory::dims(t.shape().begin(), t.shape().end()),
                            dnnl::memory::data_type::f32,
                            dnnl::memory::dims(t.strides().begin(), t.strides().end()));
}

// Strides of dims of size 1 do not matter; normalizing them keeps the cache key stable.
void append_layout(std::vector<int64_t>& key, const Tensor& t) {
  for (std::size_t d = 0; d < t.shape().size(); ++d) {
    key.push_back(t.shape()[d]);
    key.push_back(t.shape()[d] == 1 ? 0 : t.strides()[d]);
  }
}

}  // namespace

bool dnnl_matmul_layout_ok(const Tensor& t) {
  if (t.dim() < 2) return false;
  const int64_t r = t.dim() - 2, c = t.dim() - 1;
  const int64_t rows = t.shape()[r], cols = t.shape()[c];
  const int64_t sr = t.strides()[r], sc = t.strides()[c];
  bool row_major = (sc == 1 || cols == 1) && (sr >= cols || rows == 1);
  bool col_major = (sr == 1 || rows == 1) && (sc >= rows || cols == 1);
  if (!row_major && !col_major) return false;
  for (int64_t d = 0; d < r; ++d)
    if (t.shape()[d] != 1 && t.strides()[d] == 0) return false;
  return true;
}

void dnnl_matmul(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c,
                 float scale) {
  // oneDNN 2.x and 3.x order a scale and a bias differently; nothing needs both, so allow one.
  if (scale != 1.0f && bias.defined()) throw Error("matmul: a scaled product takes no bias");
  count_flops(2.0 * static_cast<double>(c.numel()) * static_cast<double>(a.shape().back()));
  std::vector<int64_t> key;
  key.reserve(32);
  key.push_back(a.dim());
  append_layout(key, a);
  append_layout(key, b);
  append_layout(key, c);
  key.push_back(bias.defined() ? 1 : 0);
  uint32_t scale_bits;
  std::memcpy(&scale_bits, &scale, sizeof scale_bits);
  key.push_back(scale_bits);

  Cache& cc = cache();
  std::unique_lock<std::mutex> lock(cc.mutex);
  auto it = cc.entries.find(key);
  if (it == cc.entries.end()) {
    Cached entry;
    entry.a = desc_of(a);
    entry.b = desc_of(b);
    entry.c = desc_of(c);
    if (bias.defined()) {
      dnnl::memory::dims bd(c.dim(), 1);
      bd.back() = c.shape().back();
      Shape bs = contiguous_strides(Shape(bd.begin(), bd.end()));
      entry.bias = dnnl::memory::desc(bd, dnnl::memory::data_type::f32,
                                      dnnl::memory::dims(bs.begin(), bs.end()));
    }
    try {
      dnnl::matmul::desc d = bias.defined()
                                 ? dnnl::matmul::desc(entry.a, entry.b, entry.bias, entry.c)
                                 : dnnl::matmul::desc(entry.a, entry.b, entry.c);
      dnnl::primitive_attr attr;
      if (scale != 1.0f) attr.set_output_scales(0, {scale});
      entry.primitive = dnnl::matmul(dnnl::matmul::primitive_desc(d, attr, cpu_engine()));
    } catch (const dnnl::error& e) {
      throw Error("matmul: oneDNN rejected a " + shape_str(a.shape()) + " @ " +
                  shape_str(b.shape()) + " product (strides " + shape_str(a.strides()) + ", " +
                  shape_str(b.strides()) + "): " + e.what());
    }
    it = cc.entries.emplace(std::move(key), std::move(entry)).first;
  }
  Cached& e = it->second;
  lock.unlock();
  dnnl::engine& eng = cpu_engine();
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, dnnl::memory(e.a, eng, a.data<float>())},
      {DNNL_ARG_WEIGHTS, dnnl::memory(e.b, eng, b.data<float>())},
      {DNNL_ARG_DST, dnnl::memory(e.c, eng, c.data<float>())}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, dnnl::memory(e.bias, eng, bias.data<float>()));
  e.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void dnnl_clear_cache() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  cache().entries.clear();
}

std::size_t dnnl_cache_size() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cache().entries.size();
}

void set_num_threads(int n) {
  if (n <= 0) n = omp_get_num_procs();
  omp_set_num_threads(n);
  dnnl_clear_cache();
}

int num_threads() {
  return omp_get_max_threads();
}

namespace {

// The name of the instruction set oneDNN dispatches to, "other" for those not listed.
const char* isa_name(dnnl::cpu_isa isa) {
  using I = dnnl::cpu_isa;
  static constexpr std::pair<I, const char*> kNames[] = {
      {I::avx512_core_amx, "avx512_core_amx"},
      {I::avx512_core_bf16, "avx512_core_bf16"},
      {I::avx512_core_vnni, "avx512_core_vnni"},
      {I::avx512_core, "avx512_core"},
      {I::avx2_vnni, "avx2_vnni"},
      {I::avx2, "avx2"},
      {I::avx, "avx"},
      {I::sse41, "sse41"},
  };
  for (const auto& [i, name] : kNames)
    if (i == isa) return name;
  return "other";
}

}  // namespace

const char* onednn_info() {
  static std::string info = [] {
    const dnnl_version_t* v = dnnl_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->patch) + " (" + isa_name(dnnl::get_effective_cpu_isa()) + ")";
  }();
  return info.c_str();
}

}  // namespace heed
