#include "framework/io/checkpoint.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "framework/autograd.h"
#include "framework/io/atomic_file.h"
#include "framework/io/crc32c.h"
#include "framework/ops/elementwise.h"

namespace heed {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModelFile = "model.safetensors";
constexpr const char* kTrainerFile = "trainer.safetensors";
constexpr const char* kReservedKeys[] = {"format_version", "checksum_algorithm", "model_checksum",
                                         "trainer_checksum"};

[[noreturn]] void fail(const fs::path& where, const std::string& what) {
  throw Error(where.string() + ": " + what);
}
[[noreturn]] void fail(const fs::path& where, const std::string& what, const std::error_code& ec) {
  fail(where, what + ": " + ec.message());
}

// "run/ck/" and "run/ck" name the same directory, and "<dir>.tmp" must be its sibling.
fs::path normalize(const std::string& dir) {
  if (dir.empty()) throw Error("checkpoint directory path is empty");
  fs::path p = fs::path(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  if (p.empty() || p == "." || p == ".." || p == "/")
    throw Error(dir + ": not usable as a checkpoint directory (name a subdirectory)");
  return p;
}

fs::path sibling(const fs::path& dir, const char* suffix) {
  return dir.parent_path() / (dir.filename().string() + suffix);
}

fs::path parent_of(const fs::path& dir) {
  return dir.has_parent_path() ? dir.parent_path() : fs::path(".");
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() != fs::file_type::not_found && !ec;
}

// Error-code forms throughout: std::filesystem's throwing ones would escape as non-heed errors.
bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && !ec;
}

void remove_tree(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  if (ec) fail(p, "cannot remove", ec);
}

void rename_path(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) fail(to, "cannot rename " + from.string() + " to it", ec);
}

void append_u64(uint32_t& crc, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  crc = crc32c(std::string_view(b, 8), crc);
}

void append_bytes(uint32_t& crc, std::string_view s) {
  append_u64(crc, s.size());
  crc = crc32c(s, crc);
}

const Tensor& require_int64(const NamedTensors& state, const char* name, bool scalar,
                            const fs::path& where) {
  const Tensor* t = find_tensor(state, name);
  if (t == nullptr) fail(where, std::string("trainer state has no \"") + name + "\" tensor");
  if (!t->defined() || t->dtype() != DType::I64 || (scalar && t->numel() != 1))
    fail(where, std::string("trainer state \"") + name + "\" must be an int64 tensor" +
                    (scalar ? " holding one value" : ""));
  return *t;
}

const std::string& require_key(const std::map<std::string, std::string>& metadata,
                               const std::string& key, const fs::path& where) {
  auto it = metadata.find(key);
  if (it == metadata.end())
    fail(where, "no \"" + key + "\" in __metadata__ (not a heed checkpoint?)");
  return it->second;
}

void verify_checksum(const SafetensorsData& file, const std::string& stored, const char* key,
                     const fs::path& where) {
  const std::string computed = content_checksum(file.tensors, file.metadata);
  if (computed != stored)
    fail(where, std::string("checksum mismatch (") + key + " " + printable_name(stored) +
                    ", computed " + computed + "): the file is corrupt");
}

// The directory that holds the newest complete checkpoint (see the header's crash-safety notes).
fs::path resolve_for_load(const fs::path& dir) {
  if (path_exists(dir)) {
    if (!is_dir(dir)) fail(dir, "is not a checkpoint directory");
    return dir;
  }
  const fs::path old = sibling(dir, ".old");
  if (is_dir(old)) return old;  // a save was interrupted between its two renames
  fail(dir, "no such checkpoint directory");
}

// Finishes what an interrupted save left behind, so only <dir> may hold a checkpoint afterwards.
void recover(const fs::path& dir) {
  const fs::path old = sibling(dir, ".old");
  if (!path_exists(dir) && is_dir(old)) rename_path(old, dir);
  if (path_exists(old)) remove_tree(old);
  const fs::path tmp = sibling(dir, ".tmp");
  if (path_exists(tmp)) remove_tree(tmp);
}

void check_replaceable(const fs::path& dir) {
  if (!path_exists(dir)) return;
  if (!is_dir(dir)) fail(dir, "exists and is not a directory; refusing to replace it");
  std::error_code ec;
  const bool empty = fs::is_empty(dir, ec);
  if (ec) fail(dir, "cannot list", ec);
  if (!empty && !path_exists(dir / kTrainerFile))
    fail(dir, "exists, is not empty and holds no trainer.safetensors; refusing to replace it");
}

// Creates the missing ancestors of `dir`, fsyncing each one's parent: otherwise a power loss
// could forget a new parent directory, and the checkpoint inside it with it.
void create_parents_durably(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (fs::path p = dir.parent_path(); !p.empty() && !path_exists(p); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::error_code ec;
    fs::create_directory(*it, ec);
    if (ec) fail(*it, "cannot create directory", ec);
    fsync_directory(parent_of(*it).string());
  }
}

// Puts `tmp` at `dir`, atomically when the filesystem allows, and deletes what `dir` held.
void swap_in(const fs::path& tmp, const fs::path& dir) {
  const fs::path parent = parent_of(dir);
  if (!path_exists(dir)) {
    rename_path(tmp, dir);
    fsync_directory(parent.string());
    return;
  }
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
    fsync_directory(parent.string());
    fault_point("checkpoint_after_swap");
    remove_tree(tmp);  // now the old checkpoint
    return;
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    fail(dir, "cannot exchange it with " + tmp.string() + ": " + std::strerror(errno));
  const fs::path old = sibling(dir, ".old");
  rename_path(dir, old);
  try {
    fault_point("checkpoint_between_renames");
    rename_path(tmp, dir);
  } catch (...) {
    std::error_code ignored;
    fs::rename(old, dir, ignored);
    throw;
  }
  fsync_directory(parent.string());
  fault_point("checkpoint_after_swap");
  remove_tree(old);
}

}  // namespace

std::string content_checksum(const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata) {
  uint32_t crc = 0;
  for (const auto& [name, t] : tensors) {
    append_bytes(crc, name);
    append_bytes(crc, safetensors_dtype_name(t.dtype()));
    append_u64(crc, t.shape().size());
    for (int64_t d : t.shape()) append_u64(crc, static_cast<uint64_t>(d));
    const Tensor c = t.is_contiguous() ? t : t.clone();
    const std::size_t es = dtype_size(c.dtype());
    append_bytes(crc,
                 std::string_view(static_cast<const char*>(c.storage()->data) + c.offset() * es,
                                  c.numel() * es));
  }
  for (const auto& [key, value] : metadata) {
    if (key == "trainer_checksum") continue;  // it cannot cover itself
    append_bytes(crc, key);
    append_bytes(crc, value);
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc);
  return hex;
}

void save_checkpoint(const std::string& dir_arg, const NamedTensors& params,
                     const NamedTensors& trainer_state,
                     const std::map<std::string, std::string>& metadata) {
  const fs::path dir = normalize(dir_arg);
  require_int64(trainer_state, "step", true, dir);
  require_int64(trainer_state, "rng", false, dir);
  if (!metadata.count("config"))
    fail(dir, "checkpoint metadata needs \"config\" (the resolved config)");
  for (const char* key : kReservedKeys)
    if (metadata.count(key))
      fail(dir, std::string("metadata key \"") + key + "\" is set by save_checkpoint");

  // Encode everything before touching the disk: a bad tensor must not cost the old checkpoint.
  const std::string model_name = (dir / kModelFile).string();
  const std::string trainer_name = (dir / kTrainerFile).string();
  const std::map<std::string, std::string> model_meta = {{"format", "pt"}};
  const std::string model_bytes = encode_safetensors(params, model_meta, model_name);
  for (const auto& [name, t] : trainer_state)  // content_checksum reads them before encoding
    if (!t.defined()) fail(trainer_name, "tensor '" + printable_name(name) + "' is undefined");
  std::map<std::string, std::string> trainer_meta = metadata;
  trainer_meta["format_version"] = kCheckpointFormatVersion;
  trainer_meta["checksum_algorithm"] = "crc32c";
  trainer_meta["model_checksum"] = content_checksum(params, model_meta);
  trainer_meta["trainer_checksum"] = content_checksum(trainer_state, trainer_meta);
  const std::string trainer_bytes = encode_safetensors(trainer_state, trainer_meta, trainer_name);

  create_parents_durably(dir);
  recover(dir);
  check_replaceable(dir);
  const fs::path tmp = sibling(dir, ".tmp");
  std::error_code ec;
  fs::create_directory(tmp, ec);
  if (ec) fail(tmp, "cannot create directory", ec);
  try {
    write_file_atomically((tmp / kModelFile).string(), model_bytes);
    write_file_atomically((tmp / kTrainerFile).string(), trainer_bytes);
    fault_point("checkpoint_before_swap");
    swap_in(tmp, dir);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(tmp, ignored);
    throw;
  }
}

Checkpoint load_checkpoint(const std::string& dir_arg) {
  const fs::path dir = resolve_for_load(normalize(dir_arg));
  const fs::path trainer_path = dir / kTrainerFile;
  const fs::path model_path = dir / kModelFile;

  SafetensorsData trainer = load_safetensors(trainer_path.string());
  const std::string& version = require_key(trainer.metadata, "format_version", trainer_path);
  if (version != kCheckpointFormatVersion)
    fail(trainer_path, "format_version '" + printable_name(version) +
                           "' is not supported (this build reads '" + kCheckpointFormatVersion +
                           "')");
  const std::string& algorithm = require_key(trainer.metadata, "checksum_algorithm", trainer_path);
  if (algorithm != "crc32c")
    fail(trainer_path, "checksum_algorithm '" + printable_name(algorithm) + "' is not supported");
  verify_checksum(trainer, require_key(trainer.metadata, "trainer_checksum", trainer_path),
                  "trainer_checksum", trainer_path);
  require_key(trainer.metadata, "config", trainer_path);
  require_int64(trainer.tensors, "step", true, trainer_path);
  require_int64(trainer.tensors, "rng", false, trainer_path);

  SafetensorsData model = load_safetensors(model_path.string());
  verify_checksum(model, require_key(trainer.metadata, "model_checksum", trainer_path),
                  "model_checksum", model_path);
  return {std::move(model.tensors), std::move(trainer.tensors), std::move(trainer.metadata)};
}

void load_parameters_into(const NamedTensors& destination, const NamedTensors& src,
                          const std::string& where) {
  std::unordered_map<std::string_view, const Tensor*> by_name;
  for (const auto& [name, t] : src)
    if (!by_name.emplace(name, &t).second)
      throw Error(where + ": parameter '" + printable_name(name) + "' appears twice");

  std::vector<std::string> problems;
  std::unordered_set<std::string_view> wanted;
  for (const auto& [name, t] : destination) {
    std::string quoted(1, '\'');  // appended: GCC 12 warns falsely on "'" + std::string&&
    quoted += printable_name(name);
    quoted += '\'';
    if (!wanted.insert(name).second)
      throw Error(where + ": the model names parameter " + quoted + " twice");
    if (!t.defined()) throw Error(where + ": the model's parameter " + quoted + " is undefined");
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      problems.push_back("parameter " + quoted + " is missing");
      continue;
    }
    const Tensor& s = *it->second;
    if (s.shape() != t.shape() || s.dtype() != t.dtype())
      problems.push_back("parameter " + quoted + " is " + shape_str(s.shape()) + " " +
                         dtype_name(s.dtype()) + " in the file but " + shape_str(t.shape()) + " " +
                         dtype_name(t.dtype()) + " in the model");
  }
  for (const auto& [name, t] : src)
    if (!wanted.count(name))
      problems.push_back("unexpected parameter '" + printable_name(name) + "' (not in the model)");
  if (!problems.empty())
    throw Error(where + ": " + problems.front() +
                (problems.size() > 1
                     ? " (and " + std::to_string(problems.size() - 1) + " more problems)"
                     : ""));

  NoGradGuard no_grad;
  for (const auto& [name, t] : destination) copy_(t, *by_name.at(name));
}

void load_parameters_into(const NamedTensors& destination, const SafetensorsData& src,
                          const std::string& where) {
  load_parameters_into(destination, src.tensors, where);
}

}  // namespace heed
