#include "framework/dnnl_matmul.h"

#include <omp.h>
#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <utility>

#include "framework/allocator.h"
#include "framework/precision.h"
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

using DataType = dnnl::memory::data_type;

// A product's operand as oneDNN reads it: the logical shape, the strides of its buffer, the
// element type and the data.
struct Operand {
  Shape shape, strides;
  DataType type = DataType::f32;
  const void* data = nullptr;
};

Operand operand_of(const Tensor& t) {
  return {t.shape(), t.strides(), DataType::f32, t.data<float>()};
}

dnnl::memory::desc desc_of(const Operand& o) {
  return dnnl::memory::desc(dnnl::memory::dims(o.shape.begin(), o.shape.end()), o.type,
                            dnnl::memory::dims(o.strides.begin(), o.strides.end()));
}

// Strides of dims of size 1 do not matter; normalizing them keeps the cache key stable.
void append_layout(std::vector<int64_t>& key, const Operand& o) {
  key.push_back(static_cast<int64_t>(o.type));
  for (std::size_t d = 0; d < o.shape.size(); ++d) {
    key.push_back(o.shape[d]);
    key.push_back(o.shape[d] == 1 ? 0 : o.strides[d]);
  }
}

// The cached primitive for c = a @ b (+ bias) · scale with these layouts, created on first use;
// throws dnnl::error when oneDNN has no kernel for them.
Cached& primitive_for(const Operand& a, const Operand& b, const Operand& c, bool bias,
                      float scale) {
  std::vector<int64_t> key;
  key.reserve(40);
  key.push_back(static_cast<int64_t>(a.shape.size()));
  append_layout(key, a);
  append_layout(key, b);
  append_layout(key, c);
  key.push_back(bias ? 1 : 0);
  uint32_t scale_bits;
  std::memcpy(&scale_bits, &scale, sizeof scale_bits);
  key.push_back(scale_bits);

  Cache& cc = cache();
  std::lock_guard<std::mutex> lock(cc.mutex);
  auto it = cc.entries.find(key);
  if (it != cc.entries.end()) return it->second;  // std::map: references stay valid
  Cached entry;
  entry.a = desc_of(a);
  entry.b = desc_of(b);
  entry.c = desc_of(c);
  if (bias) {
    dnnl::memory::dims bd(c.shape.size(), 1);
    bd.back() = c.shape.back();
    Shape bs = contiguous_strides(Shape(bd.begin(), bd.end()));
    entry.bias = dnnl::memory::desc(bd, DataType::f32, dnnl::memory::dims(bs.begin(), bs.end()));
  }
  dnnl::matmul::desc d = bias ? dnnl::matmul::desc(entry.a, entry.b, entry.bias, entry.c)
                              : dnnl::matmul::desc(entry.a, entry.b, entry.c);
  dnnl::primitive_attr attr;
  if (scale != 1.0f) attr.set_output_scales(0, {scale});
  entry.primitive = dnnl::matmul(dnnl::matmul::primitive_desc(d, attr, cpu_engine()));
  return cc.entries.emplace(std::move(key), std::move(entry)).first->second;
}

void execute(Cached& e, const Operand& a, const Operand& b, const Tensor& bias, const Tensor& c) {
  dnnl::engine& eng = cpu_engine();
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, dnnl::memory(e.a, eng, const_cast<void*>(a.data))},
      {DNNL_ARG_WEIGHTS, dnnl::memory(e.b, eng, const_cast<void*>(b.data))},
      {DNNL_ARG_DST, dnnl::memory(e.c, eng, c.data<float>())}};
  if (bias.defined()) args.emplace(DNNL_ARG_BIAS, dnnl::memory(e.bias, eng, bias.data<float>()));
  e.primitive.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void fp32_matmul(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c,
                 float scale) {
  const Operand oa = operand_of(a), ob = operand_of(b);
  Cached* e = nullptr;
  try {
    e = &primitive_for(oa, ob, operand_of(c), bias.defined(), scale);
  } catch (const dnnl::error& err) {
    throw Error("matmul: oneDNN rejected a " + shape_str(a.shape()) + " @ " + shape_str(b.shape()) +
                " product (strides " + shape_str(a.strides()) + ", " + shape_str(b.strides()) +
                "): " + err.what());
  }
  execute(*e, oa, ob, bias, c);
}

// t itself when its elements fill one dense block, row- or column-major in the last two dims
// (a transposed weight is column-major), else a row-major copy. Converting such a block
// element by element keeps t's strides valid for the result.
Tensor dense_block(const Tensor& t) {
  if (t.is_contiguous() || t.transpose(-1, -2).is_contiguous()) return t;
  return t.clone();
}

// t's values rounded to bf16, kept as fp32, in a tensor with t's dense layout.
Tensor rounded_to_bf16(const Tensor& t) {
  const Tensor d = dense_block(t);
  Tensor r;
  if (d.is_contiguous()) {
    r = Tensor::empty(d.shape());
  } else {
    Shape swapped = d.shape();
    std::swap(swapped[swapped.size() - 1], swapped[swapped.size() - 2]);
    r = Tensor::empty(swapped).transpose(-1, -2);
  }
  round_to_bf16(d.data<float>(), r.data<float>(), d.numel());
  return r;
}

// bf16 mode: both operands converted to bf16 buffers for oneDNN's bf16 kernels, fp32 output.
// Without a kernel for this CPU or layout, the emulation: the operands rounded to bf16 values
// in fp32 buffers, an fp32 product.
void bf16_matmul(const Tensor& a, const Tensor& b, const Tensor& bias, const Tensor& c,
                 float scale) {
  if (bf16_native()) {
    const Tensor da = dense_block(a), db = dense_block(b);
    Buffer<uint16_t> ba(da.numel()), bb(db.numel());
    const Operand oa{da.shape(), da.strides(), DataType::bf16, ba.data()};
    const Operand ob{db.shape(), db.strides(), DataType::bf16, bb.data()};
    Cached* e = nullptr;
    try {
      e = &primitive_for(oa, ob, operand_of(c), bias.defined(), scale);
    } catch (const dnnl::error&) {
    }
    if (e) {
      convert_to_bf16(da.data<float>(), ba.data(), da.numel());
      convert_to_bf16(db.data<float>(), bb.data(), db.numel());
      execute(*e, oa, ob, bias, c);
      return;
    }
  }
  fp32_matmul(rounded_to_bf16(a), rounded_to_bf16(b), bias, c, scale);
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
  if (matmul_precision() == Precision::kBf16)
    bf16_matmul(a, b, bias, c, scale);
  else
    fp32_matmul(a, b, bias, c, scale);
}

bool bf16_native() {
  static const bool native = [] {
    try {
      const dnnl::memory::dims dims = {16, 16}, strides = {16, 1};
      dnnl::memory::desc in(dims, DataType::bf16, strides), out(dims, DataType::f32, strides);
      dnnl::matmul::primitive_desc(dnnl::matmul::desc(in, in, out), cpu_engine());
      return true;
    } catch (const dnnl::error&) {
      return false;
    }
  }();
  return native;
}

std::string bf16_info() {
  return bf16_native() ? "native (oneDNN bf16 kernels)"
                       : "emulated (oneDNN has no bf16 matmul for this CPU: operands rounded to "
                         "bf16, multiplied in fp32)";
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
