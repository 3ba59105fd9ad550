// safetensors encoding and decoding (round trips, a hand-written golden file, every malformed
// input the reader must refuse), atomic file writes, CRC-32C, and a cross-check against an
// independent Python reader/writer (tests/tools/safetensors_py.py).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "framework/io/atomic_file.h"
#include "framework/io/crc32c.h"
#include "framework/io/safetensors.h"
#include "framework/random.h"
#include "tests/framework/io_test_util.h"

namespace heed {
namespace {

using testing::raw_bytes;
using testing::same_tensors;
using testing::ScratchDir;
using testing::throws_error;

const std::string kName = "bad.safetensors";

// A file from header text and data bytes, the length field counting the header exactly.
std::string make_file(const std::string& header, const std::string& data = "") {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string zeros(std::size_t n) {
  return std::string(n, '\0');
}

::testing::AssertionResult rejects(const std::string& bytes, const std::string& fragment) {
  return throws_error([&] { decode_safetensors(bytes, kName); }, kName + ": ", fragment);
}

// One F32 tensor entry named `name` in a header.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  const std::string& offsets) {
  return "\"" + name + "\":{\"dtype\":" + dtype + ",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

// A header object of entries. Built by appending: GCC 12 warns falsely (-Wrestrict) on
// "literal" + std::string&&.
std::string object(std::initializer_list<std::string> entries) {
  std::string out(1, '{');
  for (const std::string& e : entries) {
    if (out.size() > 1) out += ',';
    out += e;
  }
  out += '}';
  return out;
}

NamedTensors sample_tensors() {
  const float inf = std::numeric_limits<float>::infinity();
  return {
      {"encoder.layers.0.weight",
       Tensor::from_vector({1.5f, -0.0f, 3.25f, 1e-38f, -7, 42}, {2, 3})},
      {"special", Tensor::from_vector(
                      {std::nanf(""), inf, -inf, std::numeric_limits<float>::denorm_min()}, {4})},
      {"mask", Tensor::from_ints({INT32_MIN, -1, 0, INT32_MAX}, {2, 2}, DType::I32)},
      {"ids", Tensor::from_ints({INT64_MIN, -1, int64_t{1} << 40, INT64_MAX}, {4}, DType::I64)},
      {"scalar", Tensor::scalar(0.125f)},
      {"step", Tensor::from_ints({123456789012345}, {}, DType::I64)},
      {"empty", Tensor::zeros({0})},
      {"empty_i32", Tensor::zeros({3, 0, 2}, DType::I32)},
      {"transposed", Tensor::arange(6).view({2, 3}).transpose(0, 1)},  // non-contiguous
  };
}

const std::map<std::string, std::string> kMetadata = {
    {"format", "pt"}, {"note", "ünïcode ✓ \"quoted\"\n"}, {"blank", ""}};

uint64_t header_length(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  return n;
}

TEST(Safetensors, RoundTripsAllDtypesZeroDimAndEmptyTensors) {
  const NamedTensors tensors = sample_tensors();
  const std::string bytes = encode_safetensors(tensors, kMetadata);
  EXPECT_EQ(header_length(bytes) % 8, 0u) << "data must start 8-byte aligned";

  SafetensorsData d = decode_safetensors(bytes, "mem");
  EXPECT_TRUE(same_tensors(d.tensors, tensors));
  EXPECT_EQ(d.metadata, kMetadata);
  EXPECT_EQ(d.tensors[8].second.to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(d.tensors[5].second.dim(), 0);
  EXPECT_EQ(d.tensors[5].second.to_ints(), (std::vector<int64_t>{123456789012345}));
  // Decoding loses nothing the encoder wrote, so re-encoding is byte-identical.
  EXPECT_EQ(encode_safetensors(d.tensors, d.metadata), bytes);
}

TEST(Safetensors, SavesAndLoadsThroughAFile) {
  ScratchDir dir;
  const std::string path = dir / "t.safetensors";
  save_safetensors(path, sample_tensors(), kMetadata);
  SafetensorsData d = load_safetensors(path);
  EXPECT_TRUE(same_tensors(d.tensors, sample_tensors()));
  EXPECT_EQ(d.metadata, kMetadata);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"t.safetensors"});
}

TEST(Safetensors, EmptyFileHasNoMetadataKeyAndNoTensors) {
  const std::string bytes = encode_safetensors({});
  EXPECT_EQ(bytes, make_file("{}      "));
  SafetensorsData d = decode_safetensors(bytes, "mem");
  EXPECT_TRUE(d.tensors.empty());
  EXPECT_TRUE(d.metadata.empty());
}

TEST(Safetensors, GoldenFileDecodesAndReencodesByteForByte) {
  // Written by hand from the spec: the header length 88 (82 bytes of JSON and 6 spaces of
  // padding), then 1.0, -2.5, 0.25 and 3.0 as little-endian float32.
  const std::string golden =
      std::string("\x58\x00\x00\x00\x00\x00\x00\x00", 8) +
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})" +
      "      " +
      std::string("\x00\x00\x80\x3f\x00\x00\x20\xc0\x00\x00\x80\x3e\x00\x00\x40\x40", 16);
  ASSERT_EQ(golden.size(), 8u + 88u + 16u);

  SafetensorsData d = decode_safetensors(golden, "golden");
  ASSERT_EQ(d.tensors.size(), 1u);
  EXPECT_EQ(d.tensors[0].first, "w");
  EXPECT_EQ(d.tensors[0].second.shape(), (Shape{2, 2}));
  EXPECT_EQ(d.tensors[0].second.dtype(), DType::F32);
  EXPECT_EQ(d.tensors[0].second.to_vector(), (std::vector<float>{1.0f, -2.5f, 0.25f, 3.0f}));
  EXPECT_EQ(d.metadata, (std::map<std::string, std::string>{{"k", "v"}}));

  EXPECT_EQ(encode_safetensors(d.tensors, d.metadata), golden);
  EXPECT_EQ(
      encode_safetensors({{"w", Tensor::from_vector({1, -2.5f, 0.25f, 3}, {2, 2})}}, {{"k", "v"}}),
      golden);
}

TEST(Safetensors, AcceptsOtherWritersLayouts) {
  // Extra padding and whitespace, data in another order than the header, unknown entry keys,
  // a null __metadata__: all valid.
  const std::string header = "{ \"__metadata__\" : null, " +
                             entry("b", "\"F32\"", "[1]", "[4, 8]") + " , " +
                             "\"a\":{\"data_offsets\":[0,4],\"shape\":[],\"dtype\":\"I32\","
                             "\"extra\":[1,2]}" +
                             "}" + std::string(21, ' ');
  std::string data = std::string("\x07\x00\x00\x00", 4) + std::string("\x00\x00\x80\x3f", 4);
  SafetensorsData d = decode_safetensors(make_file(header, data), "mem");
  ASSERT_EQ(d.tensors.size(), 2u);
  EXPECT_EQ(d.tensors[0].first, "b");  // header order, not data order
  EXPECT_EQ(d.tensors[0].second.to_vector(), std::vector<float>{1.0f});
  EXPECT_EQ(d.tensors[1].first, "a");
  EXPECT_EQ(d.tensors[1].second.to_ints(), std::vector<int64_t>{7});
  EXPECT_TRUE(d.metadata.empty());
}

TEST(SafetensorsRejects, ShortFilesAndBadHeaderLengths) {
  EXPECT_TRUE(rejects("", "file is 0 bytes, too short for the 8-byte header length"));
  EXPECT_TRUE(rejects("abcdefg", "file is 7 bytes, too short"));
  std::string f = make_file("{}");
  f[0] = 100;
  EXPECT_TRUE(rejects(f, "header length 100 exceeds the 2 bytes that follow it"));
  f = zeros(8);
  f[5] = 1;  // 2^40
  EXPECT_TRUE(rejects(f, "header length 1099511627776 exceeds the 100000000-byte limit"));
  f = std::string(8, '\xff');
  EXPECT_TRUE(rejects(f, "exceeds the 100000000-byte limit"));
}

TEST(SafetensorsRejects, InvalidJsonAndNonObjects) {
  EXPECT_TRUE(rejects(make_file(""), "header is not valid JSON"));
  EXPECT_TRUE(rejects(make_file("{\"a\":"), "header is not valid JSON (error at header byte"));
  EXPECT_TRUE(rejects(make_file("{} {}"), "header is not valid JSON"));
  EXPECT_TRUE(rejects(make_file("{\"a\":\"\xff\"}"), "header is not valid JSON"));  // not UTF-8
  EXPECT_TRUE(rejects(make_file(std::string("{}\0", 3)), "header is not valid JSON (NUL byte"));
  EXPECT_TRUE(rejects(make_file(std::string("{\"a\"\0:1}", 8)), "header is not valid JSON"));
  EXPECT_TRUE(rejects(make_file("[1, 2]"), "header is not a JSON object"));
  EXPECT_TRUE(rejects(make_file("\"x\"  "), "header is not a JSON object"));
  EXPECT_TRUE(rejects(make_file(std::string(100000, '[') + std::string(100000, ']')),
                      "header JSON nests deeper than 8 levels"));
  std::string long_shape = "[1";
  for (int i = 0; i < 2000; ++i) long_shape += ",1";
  EXPECT_TRUE(rejects(make_file(object({entry("a", "\"F32\"", long_shape + "]", "[0,4]")})),
                      "header has an array of more than 1024 elements"));
}

TEST(SafetensorsRejects, BadDtypes) {
  const std::string four = zeros(4);
  EXPECT_TRUE(rejects(make_file(object({entry("a", "\"F31\"", "[1]", "[0,4]")}), four),
                      "tensor 'a': unknown dtype 'F31'"));
  EXPECT_TRUE(rejects(make_file(object({entry("a", "4", "[1]", "[0,4]")}), four),
                      "tensor 'a': \"dtype\" is not a string"));
  EXPECT_TRUE(rejects(make_file(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", four),
                      "tensor 'a': missing \"dtype\""));
  EXPECT_TRUE(rejects(make_file(R"({"a":[1,2]})"), "tensor 'a': entry is not a JSON object"));
  // Known but unsupported dtypes are checked structurally first, then refused by name.
  EXPECT_TRUE(rejects(make_file(object({entry("h", "\"F16\"", "[2]", "[0,4]")}), four),
                      "tensor 'h': dtype F16 is not supported (heed reads F32, I32 and I64)"));
  EXPECT_TRUE(rejects(make_file(object({entry("h", "\"BF16\"", "[2]", "[0,2]")}), zeros(2)),
                      "tensor 'h': data_offsets [0, 2] do not match shape (2,) BF16 (4 bytes)"));
  EXPECT_TRUE(rejects(make_file(object({entry("h", "\"F64\"", "[1]", "[0,8]")}), zeros(12)),
                      "the last 4 of the 12 data bytes belong to no tensor"));
  EXPECT_TRUE(rejects(make_file(object({entry("q", "\"F4\"", "[3]", "[0,2]")}), zeros(2)),
                      "tensor 'q': shape (3,) of F4 does not fill whole bytes"));
}

TEST(SafetensorsRejects, BadShapes) {
  const std::string four = zeros(4);
  auto with_shape = [&](const std::string& shape) {
    return make_file(object({entry("a", "\"F32\"", shape, "[0,4]")}), four);
  };
  EXPECT_TRUE(
      rejects(with_shape("[2.0]"), "tensor 'a': shape entry 0 is not a non-negative integer"));
  EXPECT_TRUE(rejects(with_shape("[1,-1]"), "shape entry 1 is not a non-negative integer"));
  EXPECT_TRUE(rejects(with_shape("[\"1\"]"), "shape entry 0 is not a non-negative integer"));
  EXPECT_TRUE(rejects(with_shape("[true]"), "shape entry 0 is not a non-negative integer"));
  EXPECT_TRUE(rejects(with_shape("[1e0]"), "shape entry 0 is not a non-negative integer"));
  EXPECT_TRUE(rejects(with_shape("[99999999999999999999]"), "shape entry 0 is not"));
  EXPECT_TRUE(rejects(with_shape("1"), "tensor 'a': \"shape\" is not an array"));
  EXPECT_TRUE(rejects(with_shape("{}"), "\"shape\" is not an array"));
  EXPECT_TRUE(rejects(make_file(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", four),
                      "tensor 'a': missing \"shape\""));
  EXPECT_TRUE(rejects(with_shape("[4294967296,4294967296]"),
                      "tensor 'a': shape [4294967296,4294967296] has too many elements"));
  EXPECT_TRUE(rejects(with_shape("[18446744073709551615]"), "has too many elements"));
  EXPECT_TRUE(rejects(with_shape("[9223372036854775807,2]"), "has too many elements"));
  // numel 0, but its strides would overflow int64.
  EXPECT_TRUE(rejects(with_shape("[0,4611686018427387904,4]"), "has too many elements"));
  // numel fits int64 but its bytes do not.
  EXPECT_TRUE(rejects(with_shape("[4611686018427387904]"), "has too many elements"));
}

TEST(SafetensorsRejects, BadDataOffsets) {
  auto with_offsets = [](const std::string& offsets, std::size_t buffer = 8) {
    return make_file(object({entry("a", "\"F32\"", "[2]", offsets)}), zeros(buffer));
  };
  const std::string two_ints = "tensor 'a': \"data_offsets\" is not two non-negative integers";
  EXPECT_TRUE(rejects(with_offsets("[0]"), two_ints));
  EXPECT_TRUE(rejects(with_offsets("[0,4,8]"), two_ints));
  EXPECT_TRUE(rejects(with_offsets("[0,\"8\"]"), two_ints));
  EXPECT_TRUE(rejects(with_offsets("[0,8.0]"), two_ints));
  EXPECT_TRUE(rejects(with_offsets("[-8,0]"), two_ints));
  EXPECT_TRUE(rejects(with_offsets("{\"0\":8}"), two_ints));
  EXPECT_TRUE(rejects(with_offsets("[0,18446744073709551616]"), two_ints));
  EXPECT_TRUE(rejects(make_file(R"({"a":{"dtype":"F32","shape":[2]}})", zeros(8)),
                      "tensor 'a': missing \"data_offsets\""));
  EXPECT_TRUE(
      rejects(with_offsets("[8,0]"), "tensor 'a': data_offsets [8, 0] end before they begin"));
  EXPECT_TRUE(rejects(with_offsets("[0,8]", 4),
                      "tensor 'a': data_offsets [0, 8] end beyond the data buffer (4 bytes)"));
  EXPECT_TRUE(rejects(with_offsets("[0,18446744073709551615]"), "end beyond the data buffer"));
  EXPECT_TRUE(rejects(with_offsets("[0,4]"),
                      "data_offsets [0, 4] do not match shape (2,) float32 (8 bytes)"));
  // The message of the design notes, verbatim.
  EXPECT_TRUE(throws_error(
      [] {
        decode_safetensors(
            make_file(object({entry("out.weight", "\"F32\"", "[4,8]", "[0,96]")}), zeros(96)),
            "run/ck/model.safetensors");
      },
      "run/ck/model.safetensors: tensor 'out.weight': data_offsets [0, 96] do not match shape "
      "(4, 8) float32 (128 bytes)",
      ""));
}

TEST(SafetensorsRejects, OverlapsAndHoles) {
  const std::string a = entry("a", "\"F32\"", "[2]", "[0,8]");
  EXPECT_TRUE(rejects(make_file(object({a, entry("b", "\"F32\"", "[2]", "[4,12]")}), zeros(12)),
                      "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"));
  EXPECT_TRUE(rejects(make_file(object({a, entry("b", "\"F32\"", "[2]", "[0,8]")}), zeros(8)),
                      "overlap tensor"));
  // An empty tensor inside another still claims a position there.
  EXPECT_TRUE(rejects(make_file(object({a, entry("e", "\"F32\"", "[0]", "[4,4]")}), zeros(8)),
                      "tensor 'e': data_offsets [4, 4] overlap tensor 'a' [0, 8]"));
  EXPECT_TRUE(
      rejects(make_file(object({a, entry("b", "\"F32\"", "[2]", "[12,20]")}), zeros(20)),
              "bytes [8, 12) of the data buffer belong to no tensor (a hole before tensor 'b')"));
  EXPECT_TRUE(rejects(make_file(object({entry("b", "\"F32\"", "[2]", "[4,12]")}), zeros(12)),
                      "bytes [0, 4) of the data buffer belong to no tensor"));
  EXPECT_TRUE(rejects(make_file(object({a}), zeros(12)),
                      "the last 4 of the 12 data bytes belong to no tensor"));
  EXPECT_TRUE(
      rejects(make_file("{}", zeros(1)), "the last 1 of the 1 data bytes belong to no tensor"));
}

TEST(SafetensorsRejects, DuplicateNamesAndKeys) {
  const std::string a = entry("a", "\"F32\"", "[1]", "[0,4]");
  EXPECT_TRUE(rejects(make_file(object({a, a}), zeros(4)), "header names 'a' twice"));
  EXPECT_TRUE(
      rejects(make_file(R"({"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
                        zeros(4)),
              "header repeats the key 'dtype' inside an entry"));
  EXPECT_TRUE(rejects(make_file(R"({"__metadata__":{},"__metadata__":{}})"),
                      "header names '__metadata__' twice"));
  EXPECT_TRUE(
      rejects(make_file(R"({"__metadata__":{"k":"1","k":"2"}})"), "header repeats the key 'k'"));
}

TEST(SafetensorsRejects, NonStringMetadata) {
  EXPECT_TRUE(rejects(make_file(R"({"__metadata__":{"k":1}})"),
                      "\"__metadata__\" value of 'k' is not a string"));
  EXPECT_TRUE(rejects(make_file(R"({"__metadata__":{"ok":"x","k":{"a":"b"}}})"),
                      "\"__metadata__\" value of 'k' is not a string"));
  EXPECT_TRUE(rejects(make_file(R"({"__metadata__":{"k":null}})"), "value of 'k' is not a string"));
  EXPECT_TRUE(rejects(make_file(R"({"__metadata__":["k","v"]})"),
                      "\"__metadata__\" is not an object of strings"));
  EXPECT_TRUE(rejects(make_file(R"({"__metadata__":"k"})"), "is not an object of strings"));
}

TEST(SafetensorsRejects, NamesInMessagesStayOnOneLine) {
  EXPECT_TRUE(
      rejects(make_file(object({entry("bad\\nname\\u0000", "\"F31\"", "[1]", "[0,4]")}), zeros(4)),
              "tensor 'bad\\x0aname\\x00': unknown dtype"));
  const std::string long_name(5000, 'n');
  EXPECT_TRUE(rejects(make_file(object({entry(long_name, "\"F31\"", "[1]", "[0,4]")}), zeros(4)),
                      std::string(160, 'n') + "...': unknown dtype"));
}

// A valid file with several tensors and metadata, for the robustness tests.
std::string valid_file() {
  return encode_safetensors({{"a", Tensor::from_vector({1, 2, 3}, {3})},
                             {"b", Tensor::from_ints({4, 5}, {2, 1})},
                             {"c", Tensor::scalar(6)},
                             {"d", Tensor::zeros({0, 2})}},
                            {{"k", "v"}, {"config", "model: {d_model: 8}"}});
}

TEST(SafetensorsRobustness, EveryTruncationThrows) {
  const std::string full = valid_file();
  ASSERT_NO_THROW(decode_safetensors(full, kName));
  for (std::size_t n = 0; n < full.size(); ++n)
    EXPECT_TRUE(rejects(full.substr(0, n), "")) << "truncated to " << n << " bytes";
}

// Every outcome must be a decoded file or a heed::Error: anything else (another exception type,
// a crash, an out-of-bounds read under ASan) is a bug.
void decode_or_error(const std::string& bytes, int* decoded, int* refused) {
  try {
    SafetensorsData d = decode_safetensors(bytes, kName);
    ++*decoded;
    // What decodes must survive a round trip.
    EXPECT_NO_THROW(decode_safetensors(encode_safetensors(d.tensors, d.metadata), kName));
  } catch (const Error& e) {
    ++*refused;
    EXPECT_EQ(std::string(e.what()).rfind(kName + ": ", 0), 0u) << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-heed exception: " << e.what();
  }
}

TEST(SafetensorsRobustness, EveryByteFlipDecodesOrThrowsHeedError) {
  const std::string full = valid_file();
  int decoded = 0, refused = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (unsigned mask : {0x01u, 0x20u, 0x80u, 0xffu}) {
      std::string b = full;
      b[i] = static_cast<char>(b[i] ^ mask);
      decode_or_error(b, &decoded, &refused);
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(decoded, 0);  // flips in the data bytes and some in names decode fine
}

TEST(SafetensorsRobustness, RandomMutationsDecodeOrThrowHeedError) {
  const std::string full = valid_file();
  Rng rng(2024);
  int decoded = 0, refused = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string b = full;
    const int edits = 1 + static_cast<int>(rng.randint(0, 4));
    for (int e = 0; e < edits; ++e) {
      const auto pos = static_cast<std::size_t>(rng.randint(0, static_cast<int64_t>(b.size())));
      switch (rng.randint(0, 4)) {
        case 0:
          b[pos] = static_cast<char>(rng.randint(0, 256));
          break;
        case 1:
          b.erase(pos, 1);
          break;
        case 2:
          b.insert(pos, 1, "{}[]\",:0-9 e"[rng.randint(0, 12)]);
          break;
        default:
          b[pos] = static_cast<char>(rng.randint(32, 127));
          break;
      }
      if (b.empty()) b.assign(1, 'x');
    }
    decode_or_error(b, &decoded, &refused);
  }
  EXPECT_GT(refused, 0);
}

TEST(SafetensorsEncode, RefusesWhatCannotBeWritten) {
  const Tensor t = Tensor::ones({1});
  EXPECT_TRUE(throws_error(
      [&] {
        encode_safetensors({{"a", t}, {"a", t}});
      },
      "encode_safetensors: ", "tensor 'a': the name appears twice"));
  EXPECT_TRUE(throws_error(
      [&] {
        encode_safetensors({{"__metadata__", t}});
      },
      "encode_safetensors: ", "the name is reserved"));
  EXPECT_TRUE(throws_error(
      [&] {
        encode_safetensors({{"u", Tensor()}});
      },
      "encode_safetensors: ", "tensor 'u' is undefined"));
  EXPECT_TRUE(throws_error(
      [&] {
        encode_safetensors({{"bad\xff", t}});
      },
      "encode_safetensors: ", "tensor name 'bad\xff' is not valid UTF-8"));
  EXPECT_TRUE(throws_error(
      [&] {
        encode_safetensors({}, {{"k", "\xc3"}});
      },
      "encode_safetensors: ", "is not valid UTF-8"));
  ScratchDir dir;
  EXPECT_TRUE(throws_error(
      [&] {
        save_safetensors(dir / "x.safetensors", {{"a", t}, {"a", t}});
      },
      dir / "x.safetensors: ", "appears twice"));
  EXPECT_TRUE(dir.entries().empty());
}

// --- atomic files -----------------------------------------------------------------------------

TEST(AtomicFile, WritesAndReplacesLeavingNoTemporaryFiles) {
  ScratchDir dir;
  const std::string path = dir / "f.bin";
  write_file_atomically(path, "first");
  EXPECT_EQ(read_file(path), "first");
  write_file_atomically(path, std::string("sec\0nd", 6));
  EXPECT_EQ(read_file(path), std::string("sec\0nd", 6));
  write_file_atomically(path, "");
  EXPECT_EQ(read_file(path), "");
  const std::string big(3 << 20, 'x');
  write_file_atomically(path, big);
  EXPECT_EQ(read_file(path), big);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"f.bin"});
}

TEST(AtomicFile, PathUnderARegularFileFailsCleanly) {
  ScratchDir dir;
  write_file_atomically(dir / "plain", "x");
  const std::string path = dir / "plain/sub.safetensors";
  EXPECT_TRUE(throws_error([&] { write_file_atomically(path, "data"); }, path + ": ",
                           "cannot create temporary file"));
  EXPECT_TRUE(
      throws_error([&] { write_file_atomically(path, "data"); }, path + ": ", "Not a directory"));
  EXPECT_TRUE(throws_error([&] { save_safetensors(path, {}); }, path + ": ", "Not a directory"));
  EXPECT_TRUE(throws_error([&] { write_file_atomically(dir / "missing/f", "x"); },
                           dir / "missing/f: ", "No such file or directory"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"plain"});
}

TEST(AtomicFile, RefusesToReplaceDevicesAndDirectories) {
  struct stat before;
  ASSERT_EQ(stat("/dev/full", &before), 0);
  EXPECT_TRUE(throws_error([] { write_file_atomically("/dev/full", "data"); }, "/dev/full: ",
                           "exists and is not a regular file; refusing to replace it"));
  EXPECT_TRUE(
      throws_error([] { save_safetensors("/dev/full", {}); }, "/dev/full: ", "not a regular file"));
  struct stat after;
  ASSERT_EQ(stat("/dev/full", &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode));
  EXPECT_EQ(before.st_ino, after.st_ino);

  ScratchDir dir;
  std::filesystem::create_directory(dir / "sub");
  EXPECT_TRUE(throws_error([&] { write_file_atomically(dir / "sub", "x"); },
                           dir / "sub: ", "not a regular file"));
}

// The kernel refuses writes past RLIMIT_FSIZE with EFBIG, the closest unprivileged stand-in for
// a full disk: the same failure path as ENOSPC.
TEST(AtomicFile, WriteFailureRemovesTheTemporaryFile) {
  ScratchDir dir;
  const std::string path = dir / "f.bin";
  write_file_atomically(path, "old");
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* previous_handler = signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  auto result = throws_error([&] { write_file_atomically(path, std::string(100000, 'x')); },
                             path + ": ", "File too large");
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous_handler);
  EXPECT_TRUE(result);
  EXPECT_EQ(read_file(path), "old");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"f.bin"});
}

TEST(AtomicFile, FaultHookSeesEveryPointAndFailuresKeepTheOldFile) {
  ScratchDir dir;
  const std::string path = dir / "f.bin";
  std::vector<std::string> seen;
  set_fault_hook([&](const char* point) { seen.push_back(point); });
  write_file_atomically(path, "old");
  set_fault_hook(nullptr);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"after_temp_write", "before_rename", "before_dir_fsync"}));

  for (const std::string point : {"after_temp_write", "before_rename", "before_dir_fsync"}) {
    set_fault_hook([&](const char* p) {
      if (point == p) throw Error("injected failure at " + point);
    });
    EXPECT_TRUE(
        throws_error([&] { write_file_atomically(path, "new"); }, "injected failure", point));
    set_fault_hook(nullptr);
    // Before the rename the old file stands; after it, the new one is complete.
    EXPECT_EQ(read_file(path), point == "before_dir_fsync" ? "new" : "old") << point;
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"f.bin"}) << point;
    write_file_atomically(path, "old");
  }
}

TEST(AtomicFile, ReadFileErrorsNameThePath) {
  ScratchDir dir;
  EXPECT_TRUE(throws_error([&] { read_file(dir / "nope"); },
                           dir / "nope: ", "cannot open: No such file or directory"));
  EXPECT_TRUE(throws_error([&] { read_file(dir.path()); }, dir.path() + ": ", "is a directory"));
  EXPECT_TRUE(throws_error([] { read_file("/dev/zero"); }, "/dev/zero: ", "is not a regular file"));
  EXPECT_TRUE(throws_error([&] { load_safetensors(dir / "nope.safetensors"); },
                           dir / "nope.safetensors: ", "No such file or directory"));
  write_file_atomically(dir / "short", "abc");
  EXPECT_TRUE(throws_error([&] { load_safetensors(dir / "short"); },
                           dir / "short: ", "file is 3 bytes, too short"));
}

// --- CRC-32C ----------------------------------------------------------------------------------

TEST(Crc32c, KnownValuesChainingAndBothImplementationsAgree) {
  EXPECT_EQ(crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c_portable("123456789"), 0xe3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8a9136aau);  // RFC 3720 B.4
  EXPECT_EQ(crc32c("56789", crc32c("1234")), 0xe3069283u);
  std::string buf(600, '\0');
  Rng rng(5);
  for (char& c : buf) c = static_cast<char>(rng.randint(0, 256));
  for (std::size_t offset = 0; offset < 8; ++offset)
    for (std::size_t n = 0; n + offset <= buf.size(); n += 37)
      EXPECT_EQ(crc32c(std::string_view(buf).substr(offset, n)),
                crc32c_portable(std::string_view(buf).substr(offset, n)));
}

// --- cross-check with an independent Python implementation ------------------------------------

TEST(SafetensorsPython, PythonReadsWhatHeedWrites) {
  if (!testing::have_python()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  ScratchDir dir;
  const std::string path = dir / "heed.safetensors";
  save_safetensors(path, sample_tensors(), kMetadata);
  const nlohmann::json dump = testing::run_python("dump '" + path + "'");
  EXPECT_EQ(dump.at("header_length").get<uint64_t>() % 8, 0u);
  testing::expect_matches_dump({sample_tensors(), kMetadata}, dump);
}

TEST(SafetensorsPython, HeedReadsWhatPythonWrites) {
  if (!testing::have_python()) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  ScratchDir dir;
  const std::string path = dir / "python.safetensors";
  const nlohmann::json dump = testing::run_python("write '" + path + "'");
  const SafetensorsData d = load_safetensors(path);
  testing::expect_matches_dump(d, dump);
  // Spot checks independent of the dump, so an empty dump cannot pass.
  ASSERT_EQ(d.tensors.size(), 5u);
  EXPECT_EQ(d.metadata.at("note"), "written by python ✓");
  EXPECT_EQ(find_tensor(d.tensors, "token_ids")->to_ints(),
            (std::vector<int64_t>{-1, 0, int64_t{1} << 40, INT64_MIN}));
  EXPECT_EQ(find_tensor(d.tensors, "encoder.layers.0.bias")->dim(), 0);
  EXPECT_EQ(find_tensor(d.tensors, "encoder.layers.0.bias")->item(), 7.0f);
  EXPECT_EQ(find_tensor(d.tensors, "mask")->dtype(), DType::I32);
  EXPECT_EQ(find_tensor(d.tensors, "encoder.layers.0.weight")->at({0, 1}), -1.25f);
  EXPECT_EQ(find_tensor(d.tensors, "empty")->shape(), (Shape{0, 3}));
}

}  // namespace
}  // namespace heed
