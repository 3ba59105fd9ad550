// DIR/report.html: results.md's headings, text and tables as HTML (the best means in bold), then
// the plots (results_plots.h), linked relatively: one self-contained page next to plots/.
#pragma once

#include <string>
#include <vector>

namespace heed {

// The page for `results_md` (as results_markdown writes it) and `plots` (paths relative to DIR).
std::string results_html(const std::string& title, const std::string& results_md,
                         const std::vector<std::string>& plots);

}  // namespace heed
