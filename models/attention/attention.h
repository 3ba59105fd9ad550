// The attention interface every variant implements, and the registry that creates variants by
// name. A new variant is one file: a class deriving from Attention and one registration line,
//
//   HEED_REGISTER_ATTENTION(alibi, "ALiBi: a per-head linear distance penalty", AlibiAttention);
//
// after which `make_attention("alibi", options)` creates it, the generic tests check it and
// YAML selects it with `model: {attention: {type: alibi}}`.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "framework/nn/module.h"
#include "framework/options.h"
#include "framework/tensor.h"

namespace heed {

struct TreeBatch;  // datasets/tree_batch.h: tree variants read it, nothing here needs its layout

// What a variant can do; the generic tests and the models respect it.
struct AttentionCapabilities {
  bool returns_weights = true;  // can hand back (B, H, Tq, Tk) weights
  bool causal = true;           // honours AttentionContext::causal
  bool cross = true;            // queries and keys may come from different sequences
  bool kv_cache = false;        // supports incremental decoding through AttentionContext::cache
  bool needs_tree = false;      // requires AttentionContext::tree
  bool key_padding = true;      // honours AttentionContext::key_padding
};

// Keys and values projected so far, per layer, for incremental decoding: (B, H, T, D) each.
struct KVCache {
  Tensor k, v;
  int64_t length() const { return k.defined() ? k.size(2) : 0; }
};

struct AttentionContext {
  Tensor key_padding;  // (B, Tk), nonzero marks a padded key that no query may see
  // Query i sees keys j <= i + (Tk − Tq): the queries are the last Tq positions of the Tk keys
  // (with a KV cache Tk = query_offset + Tq, so this is j <= query_offset + i).
  bool causal = false;
  int64_t query_offset = 0;  // absolute position of the first query (incremental decoding)
  bool need_weights = false;
  KVCache* cache = nullptr;  // when set: append this call's keys/values, attend over all of them
  const TreeBatch* tree = nullptr;  // the batch's trees, for needs_tree variants
};

struct AttentionOutput {
  Tensor out;      // (B, Tq, C)
  Tensor weights;  // (B, H, Tq, Tk) when asked for and supported; no autograd
};

// What every variant is built from; variant-specific options come in `extra`.
struct AttentionConfig {
  int64_t d_model = 0;
  int64_t heads = 1;
  float dropout = 0.0f;  // on the attention weights, in training mode
  Options extra;
};

class Attention : public Module {
 public:
  // query: (B, Tq, C), key and value: (B, Tk, C). For self-attention pass the same tensor thrice.
  virtual AttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                  const AttentionContext& ctx) = 0;
  virtual AttentionCapabilities capabilities() const = 0;
};

using AttentionFactory = std::function<std::shared_ptr<Attention>(const AttentionConfig&)>;

struct AttentionVariant {
  std::string name;
  std::string description;
  AttentionFactory create;
};

// Creates a registered variant; an unknown name or option is an error listing what exists.
std::shared_ptr<Attention> make_attention(const std::string& name, const AttentionConfig& config);
// All registered variants, sorted by name.
std::vector<AttentionVariant> attention_variants();
bool register_attention(AttentionVariant variant);

// Checks shared by variants: C divisible by heads, (B, T, C) inputs, etc. `who` names the variant.
void check_attention_config(const AttentionConfig& config, const char* who);
void check_attention_inputs(const Tensor& query, const Tensor& key, const Tensor& value,
                            int64_t d_model, const char* who);

// The additive mask (B or 1, 1, Tq, Tk) that ctx's causal flag and key padding imply, or an
// undefined tensor when nothing is hidden.
Tensor attention_mask(const AttentionContext& ctx, int64_t batch, int64_t tq, int64_t tk);
// Its key padding part alone: (B, 1, 1, Tk), or undefined without key padding.
Tensor padding_mask(const AttentionContext& ctx, int64_t batch, int64_t tk);
// `mask` (undefined: nothing hidden) plus ctx's causal rule for tq queries and tk keys, when
// ctx is causal.
Tensor with_causal_rule(const Tensor& mask, const AttentionContext& ctx, int64_t tq, int64_t tk);

// The variants on the shared core (AttentionSkeleton's default attend) take the unfused core
// for at most this many keys and the tiled one (flash_attention) above; default 128, where the
// tiled one starts to be faster. Process-wide, for benchmarks and tests that compare the paths.
void set_unfused_attention_max_keys(int64_t keys);
int64_t unfused_attention_max_keys();

}  // namespace heed

#define HEED_REGISTER_ATTENTION(NAME, DESCRIPTION, CLASS)                           \
  static const bool heed_attention_registered_##NAME = ::heed::register_attention(  \
      {#NAME, DESCRIPTION,                                                          \
       [](const ::heed::AttentionConfig& c) -> std::shared_ptr<::heed::Attention> { \
         return std::make_shared<CLASS>(c);                                         \
       }})
