// safetensors files (the format of Hugging Face, PyTorch and most of the ecosystem):
//
//   [u64 little-endian N][N bytes of JSON header, space-padded][data buffer]
//   header: {"__metadata__": {"key": "value", ...},
//            "<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
//
// Offsets are relative to the data buffer; tensors are row-major, contiguous and little-endian;
// together they cover the buffer exactly (no overlaps, no holes). heed writes F32, I32 and I64.
// The reader validates everything before it allocates, so any byte string either decodes or
// throws one heed::Error "<file>: <what is wrong>"; it never reads out of bounds.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "framework/tensor.h"

namespace heed {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsData {
  NamedTensors tensors;  // in the order of the header
  std::map<std::string, std::string> metadata;
};

// Deterministic bytes: the header lists "__metadata__" (omitted when empty) and then the tensors
// in the given order, with keys "dtype", "shape", "data_offsets", no whitespace, padded with
// spaces so that the data starts 8-byte aligned; the data follows in the same order. Tensors may
// have any strides. Throws "<name_for_errors>: ..." on an undefined tensor, a repeated name, the
// reserved name "__metadata__" or a string that is not UTF-8.
std::string encode_safetensors(const NamedTensors& tensors,
                               const std::map<std::string, std::string>& metadata = {},
                               const std::string& name_for_errors = "encode_safetensors");
// encode_safetensors + write_file_atomically; errors start with `path`.
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Accepts any valid safetensors file whose tensors are F32, I32 or I64; other dtypes (F16, BF16,
// F64, ...) are checked structurally, then refused as unsupported. Errors start with
// `name_for_errors` (the file path).
SafetensorsData decode_safetensors(std::string_view bytes, const std::string& name_for_errors);
SafetensorsData load_safetensors(const std::string& path);

// "F32", "I32", "I64": the dtype's name in safetensors headers.
const char* safetensors_dtype_name(DType dtype);

// The tensor called `name`, or nullptr.
const Tensor* find_tensor(const NamedTensors& tensors, std::string_view name);

// `s` made safe for a one-line message: control bytes escaped as \xNN, long names shortened.
std::string printable_name(std::string_view s);

}  // namespace heed
