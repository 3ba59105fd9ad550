// Helpers shared by the models/ tests: small model configs.
#pragma once

#include <cstdint>

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

}  // namespace heed::testing
