#include "models/step_model.h"

#include <string>

#include "framework/ops.h"

namespace heed {

Stepper::Stepper(Module& model, bool incremental, const char* name)
    : eval_(model), incremental_(incremental), name_(name) {}

void Stepper::restart() {
  history_ = Tensor();
  fed_ = 0;
}

const Tensor& Stepper::feed(const Tensor& tokens, int64_t rows, int64_t offset) {
  if (tokens.dim() != 2 || tokens.size(0) != rows || tokens.size(1) < 1)
    throw Error(std::string(name_) + ": tokens " + shape_str(tokens.shape()) + " for " +
                std::to_string(rows) + " rows (call start() first)");
  if (offset != fed_)
    throw Error(std::string(name_) + ": offset " + std::to_string(offset) + " but " +
                std::to_string(fed_) + " positions were fed");
  fed_ += tokens.size(1);
  if (incremental_) return tokens;
  history_ = history_.defined() ? concat({history_, tokens}, 1) : tokens;
  return history_;
}

Tensor Stepper::reorder_index(const std::vector<int64_t>& rows, int64_t current) {
  for (int64_t r : rows)
    if (r < 0 || r >= current)
      throw Error("reorder: row " + std::to_string(r) + " out of range for " +
                  std::to_string(current) + " rows");
  Tensor index = Tensor::from_ints(rows, {static_cast<int64_t>(rows.size())});
  if (history_.defined()) history_ = index_select(history_, 0, index);
  return index;
}

void reorder_caches(std::vector<KVCache>& caches, const Tensor& index) {
  for (KVCache& c : caches) {
    if (!c.k.defined()) continue;
    c.k = index_select(c.k, 0, index);  // (R, H, T, D) -> (R', H, T, D)
    c.v = index_select(c.v, 0, index);
  }
}

Tensor last_position(const Tensor& logits) {
  return select(logits, 1, -1);
}

}  // namespace heed
