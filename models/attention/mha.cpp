// mha: scaled dot-product multi-head attention with torch.nn.MultiheadAttention's parameters
// (packed in_proj_weight (3C, C), in_proj_bias (3C), out_proj.weight/bias) and semantics: the
// skeleton with nothing overridden.
#include "models/attention/skeleton.h"

namespace heed {
namespace {

class MultiheadAttention final : public PackedAttention {
 public:
  explicit MultiheadAttention(const AttentionConfig& c) : PackedAttention(c, "mha") {}
};

}  // namespace

HEED_REGISTER_ATTENTION(mha,
                        "scaled dot-product multi-head attention (torch.nn.MultiheadAttention)",
                        MultiheadAttention);

}  // namespace heed
