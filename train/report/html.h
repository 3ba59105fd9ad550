// What heed's HTML pages share: escaping, and the page's head with its inline style, so that
// each page is one self-contained file next to its pictures (linked relatively).
#pragma once

#include <string>

namespace heed {

// `s` with & < > " escaped, for text and attribute values.
std::string html_escape(const std::string& s);

// "<!DOCTYPE html> ... <body>\n" with `title` and the style of heed's reports.
std::string html_page_head(const std::string& title);

}  // namespace heed
