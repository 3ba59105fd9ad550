// Helpers shared by the tests.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>

#include "framework/gradcheck.h"
#include "framework/tensor.h"

namespace heed::testing {

// A fixture with a fresh directory per test (named by the process and the test, so parallel
// ctest runs do not collide), removed afterwards; write() puts a file in it.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("heed_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `bytes` to dir_/name and returns its path.
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::filesystem::path dir_;
};

// A leaf input for gradcheck: values from a seed, requires_grad set.
inline Tensor input(const Shape& shape, uint64_t seed, float std = 1.0f) {
  return Tensor::randn(shape, seed, std).set_requires_grad();
}

// A non-contiguous leaf: the transpose of a (cols, rows) tensor, so its strides are swapped.
inline Tensor transposed_input(int64_t rows, int64_t cols, uint64_t seed) {
  Tensor base = Tensor::randn({cols, rows}, seed);
  return base.transpose(0, 1).detach().set_requires_grad();
}

inline ::testing::AssertionResult passes_gradcheck(const GradcheckFn& f,
                                                   const std::vector<Tensor>& inputs,
                                                   const GradcheckOptions& opts = {}) {
  GradcheckReport r = gradcheck(f, inputs, opts);
  if (r.ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.message << " worst: " << r.worst;
}

// Whether `text` contains `part`; a failure shows the whole text.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << part << "' not in: " << text;
}

// Runs f, expects a heed::Error whose message contains every one of `parts`.
template <typename F>
void expect_error(F&& f, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "no heed::Error thrown";
  } catch (const Error& e) {
    for (const char* p : parts) EXPECT_TRUE(contains(e.what(), p));
  }
}

inline void expect_values(const Tensor& t, const std::vector<float>& expected, float tol = 1e-5f) {
  std::vector<float> v = t.to_vector();
  ASSERT_EQ(v.size(), expected.size());
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], expected[i], tol) << "at " << i;
}

}  // namespace heed::testing
