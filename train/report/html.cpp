#include "train/report/html.h"

namespace heed {

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string html_page_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang=en>\n<head>\n<meta charset=utf-8>\n<title>" +
         html_escape(title) +
         "</title>\n<style>\n"
         "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}\n"
         "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em "
         ".6em;text-align:right}th{background:#f4f4f4}\n"
         "pre{background:#f8f8f8;padding:1em;overflow:auto}img{margin:4px;border:1px solid #eee}\n"
         ".note{color:#8a5a00}\n</style>\n</head>\n<body>\n";
}

}  // namespace heed
