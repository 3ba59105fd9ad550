#include <cstdio>
#include <filesystem>

#include "framework/text.h"
#include "train/report/heatmap.h"
#include "train/report/report.h"

namespace heed {
namespace {

// How one family of maps is drawn and named.
struct MapStyle {
  const char* file;   // "layer" -> attention/layer0_head1.png
  const char* title;  // "layer" -> "layer 0 head 1"
  const char* row_axis;
  const char* col_axis;
};

// One picture per head of each layer's (B, H, R, C) weights (the first example), labelled with
// `rows` and `cols` when they fit; an undefined layer is skipped and noted.
AttentionPictures write_maps(const std::string& run_dir, const std::vector<Tensor>& maps,
                             const std::vector<std::string>& rows,
                             const std::vector<std::string>& cols, const MapStyle& style,
                             bool square) {
  AttentionPictures pics;
  if (maps.empty()) {
    pics.note = "this model returns no attention weights to draw";
    return pics;
  }
  const std::filesystem::path dir = std::filesystem::path(run_dir) / "attention";
  std::vector<std::string> skipped;
  for (std::size_t layer = 0; layer < maps.size(); ++layer) {
    pics.files.emplace_back();
    const Tensor& w = maps[layer];
    if (!w.defined()) {  // the variant's capabilities say returns_weights = false
      skipped.push_back(std::to_string(layer));
      continue;
    }
    if (w.dim() != 4 || w.size(0) < 1 || (square && w.size(2) != w.size(3)))
      throw Error("attention maps: layer " + std::to_string(layer) + " is " + shape_str(w.shape()) +
                  ", not " + (square ? "(B, H, T, T)" : "(B, H, R, C)"));
    const int heads = static_cast<int>(w.size(1)), r = static_cast<int>(w.size(2)),
              c = static_cast<int>(w.size(3));
    const std::vector<float> values = w.slice(0, 0, 1).to_vector();  // the first example
    const bool labelled = static_cast<int>(rows.size()) == r && static_cast<int>(cols.size()) == c;
    std::filesystem::create_directories(dir);  // only when there is something to draw
    for (int h = 0; h < heads; ++h) {
      HeatmapSpec spec;
      spec.title =
          std::string(style.title) + " " + std::to_string(layer) + " head " + std::to_string(h);
      spec.rows = r;
      spec.cols = c;
      spec.row_axis = style.row_axis;
      spec.col_axis = style.col_axis;
      spec.values.assign(values.begin() + static_cast<std::ptrdiff_t>(h) * r * c,
                         values.begin() + static_cast<std::ptrdiff_t>(h + 1) * r * c);
      if (labelled) {
        spec.row_labels = rows;
        spec.col_labels = cols;
      }
      char name[64];
      std::snprintf(name, sizeof name, "%s%zu_head%d.png", style.file, layer, h);
      write_png((dir / name).string(), draw_heatmap(spec));
      pics.files.back().push_back(std::string("attention/") + name);
    }
  }
  if (!skipped.empty())
    pics.note = "layer(s) " + join(skipped, ", ") +
                ": the attention variant does not return weights (capability returns_weights), "
                "so there is nothing to draw";
  return pics;
}

}  // namespace

std::vector<std::string> attention_tokens(const std::string& model_type, const Example& e) {
  std::vector<std::string> out;
  for (int64_t t : e.source) out.push_back(std::to_string(t));
  if (model_type == "decoder") {  // the sequence the decoder reads: source BOS target
    out.push_back("^");           // BOS: "B" reads as "8" in this font
    for (int64_t t : e.target) out.push_back(std::to_string(t));
  }
  return out;
}

AttentionPictures write_attention_pictures(const std::string& run_dir,
                                           const std::vector<Tensor>& maps,
                                           const std::vector<std::string>& tokens,
                                           const std::string& kind) {
  AttentionPictures pics =
      write_maps(run_dir, maps, tokens, tokens, {"layer", "layer", "query", "key"}, true);
  pics.kind = kind;
  pics.tokens = tokens;
  return pics;
}

AttentionPictures write_cross_attention_pictures(const std::string& run_dir,
                                                 const std::vector<Tensor>& maps,
                                                 const std::vector<std::string>& output,
                                                 const std::vector<std::string>& source,
                                                 const std::string& kind) {
  AttentionPictures pics =
      write_maps(run_dir, maps, output, source,
                 {"cross_layer", "cross-attention layer", "output", "source"}, false);
  pics.kind = kind;
  pics.tokens = source;
  pics.row_tokens = output;
  return pics;
}

}  // namespace heed
