#include "models/step_model.h"

#include <string>

#include "framework/ops.h"

namespace heed {

const Tensor& TokenHistory::append(const Tensor& tokens) {
  tokens_ = tokens_.defined() ? concat({tokens_, tokens}, 1) : tokens;
  return tokens_;
}

void TokenHistory::reorder(const Tensor& rows) {
  if (tokens_.defined()) tokens_ = index_select(tokens_, 0, rows);
}

namespace stepping {

Tensor row_index(const std::vector<int64_t>& rows, int64_t current) {
  for (int64_t r : rows)
    if (r < 0 || r >= current)
      throw Error("reorder: row " + std::to_string(r) + " out of range for " +
                  std::to_string(current) + " rows");
  return Tensor::from_ints(rows, {static_cast<int64_t>(rows.size())});
}

void reorder_caches(std::vector<KVCache>& caches, const Tensor& index) {
  for (KVCache& c : caches) {
    if (!c.k.defined()) continue;
    c.k = index_select(c.k, 0, index);  // (R, H, T, D) -> (R', H, T, D)
    c.v = index_select(c.v, 0, index);
  }
}

void check_feed(const Tensor& tokens, int64_t rows, int64_t offset, int64_t fed, const char* who) {
  if (tokens.dim() != 2 || tokens.size(0) != rows || tokens.size(1) < 1)
    throw Error(std::string(who) + ": tokens " + shape_str(tokens.shape()) + " for " +
                std::to_string(rows) + " rows (call start() first)");
  if (offset != fed)
    throw Error(std::string(who) + ": offset " + std::to_string(offset) + " but " +
                std::to_string(fed) + " positions were fed");
}

Tensor last_position(const Tensor& logits) {
  return select(logits, 1, -1);
}

}  // namespace stepping

}  // namespace heed
