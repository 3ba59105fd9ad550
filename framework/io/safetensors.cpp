#include "framework/io/safetensors.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_set>

#include "framework/io/atomic_file.h"

namespace heed {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps");

using json = nlohmann::json;

// The reference implementation's limit: a larger header is corruption or an attack.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// A valid header nests 3 deep (object, tensor entry, shape) and its arrays hold a shape or two
// offsets; these bounds keep a hostile header from costing more memory than its size suggests.
constexpr std::size_t kMaxDepth = 8;
constexpr std::size_t kMaxArrayLength = 1024;

struct DTypeInfo {
  const char* name;
  uint64_t bits;
  bool supported;
  DType dtype;  // when supported
};

// Every dtype of the safetensors spec, so that files holding others are parsed structurally and
// then refused by name rather than called corrupt.
constexpr DTypeInfo kDTypes[] = {
    {"F32", 32, true, DType::F32},     {"I32", 32, true, DType::I32},
    {"I64", 64, true, DType::I64},     {"BOOL", 8, false, DType::F32},
    {"U8", 8, false, DType::F32},      {"I8", 8, false, DType::F32},
    {"F8_E5M2", 8, false, DType::F32}, {"F8_E4M3", 8, false, DType::F32},
    {"F8_E8M0", 8, false, DType::F32}, {"I16", 16, false, DType::F32},
    {"U16", 16, false, DType::F32},    {"F16", 16, false, DType::F32},
    {"BF16", 16, false, DType::F32},   {"U32", 32, false, DType::F32},
    {"F64", 64, false, DType::F32},    {"U64", 64, false, DType::F32},
    {"C64", 64, false, DType::F32},    {"F4", 4, false, DType::F32},
    {"F6_E2M3", 6, false, DType::F32}, {"F6_E3M2", 6, false, DType::F32},
};

const DTypeInfo* find_dtype(std::string_view name) {
  for (const DTypeInfo& d : kDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

// Built by appending: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string&&.
std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out += printable_name(s);
  out += '\'';
  return out;
}

// Walks the parse events to see what the DOM hides: the header's key order (the DOM sorts keys)
// and repeated keys (the DOM keeps the last). It also bounds nesting and array lengths.
class HeaderScanner {
 public:
  explicit HeaderScanner(const std::string& where) : where_(where) {}

  bool on_event(json::parse_event_t event, const json& parsed) {
    using E = json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        if (stack_.size() >= kMaxDepth)
          fail("header JSON nests deeper than " + std::to_string(kMaxDepth) + " levels");
        count_element();
        stack_.push_back({event == E::array_start, 0, {}});
        break;
      case E::object_end:
      case E::array_end:
        if (!stack_.empty()) stack_.pop_back();
        break;
      case E::key: {
        if (stack_.empty() || !parsed.is_string()) break;
        const std::string& k = parsed.get_ref<const std::string&>();
        if (!stack_.back().keys.insert(k).second)
          fail(stack_.size() == 1 ? "header names " + in_quotes(k) + " twice"
                                  : "header repeats the key " + in_quotes(k) + " inside an entry");
        if (stack_.size() == 1) top_keys_.push_back(k);
        break;
      }
      case E::value:
        count_element();
        break;
    }
    return true;
  }

  const std::vector<std::string>& top_keys() const { return top_keys_; }

 private:
  struct Container {
    bool is_array;
    std::size_t length;
    std::unordered_set<std::string> keys;
  };

  void count_element() {
    if (stack_.empty() || !stack_.back().is_array) return;
    if (++stack_.back().length > kMaxArrayLength)
      fail("header has an array of more than " + std::to_string(kMaxArrayLength) + " elements");
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

  const std::string& where_;
  std::vector<Container> stack_;
  std::vector<std::string> top_keys_;
};

// A JSON integer >= 0; floats (2.0), negatives and non-numbers are not sizes.
std::optional<uint64_t> as_size(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0)
    return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

struct Entry {
  std::string name;
  const DTypeInfo* dtype;
  Shape shape;
  uint64_t begin, end;
};

std::string describe(const Entry& e) {
  return shape_str(e.shape) + " " +
         (e.dtype->supported ? dtype_name(e.dtype->dtype) : e.dtype->name);
}

std::string offsets_str(uint64_t begin, uint64_t end) {
  std::string out(1, '[');
  out += std::to_string(begin);
  out += ", ";
  out += std::to_string(end);
  out += ']';
  return out;
}

Entry parse_entry(const std::string& name, const json& info, uint64_t buffer_bytes,
                  const std::string& where) {
  const std::string prefix = where + ": tensor " + in_quotes(name) + ": ";
  auto fail = [&](const std::string& what) { throw Error(prefix + what); };
  if (!info.is_object()) fail("entry is not a JSON object");
  Entry e{name, nullptr, {}, 0, 0};

  auto dt = info.find("dtype");
  if (dt == info.end()) fail("missing \"dtype\"");
  if (!dt->is_string()) fail("\"dtype\" is not a string");
  e.dtype = find_dtype(dt->get_ref<const std::string&>());
  if (e.dtype == nullptr) fail("unknown dtype " + in_quotes(dt->get_ref<const std::string&>()));

  auto sh = info.find("shape");
  if (sh == info.end()) fail("missing \"shape\"");
  if (!sh->is_array()) fail("\"shape\" is not an array");
  // Bounding the product of max(d, 1) also bounds the contiguous strides, not just numel.
  uint64_t bound = 1, numel = 1;
  for (std::size_t i = 0; i < sh->size(); ++i) {
    std::optional<uint64_t> d = as_size((*sh)[i]);
    if (!d) fail("shape entry " + std::to_string(i) + " is not a non-negative integer");
    if (__builtin_mul_overflow(bound, std::max<uint64_t>(*d, 1), &bound) ||
        bound > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      fail("shape " + sh->dump() + " has too many elements");
    numel *= *d;
    e.shape.push_back(static_cast<int64_t>(*d));
  }
  uint64_t bits;
  if (__builtin_mul_overflow(numel, e.dtype->bits, &bits))
    fail("shape " + shape_str(e.shape) + " has too many elements");
  if (bits % 8 != 0)
    fail("shape " + shape_str(e.shape) + " of " + e.dtype->name + " does not fill whole bytes");

  auto off = info.find("data_offsets");
  if (off == info.end()) fail("missing \"data_offsets\"");
  std::optional<uint64_t> b, en;
  if (off->is_array() && off->size() == 2) {
    b = as_size((*off)[0]);
    en = as_size((*off)[1]);
  }
  if (!b || !en) fail("\"data_offsets\" is not two non-negative integers [begin, end]");
  e.begin = *b;
  e.end = *en;
  if (e.begin > e.end)
    fail("data_offsets " + offsets_str(e.begin, e.end) + " end before they begin");
  if (e.end > buffer_bytes)
    fail("data_offsets " + offsets_str(e.begin, e.end) + " end beyond the data buffer (" +
         std::to_string(buffer_bytes) + " bytes)");
  if (e.end - e.begin != bits / 8)
    fail("data_offsets " + offsets_str(e.begin, e.end) + " do not match shape " + describe(e) +
         " (" + std::to_string(bits / 8) + " bytes)");
  return e;
}

// The spec requires the tensors to tile the buffer: otherwise bytes could hide between them, or
// two tensors alias the same bytes.
void check_coverage(const std::vector<Entry>& entries, uint64_t buffer_bytes,
                    const std::string& where) {
  std::vector<const Entry*> order;
  for (const Entry& e : entries) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t pos = 0;
  const Entry* previous = nullptr;
  for (const Entry* e : order) {
    if (e->begin < pos)
      throw Error(where + ": tensor " + in_quotes(e->name) + ": data_offsets " +
                  offsets_str(e->begin, e->end) + " overlap tensor " + in_quotes(previous->name) +
                  " " + offsets_str(previous->begin, previous->end));
    if (e->begin > pos)
      throw Error(where + ": bytes [" + std::to_string(pos) + ", " + std::to_string(e->begin) +
                  ") of the data buffer belong to no tensor (a hole before tensor " +
                  in_quotes(e->name) + ")");
    pos = e->end;
    previous = e;
  }
  if (pos != buffer_bytes)
    throw Error(where + ": the last " + std::to_string(buffer_bytes - pos) + " of the " +
                std::to_string(buffer_bytes) + " data bytes belong to no tensor");
}

std::string json_string(const std::string& s, const std::string& where, const char* what) {
  try {
    return json(s).dump();
  } catch (const json::exception&) {
    throw Error(where + ": " + what + " " + in_quotes(s) + " is not valid UTF-8");
  }
}

std::string encode(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata,
                   const std::string& where) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) header += ',';
      first = false;
      header +=
          json_string(k, where, "metadata key") + ":" + json_string(v, where, "metadata value");
    }
    header += '}';
  }
  std::vector<Tensor> contiguous;
  std::unordered_set<std::string_view> seen;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const std::string prefix = where + ": tensor " + in_quotes(name);
    if (name == "__metadata__") throw Error(prefix + ": the name is reserved by safetensors");
    if (!seen.insert(name).second) throw Error(prefix + ": the name appears twice");
    if (!t.defined()) throw Error(prefix + " is undefined");
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * dtype_size(t.dtype());
    if (header.size() > 1) header += ',';
    header += json_string(name, where, "tensor name") + ":{\"dtype\":\"" +
              safetensors_dtype_name(t.dtype()) + "\",\"shape\":[";
    for (std::size_t i = 0; i < t.shape().size(); ++i) {
      if (i) header += ',';
      header += std::to_string(t.shape()[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
    // clone() carries no autograd history, unlike contiguous() on a parameter.
    contiguous.push_back(t.is_contiguous() ? t : t.clone());
  }
  header += '}';
  // The reference writers pad so that data starts 8-byte aligned, which lets readers map it.
  while (header.size() % 8 != 0) header += ' ';

  std::string out(8 + header.size() + offset, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  std::memcpy(out.data() + 8, header.data(), header.size());
  char* data = out.data() + 8 + header.size();
  for (const Tensor& t : contiguous) {
    const std::size_t bytes = t.numel() * dtype_size(t.dtype());
    if (bytes == 0) continue;
    const char* src =
        static_cast<const char*>(t.storage()->data) + t.offset() * dtype_size(t.dtype());
    std::memcpy(data, src, bytes);
    data += bytes;
  }
  return out;
}

}  // namespace

const char* safetensors_dtype_name(DType dtype) {
  for (const DTypeInfo& d : kDTypes)
    if (d.supported && d.dtype == dtype) return d.name;
  return "?";
}

std::string printable_name(std::string_view s) {
  constexpr std::size_t kMax = 160;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

const Tensor* find_tensor(const NamedTensors& tensors, std::string_view name) {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

std::string encode_safetensors(const NamedTensors& tensors,
                               const std::map<std::string, std::string>& metadata,
                               const std::string& name_for_errors) {
  return encode(tensors, metadata, name_for_errors);
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  write_file_atomically(path, encode(tensors, metadata, path));
}

SafetensorsData decode_safetensors(std::string_view bytes, const std::string& where) {
  auto fail = [&](const std::string& what) { throw Error(where + ": " + what); };
  if (bytes.size() < 8)
    fail("file is " + std::to_string(bytes.size()) +
         " bytes, too short for the 8-byte header length (not a safetensors file?)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  if (n > kMaxHeaderBytes)
    fail("header length " + std::to_string(n) + " exceeds the " + std::to_string(kMaxHeaderBytes) +
         "-byte limit (not a safetensors file?)");
  if (n > bytes.size() - 8)
    fail("header length " + std::to_string(n) + " exceeds the " + std::to_string(bytes.size() - 8) +
         " bytes that follow it (truncated file?)");
  const std::string_view header = bytes.substr(8, n);
  const std::string_view buffer = bytes.substr(8 + n);

  // nlohmann's lexer takes a NUL byte for the end of input and would ignore what follows; JSON
  // text never contains one.
  if (const std::size_t nul = header.find('\0'); nul != std::string_view::npos)
    fail("header is not valid JSON (NUL byte at header byte " + std::to_string(nul + 1) + ")");
  HeaderScanner scanner(where);
  json root;
  try {
    root = json::parse(header.begin(), header.end(),
                       [&scanner](int, json::parse_event_t event, json& parsed) {
                         return scanner.on_event(event, parsed);
                       });
  } catch (const json::parse_error& e) {
    fail("header is not valid JSON (error at header byte " + std::to_string(e.byte) + ")");
  } catch (const json::exception&) {
    fail("header is not valid JSON");
  }
  if (!root.is_object()) fail("header is not a JSON object");

  SafetensorsData out;
  auto meta = root.find("__metadata__");
  if (meta != root.end() && !meta->is_null()) {
    if (!meta->is_object()) fail("\"__metadata__\" is not an object of strings");
    for (const auto& [k, v] : meta->items()) {
      if (!v.is_string()) fail("\"__metadata__\" value of " + in_quotes(k) + " is not a string");
      out.metadata.emplace(k, v.get<std::string>());
    }
  }

  std::vector<Entry> entries;
  for (const std::string& name : scanner.top_keys()) {
    if (name == "__metadata__") continue;
    entries.push_back(parse_entry(name, root.at(name), buffer.size(), where));
  }
  check_coverage(entries, buffer.size(), where);
  for (const Entry& e : entries)
    if (!e.dtype->supported)
      fail("tensor " + in_quotes(e.name) + ": dtype " + e.dtype->name +
           " is not supported (heed reads F32, I32 and I64)");

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype->dtype);
    if (e.end > e.begin) std::memcpy(t.storage()->data, buffer.data() + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

SafetensorsData load_safetensors(const std::string& path) {
  return decode_safetensors(read_file(path), path);
}

}  // namespace heed
