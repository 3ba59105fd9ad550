// Helpers shared by the models/ tests: small model configs, the attention core in use.
#pragma once

#include <cstdint>

#include "models/attention/attention.h"

namespace heed::testing {

// A model's width: the fields that every model config (and LayerConfig) names alike.
struct Width {
  int64_t d_model, heads, d_ff;
  float dropout = 0.0f;
};

// Sets c's width; its other fields keep their values.
template <typename Config>
void set_width(Config& c, const Width& w) {
  c.d_model = w.d_model;
  c.heads = w.heads;
  c.d_ff = w.d_ff;
  c.dropout = w.dropout;
}

// A Config of `vocab` tokens and width `w`, its other fields at their defaults.
template <typename Config>
Config sized(int64_t vocab, const Width& w) {
  Config c;
  c.vocab = vocab;
  set_width(c, w);
  return c;
}

// While alive, the skeleton's variants take the unfused attention core up to `keys` keys (0: the
// tiled core at every length); restores the previous limit.
class UnfusedMaxKeys {
 public:
  explicit UnfusedMaxKeys(int64_t keys) : previous_(unfused_attention_max_keys()) {
    set_unfused_attention_max_keys(keys);
  }
  ~UnfusedMaxKeys() { set_unfused_attention_max_keys(previous_); }
  UnfusedMaxKeys(const UnfusedMaxKeys&) = delete;
  UnfusedMaxKeys& operator=(const UnfusedMaxKeys&) = delete;

 private:
  int64_t previous_;
};

}  // namespace heed::testing
