// The config's schema: every key once, with its documentation, range or choices, in the visit()
// functions that the reader, the writer, the reference and `heed list` walk (config.cpp). The
// chosen task's own keys come from its registration (datasets/task_registry.h). Internal to
// train/config.cpp and its helpers.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "datasets/task_registry.h"
#include "train/config.h"
#include "train/model_registry.h"

namespace heed::config_detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
struct Range {
  double lo = -kInf, hi = kInf;
};
using OneOf = std::vector<std::string>;

inline const OneOf kStopMetrics = {"exact_seq_acc", "token_acc", "accuracy", "loss"};

inline OneOf model_names() {
  OneOf names;
  for (const ModelType* t : model_types()) names.push_back(t->name);
  return names;
}

inline OneOf task_names() {
  OneOf names;
  for (const TaskType* t : task_types()) names.push_back(t->name);
  return names;
}

// ---- the schema: every key, once ----

template <class V>
void visit(V& v, TaskConfig& t) {
  v.field("name", t.name, "task to train (heed list tasks)", task_names());
  v.field("min_len", t.min_len,
          "shortest training source, in the task's units (heed list tasks); tasks reading files "
          "refuse shorter training lines",
          Range{1, 1 << 16});
  v.field("max_len", t.max_len,
          "longest training source, in the task's units; tasks reading files refuse longer "
          "training lines",
          Range{1, 1 << 16});
  v.field("eval_lengths", t.eval_lengths,
          "extra lengths to evaluate at (length generalization; generated tasks only)",
          Range{1, 1 << 16});
  v.task_options(t);  // the chosen task's own keys (datasets/task_registry.h)
}

template <class V>
void visit(V& v, ModelConfig& m) {
  v.field("type", m.type, "model family (heed list models)", model_names());
  v.field("d_model", m.d_model,
          "width of the residual stream (rnn: the GRUs' hidden size and the embeddings' width)",
          Range{1, 1 << 16});
  v.field("heads", m.heads, "attention heads (d_model must divide evenly; rnn: one, not read)",
          Range{1, 1024});
  v.field("d_ff", m.d_ff, "feed-forward hidden width", Range{1, 1 << 18});
  v.field("encoder_layers", m.encoder_layers,
          "encoder layers (seq2seq, classifier; tree_encoder: its layers; rnn: stacked GRU "
          "layers)",
          Range{0, 256});
  v.field("decoder_layers", m.decoder_layers, "decoder layers (rnn: stacked GRU layers)",
          Range{1, 256});
  v.field("dropout", m.dropout, "dropout probability (training only)", Range{0, 0.99});
  v.field("position", m.position,
          "positions: sinusoidal | learned | none | tree (tree_encoder: Shiv & Quirk's tree "
          "positions; no learned)",
          OneOf{"sinusoidal", "learned", "none", "tree"});
  v.field("max_len", m.max_len, "longest sequence for learned positions", Range{1, 1 << 20});
  v.field("attention", m.attention,
          "attention variant: {type: NAME, OPTION: VALUE, ...} (heed list attention; rnn: its "
          "one-head cross-attention, a variant with capability cross, additive when not named)");
  v.field("pooling", m.pooling,
          "classifier: mean | first; tree_encoder: root | mean (over the nodes)",
          OneOf{"mean", "first", "root"});
  v.field(
      "composition", m.composition,
      "tree_encoder: none (attention layers over the nodes) | child_attention (bottom-up, "
      "each node attends to its children) | child_fold (experimental: bottom-up, a GRU folds the "
      "children in one at a time)",
      OneOf{"none", "child_attention", "child_fold"});
  v.field("encoder", m.encoder,
          "seq2seq: transformer (over the flat tokens) | tree (a tree encoder over the source "
          "tree's nodes, with composition, position and attention as tree_encoder's; tree tasks "
          "with sequence targets)",
          OneOf{"transformer", "tree"});
  v.field("max_depth", m.max_depth, "tree positions: levels encoded", Range{1, 256});
  v.field("max_branch", m.max_branch, "tree positions: branches per level encoded", Range{1, 256});
}

template <class V>
void visit(V& v, OptimizerConfig& o) {
  v.field("type", o.type, "adamw | adam | sgd", OneOf{"adamw", "adam", "sgd"});
  v.field("lr", o.lr, "peak learning rate (too large diverges: train.on_nonfinite)", Range{0, 1e9});
  v.field("weight_decay", o.weight_decay, "weight decay (decoupled for adamw, L2 otherwise)",
          Range{0, 10});
  v.field("beta1", o.beta1, "Adam β1", Range{0, 0.999999});
  v.field("beta2", o.beta2, "Adam β2", Range{0, 0.999999999});
  v.field("eps", o.eps, "Adam ε", Range{0, 1});
  v.field("momentum", o.momentum, "SGD momentum", Range{0, 0.999999});
  v.field("nesterov", o.nesterov, "SGD Nesterov momentum");
}

template <class V>
void visit(V& v, ScheduleConfig& s) {
  v.field("type", s.type,
          "constant | cosine (linear warmup, cosine decay to min_lr) | inverse_sqrt",
          OneOf{"constant", "cosine", "inverse_sqrt"});
  v.field("warmup", s.warmup,
          "linear warmup steps (one longer than train.steps is clamped to it, with a note)",
          Range{0, 1e9});
  v.field("min_lr", s.min_lr, "final learning rate of the cosine schedule", Range{0, 10});
}

template <class V>
void visit(V& v, TrainConfig& t) {
  v.field("steps", t.steps, "optimizer steps", Range{1, 1e9});
  v.field("batch_size", t.batch_size, "examples per step", Range{1, 1 << 20});
  v.field("grad_accum", t.grad_accum, "micro-batches accumulated per step", Range{1, 1024});
  v.section("optimizer", t.optimizer);
  v.section("schedule", t.schedule);
  v.field("clip", t.clip, "global gradient-norm clipping (0: off)", Range{0, 1e9});
  v.field("label_smoothing", t.label_smoothing, "label smoothing of the loss", Range{0, 1});
  v.field("log_every", t.log_every, "steps between metric lines", Range{1, 1e9});
  v.field("eval_every", t.eval_every, "steps between evaluations", Range{1, 1e9});
  v.field("eval_examples", t.eval_examples, "fresh held-out examples per evaluation",
          Range{1, 1e7});
  v.field("checkpoint_every", t.checkpoint_every, "steps between checkpoints", Range{1, 1e9});
  v.field("keep_checkpoints", t.keep_checkpoints, "latest checkpoints kept (plus the best)",
          Range{1, 1000});
  v.field("stop_at", t.stop_at,
          "stop early when an evaluation reaches these, e.g. {exact_seq_acc: 0.99}", kStopMetrics);
  v.field("max_minutes", t.max_minutes, "wall-time budget in minutes (0: none)", Range{0, 1e7});
  v.field("bucketing", t.bucketing,
          "file: batches of examples of similar length, in a seeded order (false: shuffled)");
  v.field("on_nonfinite", t.on_nonfinite,
          "a step with a non-finite loss or gradient: stop (naming the parameter; the last "
          "checkpoint is kept) | skip (no update; counted as skipped_steps in metrics.jsonl)",
          OneOf{"stop", "skip"});
  v.field("precision", t.precision,
          "matrix products: fp32 | bf16 (operands rounded to bfloat16, fp32 sums; weights, "
          "optimizer state, softmax, layernorm and loss stay fp32)",
          OneOf{"fp32", "bf16"});
}

template <class V>
void visit(V& v, DistConfig& d) {
  v.field("timeout_s", d.timeout_s,
          "mpirun: seconds a rank waits for the others before ending the job (0: forever)",
          Range{0, 1e7});
}

template <class V>
void visit(V& v, Config& c) {
  v.section("task", c.task);
  v.section("model", c.model);
  v.section("train", c.train);
  v.section("dist", c.dist);
  v.field("seed", c.seed, "seed of data, initialization and dropout",
          Range{0, 9.007199254740992e15});
  v.field("threads", c.threads, "threads for every kernel (0: all cores)", Range{0, 1024});
  v.field("out_dir", c.out_dir, "run directory (config, metrics, checkpoints, report)");
}

}  // namespace heed::config_detail
