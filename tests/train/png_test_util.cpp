#include "tests/train/png_test_util.h"

#include <gtest/gtest.h>

#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

namespace heed::testing {

Decoded decode(const std::filesystem::path& path) {
  Decoded d;
  int channels = 0;
  uint8_t* data = stbi_load(path.c_str(), &d.width, &d.height, &channels, 3);
  if (!data) {
    ADD_FAILURE() << path << ": " << stbi_failure_reason();
    return d;
  }
  d.rgb.assign(data, data + static_cast<std::size_t>(d.width) * d.height * 3);
  stbi_image_free(data);
  return d;
}

}  // namespace heed::testing
