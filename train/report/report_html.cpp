#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <set>

#include "framework/io/atomic_file.h"
#include "train/report/html.h"
#include "train/report/report.h"

namespace heed {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

std::string number(double v, const char* format = "%.4f") {
  if (!std::isfinite(v)) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// A file of the run directory, or "" when it is missing or unreadable (the report shows that).
std::string read_optional(const fs::path& p) {
  try {
    return fs::exists(p) ? read_file(p.string()) : "";
  } catch (const std::exception&) {
    return "";
  }
}

std::string metrics_row(const char* what, const EvalPoint* e) {
  if (!e) return std::string("<tr><th>") + what + "</th><td colspan=4>no evaluation yet</td></tr>";
  return std::string("<tr><th>") + what + "</th><td>" + std::to_string(e->step) + "</td><td>" +
         number(e->get("eval", "loss")) + "</td><td>" + number(e->get("eval", "token_acc")) +
         "</td><td>" + number(e->get("eval", "exact_seq_acc")) + "</td></tr>\n";
}

std::string evaluations_table(const MetricsHistory& h) {
  std::set<std::string> lengths;  // eval_length_N groups, in the order N sorts as text
  for (const EvalPoint& e : h.evals)
    for (const auto& [g, m] : e.groups)
      if (g != "eval") lengths.insert(g);
  std::string s = "<table>\n<tr><th>step</th><th>loss</th><th>token acc</th><th>exact seq acc</th>";
  for (const std::string& g : lengths)
    s += "<th>length " + html_escape(g.substr(g.rfind('_') + 1)) + " exact seq acc</th>";
  s += "</tr>\n";
  for (const EvalPoint& e : h.evals) {
    s += "<tr><td>" + std::to_string(e.step) + "</td><td>" + number(e.get("eval", "loss")) +
         "</td><td>" + number(e.get("eval", "token_acc")) + "</td><td>" +
         number(e.get("eval", "exact_seq_acc")) + "</td>";
    for (const std::string& g : lengths) s += "<td>" + number(e.get(g, "exact_seq_acc")) + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string provenance_table(const std::string& run_json) {
  json j = json::parse(run_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "<p>run.json is missing or unreadable.</p>\n";
  std::string s = "<table>\n";
  for (const auto& [k, v] : j.items())
    s += "<tr><th>" + html_escape(k) + "</th><td>" +
         html_escape(v.is_string() ? v.get<std::string>() : v.dump()) + "</td></tr>\n";
  return s + "</table>\n";
}

std::string joined(const std::vector<std::string>& tokens) {
  std::string out;
  for (const std::string& t : tokens) out += (out.empty() ? "" : " ") + t;
  return out;
}

std::string picture_rows(const AttentionPictures& a) {
  std::string s;
  if (!a.note.empty()) s += "<p class=note>" + html_escape(a.note) + "</p>\n";
  for (std::size_t layer = 0; layer < a.files.size(); ++layer) {
    if (a.files[layer].empty()) continue;
    s += "<div class=layer>";
    for (const std::string& f : a.files[layer])
      s += "<img src=\"" + html_escape(f) + "\" alt=\"" + html_escape(f) + "\">";
    s += "</div>\n";
  }
  return s;
}

// An encoder–decoder's attention over the source while it writes; nothing for other models.
std::string cross_attention_section(const AttentionPictures& a) {
  if (a.kind.empty()) return "";
  std::string s = "<h2>Cross-attention</h2>\n<p>" + html_escape(a.kind) +
                  " while the model writes its own greedy output <code>" +
                  html_escape(joined(a.row_tokens)) + "</code> for the input <code>" +
                  html_escape(joined(a.tokens)) +
                  "</code> (rows: output tokens, $ is EOS; columns: source tokens; darker is "
                  "more weight).</p>\n";
  return s + picture_rows(a);
}

std::string attention_section(const AttentionPictures& a) {
  std::string s = "<h2>Attention</h2>\n";
  if (!a.kind.empty()) {
    s += "<p>" + html_escape(a.kind) + " on one fixed held-out input";
    if (!a.tokens.empty()) s += ": <code>" + html_escape(joined(a.tokens)) + "</code>";
    s += " (rows: queries, columns: keys; darker is more weight; ^ is BOS).</p>\n";
  }
  return s + picture_rows(a);
}

}  // namespace

void write_report_html(const std::string& run_dir, const MetricsHistory& history,
                       const std::vector<std::string>& curves, const AttentionPictures& attention,
                       const std::string& status, const AttentionPictures& cross) {
  const fs::path dir(run_dir);
  const std::string name = fs::absolute(dir).lexically_normal().filename().string();
  std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  const std::string config = read_optional(dir / "config.yaml");

  std::string s = html_page_head("heed run " + name) + "<h1>heed run " + html_escape(name) +
                  "</h1>\n<p>Status: " + html_escape(status) + ". Report written " + when +
                  "; it is rebuilt after every evaluation.</p>\n";

  s += "<h2>Metrics</h2>\n<table>\n<tr><th></th><th>step</th><th>loss</th><th>token "
       "acc</th><th>exact seq acc</th></tr>\n";
  s += metrics_row("final", history.evals.empty() ? nullptr : &history.evals.back());
  s += metrics_row("best", history.best());
  s += "</table>\n<h2>Curves</h2>\n<div>";
  for (const std::string& c : curves)
    s += "<img src=\"" + html_escape(c) + "\" alt=\"" + html_escape(c) + "\">";
  s += "</div>\n";
  s += attention_section(attention);
  s += cross_attention_section(cross);
  s += "<h2>Evaluations</h2>\n" +
       (history.evals.empty() ? std::string("<p>none yet</p>\n") : evaluations_table(history));
  s += "<h2>Provenance (run.json)</h2>\n" + provenance_table(read_optional(dir / "run.json"));
  s += "<h2>Config (resolved)</h2>\n<pre>" +
       (config.empty() ? std::string("config.yaml is missing") : html_escape(config)) + "</pre>\n";
  s += "</body>\n</html>\n";
  write_file_atomically((dir / "report.html").string(), s);
}

}  // namespace heed
