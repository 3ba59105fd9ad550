// tree_mask: scaled dot-product multi-head attention in which node i sees only the nodes whose
// tree relation to it is in a configured set. Option `relations`, comma-separated from self,
// parent, children, siblings, ancestors (all proper ancestors), descendants (all proper
// descendants), all; default "self,parent,children,siblings": each layer gathers from the
// node's immediate family, so L layers reach L edges away, as message passing over the tree
// does, and siblings let an argument see the other arguments of its operator. Self is in the
// default so that every real node has a key; a set without it can leave a row empty (a leaf
// with only "children"), and such a row attends to nothing: its output is out_proj's bias, the
// core's convention, never NaN.
//
// Queries and keys are the nodes of ctx.tree: Tq = Tk = N. Padded nodes
// (TreeBatch::node_pad) are hidden as keys and see nothing as queries; ctx.key_padding and
// ctx.causal (pre-order: a node sees only nodes before it) apply on top. Projections are mha's.
// All of it is TreeAttention's relation mask: this file only reads the option.
#include "models/attention/tree_attention.h"

namespace heed {
namespace {

class TreeMaskAttention final : public TreeAttention {
 public:
  explicit TreeMaskAttention(const AttentionConfig& c)
      : TreeAttention(
            c, "tree_mask",
            parse_tree_relations(c.extra.get_string("relations", "self,parent,children,siblings"),
                                 "tree_mask")) {}
};

}  // namespace

HEED_REGISTER_ATTENTION(tree_mask,
                        "attention restricted by tree relation (option relations: self, parent, "
                        "children, siblings, ancestors, descendants)",
                        TreeMaskAttention);

}  // namespace heed
