#include "train/trainer.h"

#include <chrono>
#include <cmath>
#include <functional>
#include <optional>

#include "datasets/tasks.h"
#include "framework/allocator.h"
#include "framework/dist.h"
#include "framework/io/atomic_file.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "framework/optim/clip.h"
#include "framework/optim/schedule.h"
#include "framework/optim/sgd.h"
#include "framework/precision.h"
#include "framework/random.h"
#include "framework/runtime.h"
#include "train/checkpoint_manager.h"
#include "train/data_parallel.h"
#include "train/evaluate.h"
#include "train/memory_estimate.h"
#include "train/progress.h"
#include "train/report/report.h"
#include "train/run_lock.h"
#include "train/stop_signal.h"
#include "train/task_model.h"
#include "train/task_state.h"

namespace heed {
using json = nlohmann::json;

namespace {

std::unique_ptr<Optimizer> make_optimizer(const OptimizerConfig& o, const NamedTensors& params) {
  if (o.type == "adamw")
    return std::make_unique<AdamW>(params, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
  if (o.type == "adam")
    return std::make_unique<Adam>(params, o.lr, o.beta1, o.beta2, o.eps, o.weight_decay);
  return std::make_unique<SGD>(params, o.lr, o.momentum, 0.0, o.weight_decay, o.nesterov);
}

// A warmup longer than the run is clamped to the run, as the usual schedulers do, so that a short
// trial run (--set train.steps=2) of any config works: the rate then climbs to its peak at the
// last step.
int64_t effective_warmup(const TrainConfig& t) {
  if (t.schedule.warmup <= t.steps) return t.schedule.warmup;
  std::fprintf(stderr,
               "heed: note: train.schedule.warmup %lld is longer than train.steps %lld; "
               "clamped to %lld\n",
               static_cast<long long>(t.schedule.warmup), static_cast<long long>(t.steps),
               static_cast<long long>(t.steps));
  return t.steps;
}

std::unique_ptr<LrSchedule> make_schedule(const TrainConfig& t) {
  const float lr = static_cast<float>(t.optimizer.lr);
  const int64_t warmup = effective_warmup(t);
  if (t.schedule.type == "cosine")
    return std::make_unique<WarmupCosineLr>(lr, warmup, t.steps,
                                            static_cast<float>(t.schedule.min_lr));
  if (t.schedule.type == "inverse_sqrt")
    return std::make_unique<InverseSqrtLr>(lr, std::max<int64_t>(1, warmup));
  if (warmup > 0) return std::make_unique<WarmupCosineLr>(lr, warmup, t.steps, lr);  // then flat
  return std::make_unique<ConstantLr>(lr);
}

std::string eval_summary(const EvalResult& r, bool classifies) {
  char buf[128];
  if (classifies) {  // one output per example: token and exact-sequence accuracy coincide
    std::snprintf(buf, sizeof buf, "eval loss %.4f accuracy %.4f", r.loss, r.exact_seq_acc);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "eval loss %.4f tok %.4f seq %.4f", r.loss, r.token_acc,
                r.exact_seq_acc);
  return buf;
}

// The stop rules. stop_at: every target metric reached (loss at most, the others at least).
bool reached(const std::map<std::string, double>& stop_at,
             const std::map<std::string, double>& eval) {
  if (stop_at.empty()) return false;
  for (const auto& [metric, target] : stop_at) {
    auto it = eval.find(metric == "accuracy" ? "exact_seq_acc" : metric);
    if (it == eval.end()) return false;
    if (metric == "loss" ? it->second > target : it->second < target) return false;
  }
  return true;
}

// train.stop_at's targets as text, what a checkpoint of the evaluation meeting them records: a
// resume under the same targets is finished already (one under other targets goes on).
std::string stop_rule(const TrainConfig& tc) {
  std::string text = "stop_at";
  for (const auto& [metric, target] : tc.stop_at) text += " " + metric + "=" + json(target).dump();
  return text;
}

// max_minutes: the time limit is up (checked after a step, which then is evaluated).
bool out_of_time(const TrainConfig& tc, double elapsed_s) {
  return tc.max_minutes > 0 && elapsed_s / 60.0 >= tc.max_minutes;
}

// A diverged step: its number, the loss, the first parameter whose gradient is not finite and
// the checkpoint a resume (with a smaller learning rate, say) would start from.
Error diverged(int64_t step, double loss, const NamedTensors& params, const std::string& latest) {
  std::string where = first_nonfinite_grad(params);
  where = where.empty() ? "the loss is not finite, every gradient is"
                        : "first non-finite gradient: " + where;
  return Error(
      "training diverged at step " + std::to_string(step) + ": loss " + std::to_string(loss) +
      ", " + where + " (" +
      (latest.empty() ? std::string("no checkpoint yet") : "last checkpoint kept: " + latest) +
      "; train.on_nonfinite: skip skips such steps)");
}

// An evaluation at one step: the held-out set's result and its metrics line, which also scores
// the config's task.eval_lengths.
struct Evaluation {
  EvalResult result;
  std::map<std::string, double> metrics;  // the held-out set's, what stop_at and summaries read
  json line;
};

Evaluation evaluate_at(int64_t step, TaskModel& model, const Task& task, const Config& config,
                       const std::vector<Example>& eval_set) {
  const TrainConfig& tc = config.train;
  Evaluation e;
  e.result = evaluate(model, task, eval_set, tc.batch_size);
  const EvalResult& r = e.result;
  e.metrics = {{"loss", r.loss}, {"token_acc", r.token_acc}, {"exact_seq_acc", r.exact_seq_acc}};
  if (model.classifies()) e.metrics["accuracy"] = r.exact_seq_acc;
  e.line = {{"step", step}, {"eval", e.metrics}};
  for (int64_t len : config.task.eval_lengths) {
    std::vector<Example> ex = generate(task, config.seed, 2 + len, 0,
                                       std::min<int64_t>(tc.eval_examples, 1000), len, len);
    EvalResult rl = evaluate(model, task, ex, tc.batch_size);
    e.line["eval_length_" + std::to_string(len)] = {
        {"loss", rl.loss}, {"token_acc", rl.token_acc}, {"exact_seq_acc", rl.exact_seq_acc}};
  }
  return e;
}

// One training run: the model and optimizer, the run directory and its checkpoints, the loop.
class Trainer {
 public:
  Trainer(const Config& config, const TrainOptions& options);
  TrainSummary run();

 private:
  void open_run_directory();
  void print_banner() const;
  void train_step();
  void log_step(double loss, float grad_norm, int64_t tokens);
  bool evaluate_now(bool force_save);
  void save(bool best, bool eval_pending) {
    if (distributed_) check_ranks_agree(params_, state_.step);  // before rank 0 writes them
    checkpoints_->save(state_, last_eval_, best, eval_pending);
    wait_for_rank0_writes();
  }
  // Rank 0 writing (a large checkpoint on a slow filesystem, the report) is no hung rank: the
  // others wait for it here, without dist.timeout_s; a rank 0 that dies ends the job anyway.
  void wait_for_rank0_writes() const {
    if (distributed_) dist::barrier(/*timeout=*/false);
  }
  void report(const std::string& status);
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  const Config& config_;
  const TrainConfig& tc_;
  const TrainOptions& options_;
  const std::string config_yaml_;
  std::unique_ptr<Task> task_;
  std::unique_ptr<TaskModel> model_;
  NamedTensors params_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LrSchedule> schedule_;
  std::optional<RunLock> lock_;  // held from before the first write to the run directory
  std::optional<CheckpointManager> checkpoints_;
  std::optional<MetricsLog> metrics_;
  std::optional<Progress> progress_;
  std::vector<Example> eval_set_;
  TrainerState state_;
  bool resumed_eval_pending_ = false;  // the run was stopped during the evaluation of its step
  bool eval_running_ = false;          // an evaluation of the step has started, is not written
  std::map<std::string, double> last_eval_;
  std::chrono::steady_clock::time_point t0_;
  double window_tokens_ = 0, window_start_ = 0;  // tokens/s over the steps since the last log
  // Data-parallel (dist::size() > 1): rank 0 alone writes; what the ranks decide together.
  const bool distributed_ = dist::size() > 1;
  bool stop_everywhere_ = false;  // some rank was asked to stop (agreed at the last step)
  double step_end_s_ = 0;         // rank 0's elapsed time at the end of the last step
};

// The order of the set-up is part of the numerics: the initialization draws from the generator
// seeded here, and a resume then replaces the generator's state with the checkpoint's.
Trainer::Trainer(const Config& config, const TrainOptions& options)
    : config_(config), tc_(config.train), options_(options), config_yaml_(config_to_yaml(config)) {
  set_num_threads(static_cast<int>(config.threads));
  set_matmul_precision(parse_precision(config.train.precision));
  dist::set_timeout(config.dist.timeout_s);
  if (distributed_) defer_stops();  // the ranks stop together, at a step's end
  task_ = make_config_task(config);
  check_memory(config, task_->vocab(),
               options.available_memory < 0 ? available_memory_bytes() : options.available_memory,
               options.config_source);
  seed_init(config.seed);
  manual_seed(mix64(config.seed, 0xd50u));
  model_ = make_task_model(config, *task_);
  model_->module().train();
  params_ = model_->module().named_parameters();
  optimizer_ = make_optimizer(tc_.optimizer, params_);
  schedule_ = make_schedule(tc_);
  checkpoints_.emplace(config.out_dir, tc_.keep_checkpoints, params_, *optimizer_, config_yaml_,
                       *task_, dist::is_root());
  open_run_directory();
  if (dist::is_root()) {
    metrics_.emplace(config.out_dir);
    print_banner();
    progress_.emplace(tc_.steps, options.terminal);
  }
  eval_set_ = task_->eval_examples(config.seed, tc_.eval_examples, config.task.min_len,
                                   config.task.max_len);
  t0_ = std::chrono::steady_clock::now();
}

// The lock comes before any write; a resume takes it after reading its checkpoint, so that a run
// directory without one is refused without a file created in it.
// In a data-parallel job only rank 0 writes; every rank reads the checkpoint it resumes from.
void Trainer::open_run_directory() {
  const bool writes = dist::is_root();
  if (!options_.resume) {
    if (!writes) return;
    lock_.emplace(config_.out_dir);
    create_run_directory(config_, config_yaml_, *task_, options_.command_line);
    return;
  }
  state_ = checkpoints_->restore_latest(resumed_eval_pending_);
  if (distributed_ && !dist::same_everywhere(mix64(mix64(state_.step, resumed_eval_pending_),
                                                   std::hash<std::string>{}(state_.stopped))))
    throw Error(config_.out_dir + ": the ranks read different checkpoints (is the run directory " +
                "on a filesystem every node sees alike?)");
  if (!writes) return;
  lock_.emplace(config_.out_dir);
  reopen_run_directory(config_.out_dir, config_yaml_, state_.step);
}

void Trainer::print_banner() const {
  const int64_t n_params = model_->module().num_parameters();
  const int64_t avg_tokens =
      tc_.batch_size * tc_.grad_accum * (config_.task.min_len + config_.task.max_len + 2) / 2;
  std::fprintf(
      stderr,
      "heed: %s, %s model, %lld parameters (%.2f M), ~%.2f GFLOP per step (6 x params x "
      "tokens)%s\n",
      config_.task.name.c_str(), config_.model.type.c_str(), static_cast<long long>(n_params),
      n_params / 1e6, 6.0 * n_params * avg_tokens / 1e9,
      options_.resume ? (", resuming at step " + std::to_string(state_.step)).c_str() : "");
}

// One optimizer step over grad_accum micro-batches. Batch k depends only on (seed, k), so a
// resumed run draws the batches the uninterrupted one would.
void Trainer::train_step() {
  dist::set_activity("step " + std::to_string(state_.step + 1));
  optimizer_->set_lr(schedule_->lr_at(state_.step));
  double loss_value = 0;
  int64_t step_tokens = 0;
  for (int64_t micro = 0; micro < tc_.grad_accum; ++micro) {
    std::vector<Example> batch =
        task_->train_batch(config_.seed, state_.step * tc_.grad_accum + micro, tc_.batch_size,
                           config_.task.min_len, config_.task.max_len);
    if (distributed_) {  // this rank's shard; the step's loss and tokens are the whole batch's
      const ShardLoss part =
          shard_backward(*model_, batch, static_cast<float>(tc_.label_smoothing), tc_.grad_accum);
      loss_value += part.loss_part;
      step_tokens += part.global_tokens;
      continue;
    }
    int64_t tokens = 0;
    Tensor loss = model_->loss(batch, static_cast<float>(tc_.label_smoothing), &tokens);
    loss_value += loss.item() / tc_.grad_accum;
    step_tokens += tokens;
    (tc_.grad_accum > 1 ? mul(loss, 1.0f / static_cast<float>(tc_.grad_accum)) : loss).backward();
  }
  step_end_s_ = elapsed();
  if (distributed_) {  // summed gradients; the loss, a stop anywhere and rank 0's clock agreed
    std::vector<double> agreed = {loss_value, stop_requested() ? 1.0 : 0.0,
                                  dist::is_root() ? step_end_s_ : 0.0};
    allreduce_gradients(params_, agreed);
    loss_value = agreed[0];
    stop_everywhere_ = agreed[1] > 0;
    step_end_s_ = agreed[2];
  }
  const float grad_norm =
      tc_.clip > 0 ? clip_grad_norm_(params_, tc_.clip) : clip_grad_norm_(params_, INFINITY);
  const bool finite = std::isfinite(loss_value) && std::isfinite(grad_norm);
  if (!finite && tc_.on_nonfinite == "stop")
    throw diverged(state_.step + 1, loss_value, params_, checkpoints_->latest());
  if (finite)
    optimizer_->step();
  else
    ++state_.skipped_steps;  // on_nonfinite: skip. The batch is consumed: resume stays exact.
  optimizer_->zero_grad();
  ++state_.step;
  if (distributed_ && state_.step % 100 == 0) check_ranks_agree(params_, state_.step);
  if (metrics_) log_step(loss_value, grad_norm, step_tokens);
}

void Trainer::log_step(double loss, float grad_norm, int64_t tokens) {
  const int64_t step = state_.step;
  window_tokens_ += tokens;
  const double now = elapsed();
  const double tok_s = window_tokens_ / std::max(1e-9, now - window_start_);
  if (step % tc_.log_every == 0 || step == tc_.steps) {
    metrics_->write({{"step", step},
                     {"loss", loss},
                     {"lr", optimizer_->lr()},
                     {"grad_norm", grad_norm},
                     {"tokens_per_s", tok_s},
                     {"elapsed_s", now},
                     {"skipped_steps", state_.skipped_steps}});
    window_tokens_ = 0;
    window_start_ = now;
  }
  progress_->update(step, loss, tok_s, now, tc_.log_every);
}

// The evaluation of the current step: a metrics line, the best and stop_at, a checkpoint when one
// is due (or `force_save`), the report. Returns whether stop_at was reached. A stop signal during
// the evaluation throws Interrupted before anything is written, so the evaluation reruns on
// resume.
bool Trainer::evaluate_now(bool force_save) {
  const int64_t step = state_.step;
  eval_running_ = true;
  dist::set_activity("the evaluation of step " + std::to_string(step));
  Evaluation e = evaluate_at(step, *model_, *task_, config_, eval_set_);
  if (metrics_) metrics_->write(e.line);  // from here on the evaluation counts as done
  eval_running_ = false;
  last_eval_ = e.metrics;
  const std::string summary = eval_summary(e.result, model_->classifies());
  if (progress_) {
    progress_->set_eval(summary);
    progress_->message("step " + std::to_string(step) + ": " + summary);
  }
  const bool best = e.result.exact_seq_acc > state_.best_metric;
  if (best) state_.best_metric = e.result.exact_seq_acc;
  const bool target_reached = reached(tc_.stop_at, last_eval_);
  if (target_reached) state_.stopped = stop_rule(tc_);
  if (force_save || best || target_reached || step % tc_.checkpoint_every == 0 || step == tc_.steps)
    save(best, false);
  report("training, at step " + std::to_string(step));
  wait_for_rank0_writes();
  return target_reached;
}

// Plots, attention maps, report.html; a failure to draw them does not stop the run.
void Trainer::report(const std::string& status) {
  if (!dist::is_root()) return;
  std::string e = refresh_report(config_.out_dir, config_, *model_, eval_set_, status);
  if (!e.empty()) progress_->message("heed: report not updated: " + e);
}

TrainSummary Trainer::run() {
  TrainSummary summary;
  summary.out_dir = config_.out_dir;
  std::string& stop = summary.stop_reason = "steps";
  const int64_t& step = state_.step;
  try {
    // A run stopped during an evaluation saved its step with the evaluation still to do; one
    // killed after the checkpoint of the evaluation that met stop_at has nothing left to do.
    if (resumed_eval_pending_ && evaluate_now(true)) stop = "stop_at";
    if (options_.resume && !state_.stopped.empty()) {
      if (state_.stopped == stop_rule(tc_)) stop = "stop_at";
      state_.stopped.clear();
    }
    if (distributed_) check_ranks_agree(params_, step);  // the same start everywhere
    while (step < tc_.steps && stop == "steps") {
      if (distributed_ ? stop_everywhere_ : stop_requested()) throw Interrupted{};
      train_step();
      const bool timed_out = out_of_time(tc_, step_end_s_);
      if (step % tc_.eval_every == 0 || step == tc_.steps || timed_out) {
        if (evaluate_now(false)) stop = "stop_at";
      } else if (step % tc_.checkpoint_every == 0) {
        save(false, false);
      }
      if (timed_out && stop == "steps") stop = "max_minutes";
      if (stop == "steps") fault_point("after_step");  // crash-test hook
    }
  } catch (const Interrupted&) {
    // The step's checkpoint, unless it is written already; an unfinished evaluation is marked
    // in it and reruns on resume.
    if (checkpoints_->saved_step() != step || eval_running_) save(false, eval_running_);
    stop = "interrupted";
  }
  if (stop != "interrupted" && dist::is_root()) {
    try {
      report("stopped (" + stop + ") after step " + std::to_string(step));
    } catch (const Interrupted&) {  // the run is complete and saved: only the report is skipped
    }
    write_final_marker(
        config_.out_dir,
        {{"stop_reason", stop}, {"steps", step}, {"skipped_steps", state_.skipped_steps}});
  }
  if (progress_) progress_->finish();
  summary.steps = step;
  summary.skipped_steps = state_.skipped_steps;
  summary.eval = last_eval_;
  summary.train_seconds = elapsed();
  return summary;
}

}  // namespace

TrainSummary train(const Config& config, const TrainOptions& options) {
  StopSignals stop_signals;  // first: Ctrl-C during the set-up stops the run too
  Trainer trainer(config, options);
  return trainer.run();
}

}  // namespace heed
