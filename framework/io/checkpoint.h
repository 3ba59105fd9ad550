// Checkpoints: a directory of two safetensors files.
//
//   model.safetensors    the parameters only, under the names given (PyTorch's dotted names), so
//                        torch's load_state_dict(strict=True) accepts it as is. Its only
//                        metadata is {"format": "pt"}, which Hugging Face loaders look for.
//   trainer.safetensors  optimizer state plus int64 "step" and "rng" tensors (the caller's);
//                        __metadata__ holds "format_version" ("1"), the caller's keys (at least
//                        "config": the resolved YAML), "checksum_algorithm" ("crc32c"),
//                        "model_checksum" and "trainer_checksum".
//
// A checksum is 8 lowercase hex digits of CRC-32C over a canonical stream of a file's content,
// so that it catches corruption of names, shapes and metadata as well as of data:
//   for each tensor in file order: name, dtype ("F32"), ndim, dims (u64 each), data bytes;
//   then for each metadata key in sorted order, except "trainer_checksum": key, value;
// every string and byte run preceded by its length as a little-endian u64.
//
// Crash safety: save_checkpoint writes the whole new checkpoint into "<dir>.tmp" (files and
// directory fsynced), then swaps it in with one atomic rename (renameat2 RENAME_EXCHANGE when
// <dir> exists), fsyncs the parent, and only then deletes the old one. A crash at any moment thus
// leaves <dir> holding the old complete checkpoint or the new complete one. Filesystems that
// cannot exchange get two renames (<dir> -> <dir>.old, <dir>.tmp -> <dir>); a crash between
// them leaves only <dir>.old, which load_checkpoint reads and the next save_checkpoint restores.
// One writer per directory at a time.
#pragma once

#include <map>
#include <string>

#include "framework/io/safetensors.h"

namespace heed {

inline constexpr const char* kCheckpointFormatVersion = "1";

struct Checkpoint {
  NamedTensors params;
  NamedTensors trainer_state;                   // includes "step" and "rng"
  std::map<std::string, std::string> metadata;  // of trainer.safetensors, checksums included
};

// Replaces the checkpoint at `dir` (creating it and its parents). `trainer_state` must contain
// int64 "step" (one value) and int64 "rng"; `metadata` must contain "config" and none of the keys
// this function sets. Refuses to replace a non-empty directory without trainer.safetensors, so a
// mistyped path cannot delete a run directory.
void save_checkpoint(const std::string& dir, const NamedTensors& params,
                     const NamedTensors& trainer_state,
                     const std::map<std::string, std::string>& metadata);

// Reads and verifies a checkpoint: format version, checksums of both files, "step" and "rng".
// Errors start with the path of the file at fault.
Checkpoint load_checkpoint(const std::string& dir);

// Copies `src` into the existing tensors of `destination` by name, without autograd. The name
// sets, dtypes and shapes must match exactly; otherwise throws "<name_for_errors>: ..." naming
// the first missing, unexpected or mismatched parameter before anything is copied.
void load_parameters_into(const NamedTensors& destination, const NamedTensors& src,
                          const std::string& name_for_errors);
void load_parameters_into(const NamedTensors& destination, const SafetensorsData& src,
                          const std::string& name_for_errors);

// The checksum described above, as 8 hex digits.
std::string content_checksum(const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata);

}  // namespace heed
