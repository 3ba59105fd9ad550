#include "train/experiment/results_html.h"

#include "framework/text.h"
#include "train/report/html.h"

namespace heed {
namespace {

// Escaped text with markdown's **bold** as <b>.
std::string inline_html(const std::string& text) {
  std::string out;
  bool bold = false;
  std::size_t at = 0;
  for (std::size_t star; (star = text.find("**", at)) != std::string::npos; at = star + 2) {
    out += html_escape(text.substr(at, star - at)) + (bold ? "</b>" : "<b>");
    bold = !bold;
  }
  return out + html_escape(text.substr(at)) + (bold ? "</b>" : "");
}

// One markdown table row "| a | b |" as <tr>, its cells <th> in the header row.
std::string table_row(const std::string& line, bool header) {
  const std::string tag = header ? "th" : "td";
  std::string row = "<tr>";
  std::string inner = line.substr(1, line.size() - (line.ends_with("|") ? 2 : 1));
  for (const std::string& cell : split(inner, '|')) {
    const std::size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
    const std::string text = a == std::string::npos ? "" : cell.substr(a, b - a + 1);
    row += "<" + tag + ">" + inline_html(text) + "</" + tag + ">";
  }
  return row + "</tr>\n";
}

// results.md's lines: headings, tables, paragraphs.
std::string markdown_html(const std::string& md) {
  std::string html;
  bool in_table = false;
  for (const std::string& line : split(md, '\n')) {
    const bool table_line = line.starts_with("|");
    if (in_table && !table_line) html += "</table>\n";
    if (table_line && line.starts_with("|---")) continue;  // the header's separator
    if (table_line) {
      html += (in_table ? "" : "<table>\n") + table_row(line, !in_table);
    } else if (line.starts_with("## ")) {
      html += "<h2>" + inline_html(line.substr(3)) + "</h2>\n";
    } else if (line.starts_with("# ")) {
      html += "<h1>" + inline_html(line.substr(2)) + "</h1>\n";
    } else if (!line.empty()) {
      html += "<p>" + inline_html(line) + "</p>\n";
    }
    in_table = table_line;
  }
  return html + (in_table ? "</table>\n" : "");
}

}  // namespace

std::string results_html(const std::string& title, const std::string& results_md,
                         const std::vector<std::string>& plots) {
  std::string s = html_page_head("heed experiment " + title) + markdown_html(results_md);
  s += "<h2>Plots</h2>\n<div>";
  for (const std::string& p : plots)
    s += "<img src=\"" + html_escape(p) + "\" alt=\"" + html_escape(p) + "\">";
  return s + "</div>\n<p>results.csv has every run; plots/ the pictures.</p>\n</body>\n</html>\n";
}

}  // namespace heed
