// The run report: PNG curves and heatmaps decoded back (png_test_util.h) and checked pixel by
// pixel, report.html's links, the attention maps of both model types, and atomic writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "datasets/tasks.h"
#include "datasets/tree_tasks.h"
#include "framework/io/atomic_file.h"
#include "framework/nn/init.h"
#include "tests/train/png_test_util.h"
#include "tests/train/train_test_util.h"
#include "train/report/chart.h"
#include "train/report/font.h"
#include "train/report/heatmap.h"
#include "train/report/report.h"
#include "train/run_loader.h"
#include "train/task_model.h"

namespace heed {
namespace {

using testing::decode;
using testing::Decoded;
using testing::expect_cross_maps;
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("heed_report_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

std::set<std::string> files_under(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  return out;
}

constexpr Rgb kRed{220, 30, 30};

TEST(ReportChart, DiagonalSeriesIsDrawnOnItsLineAndNowhereElse) {
  TempDir tmp;
  ChartSpec spec;
  spec.width = 400;
  spec.height = 300;
  spec.series.push_back({"diag", kRed, {0, 100}, {0, 1}});
  spec.y_min = 0;
  spec.y_max = 1;
  write_png((tmp.path() / "c.png").string(), draw_chart(spec));
  const Decoded img = decode(tmp.path() / "c.png");
  ASSERT_EQ(img.width, 400);
  ASSERT_EQ(img.height, 300);

  const ChartFrame f = chart_frame(spec);
  EXPECT_EQ(f.x0, 0);
  EXPECT_EQ(f.x1, 100);
  EXPECT_EQ(f.y0, 0);
  EXPECT_EQ(f.y1, 1);
  // In every column of the plot area, the red pixels sit within the pen's width of y = x / 100.
  int red_columns = 0;
  for (int x = f.left + 2; x < f.right - 2; ++x) {
    const double expect_y = f.py((x - f.px(0)) / (f.px(100) - f.px(0)));
    bool any = false;
    for (int y = f.top; y <= f.bottom; ++y) {
      if (img.at(x, y) != kRed) continue;
      any = true;
      EXPECT_LE(std::abs(y - expect_y), kSeriesThickness + 1.0) << "column " << x << " row " << y;
    }
    red_columns += any;
  }
  EXPECT_EQ(red_columns, f.right - 2 - (f.left + 2)) << "the line has gaps";
  // Off the line, between grid lines (ticks every 0.2 and every 20 steps): background.
  EXPECT_EQ(img.at(static_cast<int>(f.px(50)), static_cast<int>(f.py(0.9))), kChartBackground);
  EXPECT_EQ(img.at(static_cast<int>(f.px(90)), static_cast<int>(f.py(0.1))), kChartBackground);
  // The y axis is drawn at the left edge of the plot area.
  EXPECT_EQ(img.at(f.left, (f.top + f.bottom) / 2), kChartInk);
}

TEST(ReportChart, RangeFromDataIsRoundedOutToTicks) {
  ChartSpec spec;
  spec.series.push_back({"loss", kRed, {10, 20, 830}, {2.31, 0.7, 0.013}});
  const ChartFrame f = chart_frame(spec);
  EXPECT_LE(f.x0, 10);
  EXPECT_GE(f.x1, 830);
  EXPECT_LE(f.y0, 0.013);
  EXPECT_GE(f.y1, 2.31);
  EXPECT_NEAR(std::remainder(f.y1, f.y_step), 0, 1e-9);
  EXPECT_NEAR(std::remainder(f.x1, f.x_step), 0, 1e-9);
}

// Digits with many segments, so a glyph buffer sized too small would cut the text short.
TEST(ReportFont, TextInksItsWholeBoxAndNothingOutside) {
  const std::string text = "step 8080808088";
  Image img(160, 40, {255, 255, 255});
  draw_text(img, 10, 10, text, {0, 0, 0});
  const int w = text_width(text);
  EXPECT_GT(w, 80);
  int inked = 0, rightmost = -1;
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 160; ++x) {
      if (img.at(x, y) == Rgb{255, 255, 255}) continue;
      ++inked;
      rightmost = std::max(rightmost, x);
      EXPECT_TRUE(x >= 10 && x <= 10 + w && y >= 10 && y < 10 + kTextHeight) << x << "," << y;
    }
  EXPECT_GT(inked, 100);
  EXPECT_GE(rightmost, 10 + w - 2) << "the last glyph is missing";
}

TEST(ReportHeatmap, CellsHaveTheirWeightsColor) {
  TempDir tmp;
  HeatmapSpec spec;
  spec.title = "layer 0 head 0";
  spec.rows = spec.cols = 3;
  spec.values = {1, 0, 0, 0, 1, 0, 0.25f, 0, 0.75f};
  spec.row_labels = spec.col_labels = {"3", "7", "B"};
  write_png((tmp.path() / "h.png").string(), draw_heatmap(spec));
  const Decoded img = decode(tmp.path() / "h.png");
  const HeatmapFrame f = heatmap_frame(spec);
  EXPECT_TRUE(f.labels);
  EXPECT_EQ(img.height, f.top + 3 * f.cell + 16);
  EXPECT_GE(img.width, f.left + 3 * f.cell);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(img.at(f.left + c * f.cell + f.cell / 2, f.top + r * f.cell + f.cell / 2),
                heat_color(spec.values[r * 3 + c]))
          << "cell " << r << "," << c;
  EXPECT_EQ(heat_color(0), (Rgb{255, 255, 255}));
  EXPECT_NE(heat_color(0.25f), heat_color(0.75f));
}

TEST(ReportHeatmap, WrongValueCountIsAnError) {
  HeatmapSpec spec;
  spec.rows = spec.cols = 2;
  spec.values = {1, 0, 0};
  EXPECT_THROW(draw_heatmap(spec), Error);
}

const char* kMetrics =
    "{\"step\":10,\"loss\":2.0,\"lr\":0.001}\n"
    "{\"step\":20,\"loss\":1.0,\"lr\":0.001}\n"
    "{\"step\":20,\"eval\":{\"loss\":1.1,\"token_acc\":0.5,\"exact_seq_acc\":0.25},"
    "\"eval_length_40\":{\"loss\":3.0,\"token_acc\":0.1,\"exact_seq_acc\":0.0}}\n"
    "{\"step\":30,\"loss\":0.5,\"lr\":0.001}\n"
    "{\"step\":40,\"eval\":{\"loss\":0.4,\"token_acc\":0.9,\"exact_seq_acc\":0.75}}\n"
    "{\"step\":50,\"eval\":{\"loss\":0.6,\"token_acc\":0.8,\"exact_seq_acc\":0.5}}\n"
    "{\"step\":60,\"loss\":0.";  // torn by a crash

TEST(ReportMetrics, ReadsLossesAndEvaluationsAndSkipsATornLine) {
  TempDir tmp;
  write_file_atomically((tmp.path() / "metrics.jsonl").string(), kMetrics);
  MetricsHistory h = read_metrics_history((tmp.path() / "metrics.jsonl").string());
  EXPECT_EQ(h.steps, (std::vector<double>{10, 20, 30}));
  EXPECT_EQ(h.losses, (std::vector<double>{2.0, 1.0, 0.5}));
  ASSERT_EQ(h.evals.size(), 3u);
  EXPECT_EQ(h.evals[0].get("eval_length_40", "loss"), 3.0);
  EXPECT_TRUE(std::isnan(h.evals[1].get("eval_length_40", "loss")));
  ASSERT_NE(h.best(), nullptr);
  EXPECT_EQ(h.best()->step, 40);  // highest exact-sequence accuracy, not the last
  EXPECT_TRUE(read_metrics_history((tmp.path() / "missing.jsonl").string()).evals.empty());
}

// A fake run directory with everything the trainer writes before the report.
void fake_run(const fs::path& dir) {
  write_file_atomically((dir / "config.yaml").string(), "task: {name: copy}  # <tag>\n");
  write_file_atomically((dir / "run.json").string(), "{\"git_commit\": \"abc123def456\"}\n");
  write_file_atomically((dir / "metrics.jsonl").string(), kMetrics);
}

std::vector<Tensor> two_layer_maps(bool second_has_weights) {
  // layer 0: 2 heads over 3 tokens, each row a distribution.
  std::vector<float> w(2 * 3 * 3, 1.0f / 3);
  return {Tensor::from_vector(w, {1, 2, 3, 3}),
          second_has_weights ? Tensor::from_vector(w, {1, 2, 3, 3}) : Tensor()};
}

TEST(ReportHtml, ReferencesOnlyFilesThatExist) {
  TempDir tmp;
  fake_run(tmp.path());
  MetricsHistory h = read_metrics_history((tmp.path() / "metrics.jsonl").string());
  std::vector<std::string> curves = write_curves(tmp.str(), h);
  AttentionPictures a =
      write_attention_pictures(tmp.str(), two_layer_maps(true), {"3", "7", "9"}, "Encoder");
  write_report_html(tmp.str(), h, curves, a, "training");

  const std::string html = read_file((tmp.path() / "report.html").string());
  std::set<std::string> linked;
  const std::regex src("src=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), src); it != std::sregex_iterator();
       ++it)
    linked.insert((*it)[1]);
  EXPECT_EQ(linked,
            (std::set<std::string>{"plots/loss.png", "plots/accuracy.png",
                                   "attention/layer0_head0.png", "attention/layer0_head1.png",
                                   "attention/layer1_head0.png", "attention/layer1_head1.png"}));
  for (const std::string& f : linked) {
    EXPECT_TRUE(fs::is_regular_file(tmp.path() / f)) << f;
    EXPECT_GT(decode(tmp.path() / f).width, 0) << f;
  }
  EXPECT_NE(html.find("abc123def456"), std::string::npos);              // provenance
  EXPECT_NE(html.find("# &lt;tag&gt;"), std::string::npos);             // config, escaped
  EXPECT_NE(html.find("<th>best</th><td>40</td>"), std::string::npos);  // best evaluation
  EXPECT_NE(html.find("<th>final</th><td>50</td>"), std::string::npos);
  EXPECT_NE(html.find("length 40 exact seq acc"), std::string::npos);
}

TEST(ReportAttention, LayerWithoutWeightsIsSkippedWithANote) {
  TempDir tmp;
  AttentionPictures a = write_attention_pictures(tmp.str(), two_layer_maps(false), {}, "Encoder");
  ASSERT_EQ(a.files.size(), 2u);
  EXPECT_EQ(a.files[0].size(), 2u);
  EXPECT_TRUE(a.files[1].empty());
  EXPECT_NE(a.note.find("layer(s) 1"), std::string::npos) << a.note;
  EXPECT_EQ(files_under(tmp.path()),
            (std::set<std::string>{"attention/layer0_head0.png", "attention/layer0_head1.png"}));
  EXPECT_FALSE(write_attention_pictures(tmp.str(), {}, {}, "Encoder").note.empty());
}

// Cross-attention pictures: rows are the output (its steps), columns the source; named apart from
// the self-attention ones and labelled on both axes.
TEST(ReportAttention, CrossAttentionPicturesHaveOutputRowsAndSourceColumns) {
  TempDir tmp;
  std::vector<float> w(2 * 4 * 3, 0.0f);  // 2 heads, 4 output steps, 3 source tokens
  for (int h = 0; h < 2; ++h)
    for (int i = 0; i < 4; ++i) w[(h * 4 + i) * 3 + std::min(i, 2)] = 1.0f;
  const std::vector<Tensor> maps = {Tensor::from_vector(w, {1, 2, 4, 3}), Tensor()};
  const std::vector<std::string> output = {"3", "7", "9", "$"}, source = {"3", "7", "9"};
  AttentionPictures a = write_cross_attention_pictures(tmp.str(), maps, output, source, "Cross");
  EXPECT_EQ(a.tokens, source);
  EXPECT_EQ(a.row_tokens, output);
  EXPECT_NE(a.note.find("layer(s) 1"), std::string::npos) << a.note;
  EXPECT_EQ(files_under(tmp.path()), (std::set<std::string>{"attention/cross_layer0_head0.png",
                                                            "attention/cross_layer0_head1.png"}));
  // The picture is 4 cells high and 3 wide, each cell the color of its weight.
  HeatmapSpec spec;
  spec.rows = 4;
  spec.cols = 3;
  spec.row_labels = output;
  spec.col_labels = source;
  const HeatmapFrame f = heatmap_frame(spec);
  EXPECT_TRUE(f.labels);
  const Decoded img = decode(tmp.path() / "attention/cross_layer0_head1.png");
  EXPECT_EQ(img.height, f.top + 4 * f.cell + 16);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(img.at(f.left + c * f.cell + f.cell / 2, f.top + r * f.cell + f.cell / 2),
                heat_color(c == std::min(r, 2) ? 1.0f : 0.0f))
          << "cell " << r << "," << c;
  // Wrong ranks are an error, as for self-attention.
  EXPECT_THROW(write_cross_attention_pictures(tmp.str(), {Tensor::zeros({4, 3})}, {}, {}, "x"),
               Error);
}

Config tiny_config(const std::string& model_type, const std::string& attention) {
  std::vector<std::string> overrides = {"model.type=" + model_type,
                                        "model.d_model=16",
                                        "model.heads=2",
                                        "model.d_ff=32",
                                        "model.decoder_layers=2",
                                        "model.attention.type=" + attention,
                                        "task.max_len=6"};
  if (model_type != "decoder") overrides.push_back("model.encoder_layers=1");
  return load_config("", overrides);
}

TEST(ReportAttention, DecoderMapsCoverSourceBosTarget) {
  Config c = tiny_config("decoder", "mha");
  seed_init(1);
  std::unique_ptr<TaskModel> model = make_task_model(c, 12);
  Example e{{3, 4, 5}, {3, 4, 5}};
  std::vector<Tensor> maps = model->attention_maps(e);
  ASSERT_EQ(maps.size(), 2u);
  ASSERT_EQ(maps[0].shape(), (Shape{1, 2, 7, 7}));
  EXPECT_EQ(attention_tokens("decoder", e),
            (std::vector<std::string>{"3", "4", "5", "^", "3", "4", "5"}));
  // Causal: nothing above the diagonal.
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = i + 1; j < 7; ++j) EXPECT_EQ(maps[1].at({0, 1, i, j}), 0.0f);
}

TEST(ReportRun, RefreshWritesEverythingAndFailsCleanlyWithoutTouchingOldFiles) {
  TempDir tmp;
  fake_run(tmp.path());
  Config c = tiny_config("seq2seq", "mha");
  seed_init(1);
  std::unique_ptr<Task> task = make_config_task(c);
  std::unique_ptr<TaskModel> model = make_task_model(c, task->vocab());
  std::vector<Example> eval_set = generate(*task, c.seed, 1, 0, 8, 1, 6);
  ASSERT_EQ(refresh_report(tmp.str(), c, *model, eval_set, "training"), "");
  const std::set<std::string> written = files_under(tmp.path());
  for (const char* f : {"report.html", "plots/loss.png", "plots/accuracy.png",
                        "attention/layer0_head0.png", "attention/layer0_head1.png"})
    EXPECT_TRUE(written.count(f)) << f;
  const std::string before = read_file((tmp.path() / "report.html").string());
  const std::string loss_before = read_file((tmp.path() / "plots/loss.png").string());

  // An I/O failure just before the rename: the error comes back as a message, every file keeps
  // its previous content and no temporary file is left behind.
  write_file_atomically((tmp.path() / "metrics.jsonl").string(),
                        std::string(kMetrics) + "\n{\"step\":70,\"loss\":0.1}\n");
  set_fault_hook([](const char* point) {
    if (std::string(point) == "before_rename") throw Error("injected failure");
  });
  const std::string error = refresh_report(tmp.str(), c, *model, eval_set, "stopped");
  set_fault_hook(nullptr);
  EXPECT_NE(error.find("injected failure"), std::string::npos) << error;
  EXPECT_EQ(read_file((tmp.path() / "report.html").string()), before);
  EXPECT_EQ(read_file((tmp.path() / "plots/loss.png").string()), loss_before);
  EXPECT_EQ(files_under(tmp.path()), written);
}

TEST(ReportAttention, CrossAttentionMapsOfEachModelType) {
  const Example e{{3, 4, 5, 6}, {6, 5}};
  seed_init(1);
  // seq2seq: one (1, heads, T + 1, S) per decoder layer.
  expect_cross_maps(make_task_model(tiny_config("seq2seq", "mha"), 12)->cross_attention_maps(e), e,
                    2, 2);
  // rnn: its one attention, one head.
  Config rnn = load_config("", {"model.type=rnn", "model.d_model=16", "model.attention=additive",
                                "model.encoder_layers=2", "model.decoder_layers=2"});
  expect_cross_maps(make_task_model(rnn, 12)->cross_attention_maps(e), e, 1, 1);
  // No cross-attention: nothing.
  EXPECT_TRUE(
      make_task_model(tiny_config("decoder", "mha"), 12)->cross_attention_maps(e).layers.empty());
}

// Tree to sequence: the decoder attends over the tree encoder's nodes, so the columns are the
// nodes (pre-order) and the rows the output's atoms, then EOS.
TEST(ReportAttention, TreeToSequenceCrossAttentionIsOverTheNodes) {
  Config c =
      load_config("", {"task={name: tree_traversal, max_len: 20}", "model.type=seq2seq",
                       "model.encoder=tree", "model.d_model=16", "model.heads=2", "model.d_ff=32",
                       "model.encoder_layers=1", "model.decoder_layers=2", "model.attention=mha"});
  std::unique_ptr<Task> task = make_config_task(c);
  const auto& tree_task = dynamic_cast<const TreeTask&>(*task);
  seed_init(1);
  std::unique_ptr<TaskModel> model = make_task_model(c, *task);
  Example e = task->eval_examples(c.seed, 1, 3, 20).at(0);
  const CrossAttentionMaps maps = model->cross_attention_maps(e);
  const std::vector<std::string> nodes = tree_task.node_names(e.source);
  EXPECT_EQ(maps.columns, nodes);
  ASSERT_EQ(maps.rows.size(), e.target.size() + 1);
  EXPECT_EQ(maps.rows.front(), tree_task.tree_vocab().name(e.target.front()));
  EXPECT_EQ(maps.rows.back(), "$");
  ASSERT_EQ(maps.layers.size(), 2u);
  const int64_t N = static_cast<int64_t>(nodes.size()), T = static_cast<int64_t>(e.target.size());
  for (const Tensor& w : maps.layers) {
    ASSERT_EQ(w.shape(), (Shape{1, 2, T + 1, N}));
    for (int64_t i = 0; i <= T; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < N; ++j) sum += w.at({0, 1, i, j});
      EXPECT_NEAR(sum, 1.0, 1e-5) << "row " << i;
    }
  }
}

// The report of an encoder-decoder shows where it looked while writing its own greedy output, in
// cross_layerL_headH.png under their own heading; the decoder-only model has no such section.
TEST(ReportRun, CrossAttentionOfTheModelsOwnOutputHasItsOwnSection) {
  for (const char* type : {"seq2seq", "rnn", "decoder"}) {
    SCOPED_TRACE(type);
    TempDir tmp;
    fake_run(tmp.path());
    Config c = std::string(type) == "rnn"
                   ? load_config("", {"model.type=rnn", "model.d_model=16",
                                      "model.attention=additive", "task.max_len=6"})
                   : tiny_config(type, "mha");
    seed_init(1);
    std::unique_ptr<TaskModel> model = make_task_model(c, 12);
    std::vector<Example> eval_set = {{{3, 4, 5}, {3, 4, 5}}};
    ASSERT_EQ(refresh_report(tmp.str(), c, *model, eval_set, "training"), "");
    const std::string html = read_file((tmp.path() / "report.html").string());
    std::set<std::string> cross;
    for (const std::string& f : files_under(tmp.path()))
      if (f.rfind("attention/cross_", 0) == 0) cross.insert(f);
    if (std::string(type) == "decoder") {
      EXPECT_TRUE(cross.empty());
      EXPECT_EQ(html.find("Cross-attention"), std::string::npos);
      continue;
    }
    const std::set<std::string> want =
        std::string(type) == "rnn"
            ? std::set<std::string>{"attention/cross_layer0_head0.png"}
            : std::set<std::string>{
                  "attention/cross_layer0_head0.png", "attention/cross_layer0_head1.png",
                  "attention/cross_layer1_head0.png", "attention/cross_layer1_head1.png"};
    EXPECT_EQ(cross, want);
    const std::size_t heading = html.find("<h2>Cross-attention</h2>");
    ASSERT_NE(heading, std::string::npos);
    for (const std::string& f : want) EXPECT_GT(html.find("src=\"" + f + "\""), heading) << f;
    // The rows are the model's own greedy output, whatever it is: the sentence names it.
    EXPECT_NE(html.find("writes its own greedy output <code>", heading), std::string::npos);
    EXPECT_NE(html.find("for the input <code>3 4 5</code>", heading), std::string::npos);
  }
}

TEST(ReportRun, VariantWithoutWeightsIsNotedNotFatal) {
  TempDir tmp;
  fake_run(tmp.path());
  Config c = tiny_config("seq2seq", "linear");
  seed_init(1);
  std::unique_ptr<TaskModel> model = make_task_model(c, 12);
  std::vector<Example> eval_set = {{{3, 4, 5}, {3, 4, 5}}};
  ASSERT_EQ(refresh_report(tmp.str(), c, *model, eval_set, "training"), "");
  const std::string html = read_file((tmp.path() / "report.html").string());
  EXPECT_NE(html.find("does not return weights"), std::string::npos);
  // No self-attention picture (the decoder's cross-attention, mha, still has its own).
  for (const std::string& f : files_under(tmp.path()))
    EXPECT_NE(f.rfind("attention/layer", 0), 0u) << f;
  // A decoder-only model with that variant has nothing to draw: not even an empty folder.
  TempDir lm;
  fake_run(lm.path());
  std::unique_ptr<TaskModel> decoder = make_task_model(tiny_config("decoder", "linear"), 12);
  ASSERT_EQ(refresh_report(lm.str(), tiny_config("decoder", "linear"), *decoder, eval_set, "x"),
            "");
  EXPECT_FALSE(fs::exists(lm.path() / "attention"));
}

}  // namespace
}  // namespace heed
