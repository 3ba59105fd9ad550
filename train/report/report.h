// The pictures and the page of a run directory, rebuilt from what the run has written so far:
//
//   plots/loss.png                 training loss per logged step, eval loss per evaluation
//   plots/accuracy.png             token and exact-sequence accuracy per evaluation
//   attention/layerL_headH.png     the attention weights on one fixed held-out input
//   attention/cross_layerL_headH.png  an encoder–decoder's attention over that input while it
//                                  writes its own greedy output (rows: output, columns: source)
//   report.html                    config, provenance, metrics, evaluations and the pictures
//
// Every file is written atomically, so a reader (or a crash) sees the old version or the new one.
#pragma once

#include <string>
#include <vector>

#include "datasets/batch.h"
#include "framework/tensor.h"
#include "train/config.h"
#include "train/report/metrics_history.h"

namespace heed {

class TaskModel;

// plots/loss.png and plots/accuracy.png; returns their paths relative to run_dir.
std::vector<std::string> write_curves(const std::string& run_dir, const MetricsHistory& history);

struct AttentionPictures {
  std::string kind;                             // e.g. "encoder self-attention"
  std::vector<std::string> tokens;              // the input's tokens, as the axes show them
  std::vector<std::string> row_tokens;          // cross-attention: the output's, down the rows
  std::vector<std::vector<std::string>> files;  // [layer][head], relative to run_dir
  std::string note;                             // why there are none, or none for some layers
};

// maps: one (1, H, T, T) tensor per layer; an undefined one is a layer whose attention variant
// returns no weights (skipped and noted). tokens: T labels, or empty for none.
AttentionPictures write_attention_pictures(const std::string& run_dir,
                                           const std::vector<Tensor>& maps,
                                           const std::vector<std::string>& tokens,
                                           const std::string& kind);

// attention/cross_layerL_headH.png: maps is one (1, H, R, C) tensor per decoder layer (undefined:
// no weights), row r the step that writes output[r], column c source position c; output and
// source label them (skipped when their sizes differ from the maps').
AttentionPictures write_cross_attention_pictures(const std::string& run_dir,
                                                 const std::vector<Tensor>& maps,
                                                 const std::vector<std::string>& output,
                                                 const std::vector<std::string>& source,
                                                 const std::string& kind);

// report.html from config.yaml, run.json, the history and the pictures. `status` says where the
// run is ("in progress", or how it stopped). `cross` gets its own heading when it has a kind.
void write_report_html(const std::string& run_dir, const MetricsHistory& history,
                       const std::vector<std::string>& curves, const AttentionPictures& attention,
                       const std::string& status, const AttentionPictures& cross = {});

// All of the above for a training run: the sample is a fixed short input from eval_set. Never
// throws: a report that cannot be written must not stop training; returns the reason instead
// ("" on success).
std::string refresh_report(const std::string& run_dir, const Config& config, TaskModel& model,
                           const std::vector<Example>& eval_set, const std::string& status);

// The tokens of an example as the model's attention sees them, for axis labels: the source for
// seq2seq; "source ^ target" for decoder-only (^ marks BOS).
std::vector<std::string> attention_tokens(const std::string& model_type, const Example& example);

}  // namespace heed
