// PNG files read back as a viewer reads them: decoded by stb_image (png_test_util.cpp), not by
// the inverse of our own encoder.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "train/report/image.h"

namespace heed::testing {

struct Decoded {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;
  Rgb at(int x, int y) const {
    const uint8_t* p = &rgb[(static_cast<std::size_t>(y) * width + x) * 3];
    return {p[0], p[1], p[2]};
  }
  bool has(Rgb c) const {  // whether any pixel has color c
    for (std::size_t i = 0; i + 2 < rgb.size(); i += 3)
      if (Rgb{rgb[i], rgb[i + 1], rgb[i + 2]} == c) return true;
    return false;
  }
};

// The image, or an empty one (width 0) and a test failure when the file is not a PNG.
Decoded decode(const std::filesystem::path& path);

}  // namespace heed::testing
