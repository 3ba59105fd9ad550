// Helpers for the I/O tests: scratch directories, raw tensor bytes, error expectations, and the
// independent Python safetensors implementation.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "framework/io/safetensors.h"

namespace heed::testing {

// A fresh directory under the test temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "heed_io_XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // Names of the entries, sorted: what a crash or failure left behind.
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path_))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  std::string path_;
};

// The tensor's elements as raw bytes, row-major: bitwise comparisons (NaN, -0.0) for free.
inline std::string raw_bytes(const Tensor& t) {
  Tensor c = t.is_contiguous() ? t : t.clone();
  const std::size_t es = dtype_size(c.dtype());
  return std::string(static_cast<const char*>(c.storage()->data) + c.offset() * es, c.numel() * es);
}

inline ::testing::AssertionResult same_tensors(const NamedTensors& a, const NamedTensors& b) {
  if (a.size() != b.size())
    return ::testing::AssertionFailure() << a.size() << " vs " << b.size() << " tensors";
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& [na, ta] = a[i];
    const auto& [nb, tb] = b[i];
    if (na != nb) return ::testing::AssertionFailure() << "name " << na << " vs " << nb;
    if (ta.dtype() != tb.dtype() || ta.shape() != tb.shape())
      return ::testing::AssertionFailure()
             << na << ": " << shape_str(ta.shape()) << " " << dtype_name(ta.dtype()) << " vs "
             << shape_str(tb.shape()) << " " << dtype_name(tb.dtype());
    if (raw_bytes(ta) != raw_bytes(tb))
      return ::testing::AssertionFailure() << na << ": values differ";
  }
  return ::testing::AssertionSuccess();
}

// Runs f, which must throw heed::Error with a one-line message starting with `prefix` and
// containing `fragment`.
inline ::testing::AssertionResult throws_error(const std::function<void()>& f,
                                               const std::string& prefix,
                                               const std::string& fragment) {
  try {
    f();
  } catch (const Error& e) {
    const std::string m = e.what();
    if (m.rfind(prefix, 0) != 0)
      return ::testing::AssertionFailure()
             << "message does not start with '" << prefix << "': " << m;
    if (m.find(fragment) == std::string::npos)
      return ::testing::AssertionFailure() << "message lacks '" << fragment << "': " << m;
    if (m.find('\n') != std::string::npos)
      return ::testing::AssertionFailure() << "message spans lines: " << m;
    return ::testing::AssertionSuccess() << m;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw a non-heed exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

// Runs `command` through the shell; returns its stdout and sets `status` to its exit status.
inline std::string run_command(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return out;
  }
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  const int raw = pclose(pipe);
  *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

// --- the independent Python implementation, tests/tools/safetensors_py.py ---

inline bool have_python() {
  return access("/usr/bin/python3", X_OK) == 0;
}

// ctest sets HEED_SOURCE_DIR; a test binary run by hand finds the tool beside its own source.
inline std::string python_tool() {
  const char* root = std::getenv("HEED_SOURCE_DIR");
  const std::filesystem::path base =
      root != nullptr ? std::filesystem::path(root)
                      : std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  return (base / "tests/tools/safetensors_py.py").string();
}

// Runs the tool with `args` and parses its JSON output. With `status`, reports the exit status
// there (77: PyTorch missing) instead of requiring success.
inline nlohmann::json run_python(const std::string& args, int* status = nullptr) {
  int code = 0;
  const std::string out = run_command("/usr/bin/python3 '" + python_tool() + "' " + args, &code);
  if (status != nullptr) *status = code;
  if (code != 0) {
    if (status == nullptr) ADD_FAILURE() << "python tool failed (status " << code << "): " << out;
    return nlohmann::json();
  }
  return nlohmann::json::parse(out);
}

// The tool's dump (F32 values as bit patterns) matches `d` exactly, in order.
inline void expect_matches_dump(const SafetensorsData& d, const nlohmann::json& dump) {
  ASSERT_TRUE(dump.is_object());
  ASSERT_EQ(dump.at("tensors").size(), d.tensors.size());
  for (std::size_t i = 0; i < d.tensors.size(); ++i) {
    const nlohmann::json& p = dump["tensors"][i];
    const auto& [name, t] = d.tensors[i];
    SCOPED_TRACE(name);
    EXPECT_EQ(p.at("name").get<std::string>(), name);
    EXPECT_EQ(p.at("dtype").get<std::string>(), safetensors_dtype_name(t.dtype()));
    EXPECT_EQ(p.at("shape").get<Shape>(), t.shape());
    const std::string bytes = raw_bytes(t);
    std::vector<int64_t> ours;
    for (std::size_t k = 0; k < bytes.size(); k += dtype_size(t.dtype())) {
      if (t.dtype() == DType::F32) {
        uint32_t bits;
        std::memcpy(&bits, bytes.data() + k, 4);
        ours.push_back(bits);
      } else if (t.dtype() == DType::I32) {
        int32_t v;
        std::memcpy(&v, bytes.data() + k, 4);
        ours.push_back(v);
      } else {
        int64_t v;
        std::memcpy(&v, bytes.data() + k, 8);
        ours.push_back(v);
      }
    }
    EXPECT_EQ(p.at("values").get<std::vector<int64_t>>(), ours);
  }
  const auto metadata = dump.at("metadata").get<std::map<std::string, std::string>>();
  EXPECT_EQ(metadata, d.metadata);
}

}  // namespace heed::testing
