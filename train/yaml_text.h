// Parsing YAML text with one-line errors: both configs and experiment files start here.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "train/config.h"

namespace heed {

// The YAML document in `text`; a syntax error is a ConfigError "SOURCE:LINE:COL: invalid YAML:
// what", any other yaml-cpp failure "SOURCE: invalid YAML: what".
inline YAML::Node load_yaml(const std::string& text, const std::string& source) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": invalid YAML: " + e.msg);
  }
}

}  // namespace heed
