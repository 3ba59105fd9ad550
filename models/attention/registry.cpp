#include <algorithm>
#include <map>

#include "framework/ops.h"
#include "framework/registry.h"
#include "framework/text.h"
#include "models/attention/attention.h"

namespace heed {

using Variants = Registry<AttentionVariant>;

bool register_attention(AttentionVariant variant) {
  const std::string name = variant.name;
  return Variants::add("attention variant", name, std::move(variant));
}

std::vector<AttentionVariant> attention_variants() {
  std::vector<AttentionVariant> out;
  for (const AttentionVariant* v : Variants::all()) out.push_back(*v);
  return out;
}

std::shared_ptr<Attention> make_attention(const std::string& name, const AttentionConfig& config) {
  const AttentionVariant* variant = Variants::find(name);
  if (!variant)
    throw Error("unknown attention type '" + name + "' (registered: " + join(Variants::names()) +
                ")");
  AttentionConfig c = config;
  c.extra.set_owner("attention '" + name + "'");
  std::shared_ptr<Attention> a = variant->create(c);
  c.extra.check_all_used();
  return a;
}

void check_attention_config(const AttentionConfig& c, const char* who) {
  if (c.d_model <= 0 || c.heads <= 0)
    throw Error(std::string(who) + ": d_model and heads must be positive (d_model " +
                std::to_string(c.d_model) + ", heads " + std::to_string(c.heads) + ")");
  if (c.d_model % c.heads != 0)
    throw Error(std::string(who) + ": d_model " + std::to_string(c.d_model) +
                " is not divisible by heads " + std::to_string(c.heads));
  if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
    throw Error(std::string(who) + ": dropout must be in [0, 1), got " + std::to_string(c.dropout));
}

void check_attention_inputs(const Tensor& q, const Tensor& k, const Tensor& v, int64_t d_model,
                            const char* who) {
  auto bad = [&](const std::string& why) {
    throw Error(std::string(who) + ": " + why + " (query " + shape_str(q.shape()) + ", key " +
                shape_str(k.shape()) + ", value " + shape_str(v.shape()) + ", d_model " +
                std::to_string(d_model) + ")");
  };
  if (q.dim() != 3 || k.dim() != 3 || v.dim() != 3) bad("inputs must be (B, T, C)");
  if (q.size(2) != d_model || k.size(2) != d_model || v.size(2) != d_model)
    bad("feature size is not d_model");
  if (q.size(0) != k.size(0) || k.size(0) != v.size(0)) bad("batch sizes differ");
  if (k.size(1) != v.size(1)) bad("key and value lengths differ");
}

Tensor padding_mask(const AttentionContext& ctx, int64_t batch, int64_t tk) {
  if (!ctx.key_padding.defined()) return Tensor();
  if (ctx.key_padding.dim() != 2 || ctx.key_padding.size(0) != batch ||
      ctx.key_padding.size(1) != tk)
    throw Error("attention: key_padding " + shape_str(ctx.key_padding.shape()) +
                " does not match (batch " + std::to_string(batch) + ", keys " + std::to_string(tk) +
                ")");
  return key_padding_mask(ctx.key_padding);  // (B, 1, 1, Tk)
}

Tensor with_causal_rule(const Tensor& mask, const AttentionContext& ctx, int64_t tq, int64_t tk) {
  if (!ctx.causal) return mask;
  Tensor causal = causal_mask(tq, tk);  // with a cache, tk = query_offset + tq
  NoGradGuard no_grad;
  return mask.defined() ? add(mask, causal) : causal;
}

Tensor attention_mask(const AttentionContext& ctx, int64_t batch, int64_t tq, int64_t tk) {
  return with_causal_rule(padding_mask(ctx, batch, tk), ctx, tq, tk);
}

}  // namespace heed
