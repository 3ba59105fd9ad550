#include "train/trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "datasets/tasks.h"
#include "framework/allocator.h"
#include "framework/io/atomic_file.h"
#include "framework/io/checkpoint.h"
#include "framework/nn/init.h"
#include "framework/ops.h"
#include "framework/optim/adam.h"
#include "framework/optim/clip.h"
#include "framework/optim/schedule.h"
#include "framework/optim/sgd.h"
#include "framework/random.h"
#include "framework/runtime.h"
#include "train/build_info.h"
#include "train/evaluate.h"
#include "train/memory_estimate.h"
#include "train/progress.h"
#include "train/report/report.h"
#include "train/run_loader.h"
#include "train/stop_signal.h"
#include "train/task_model.h"

namespace heed {
namespace fs = std::filesystem;
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

std::string now_iso() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string step_dir_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step_%08lld", static_cast<long long>(step));
  return buf;
}

// Keeps the metrics lines at or before `step` (a resume cuts what came after the checkpoint).
void cut_metrics(const fs::path& path, int64_t step) {
  std::ifstream in(path);
  if (!in) return;
  std::string kept, line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("step")) continue;  // a torn last line from a crash
    if (!j["step"].is_number_integer())  // not heed's: an edited file; get<> would throw
      throw Error(path.string() + ": a line's \"step\" is not an integer: " + line.substr(0, 80));
    if (j["step"].get<int64_t>() <= step) kept += line + "\n";
  }
  write_file_atomically(path.string(), kept);
}

class MetricsLog {
 public:
  explicit MetricsLog(const fs::path& path) : out_(path, std::ios::app) {
    if (!out_)
      throw Error(path.string() + ": cannot open for appending (" + std::strerror(errno) + ")");
  }
  void write(const json& j) {
    out_ << j.dump() << "\n";
    out_.flush();
  }

 private:
  std::ofstream out_;
};

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

// A diverged step: its number, the loss, the first parameter whose gradient is not finite and
// the checkpoint a resume (with a smaller learning rate, say) would start from.
Error diverged(int64_t step, double loss, const NamedTensors& params, const fs::path& run_dir) {
  std::string where = first_nonfinite_grad(params);
  where = where.empty() ? "the loss is not finite, every gradient is"
                        : "first non-finite gradient: " + where;
  std::string latest = latest_checkpoint(run_dir.string());
  return Error(
      "training diverged at step " + std::to_string(step) + ": loss " + std::to_string(loss) +
      ", " + where + " (" +
      (latest.empty() ? std::string("no checkpoint yet") : "last checkpoint kept: " + latest) +
      "; train.on_nonfinite: skip skips such steps)");
}

}  // namespace

Config run_config(const std::string& run_dir, const std::vector<std::string>& overrides) {
  fs::path p = fs::path(run_dir) / "config.yaml";
  if (!fs::exists(p)) throw ConfigError(run_dir + ": not a heed run directory (no config.yaml)");
  Config c = load_config(p.string(), overrides);
  c.out_dir = run_dir;
  return c;
}

TrainSummary train(const Config& config, const TrainOptions& options) {
  StopSignals stop_signals;  // first: Ctrl-C during the set-up stops the run too
  set_num_threads(static_cast<int>(config.threads));
  std::unique_ptr<Task> task = make_config_task(config);
  check_memory(config, task->vocab(),
               options.available_memory < 0 ? available_memory_bytes() : options.available_memory,
               options.config_source);

  seed_init(config.seed);
  manual_seed(mix64(config.seed, 0xd50u));
  std::unique_ptr<TaskModel> model = make_task_model(config, *task);
  Module& module = model->module();
  module.train();
  NamedTensors params = module.named_parameters();
  std::unique_ptr<Optimizer> optimizer = make_optimizer(config.train.optimizer, params);
  std::unique_ptr<LrSchedule> schedule = make_schedule(config.train);

  const fs::path out(config.out_dir);
  const fs::path ckpt_root = out / "checkpoints";
  const std::string config_yaml = config_to_yaml(config);
  int64_t step = 0, skipped_steps = 0;
  double best_metric = -1;
  bool resumed_eval_pending = false;  // the run was stopped during the evaluation of `step`
  std::map<std::string, double> last_eval;
  if (options.resume) {
    std::string latest = latest_checkpoint(out.string());
    if (latest.empty()) throw ConfigError(config.out_dir + ": no checkpoint to resume from");
    Checkpoint ck = load_checkpoint(latest);
    check_resumed_task(*task, ck.metadata, latest);
    load_parameters_into(params, ck.params, latest + "/model.safetensors");
    NamedTensors opt_state;
    std::vector<int64_t> rng;
    for (const auto& [name, t] : ck.trainer_state) {
      if (name == "step")
        step = t.to_ints()[0];
      else if (name == "skipped_steps")
        skipped_steps = t.to_ints()[0];
      else if (name == "rng")
        rng = t.to_ints();
      else if (name.rfind("optimizer.", 0) == 0)
        opt_state.emplace_back(name.substr(10), t);
    }
    optimizer->load_state(opt_state);
    if (rng.size() != 2)
      throw Error(latest + "/trainer.safetensors: 'rng' must hold (seed, offset)");
    global_rng() = RngState{static_cast<uint64_t>(rng[0]), static_cast<uint64_t>(rng[1])};
    if (auto it = ck.metadata.find("best_metric"); it != ck.metadata.end())
      best_metric = std::stod(it->second);
    if (auto it = ck.metadata.find("eval_pending"); it != ck.metadata.end())
      resumed_eval_pending = it->second == "1";
    cut_metrics(out / "metrics.jsonl", step);
    // Overrides given with --resume (e.g. more steps) become the run's config from here on.
    write_file_atomically((out / "config.yaml").string(), config_yaml);
  } else {
    // The error_code form: a bad out_dir (a path through a file, /dev/full) is bad input, which
    // must reach the user as one heed::Error naming the key, not as a filesystem_error.
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec)
      throw ConfigError("out_dir " + config.out_dir + ": cannot create the run directory (" +
                        ec.message() + ")");
    write_file_atomically((out / "config.yaml").string(), config_yaml);
    BuildInfo b = build_info();
    json run = {{"heed_version", b.version},
                {"git_commit", b.git_commit},
                {"build_type", b.build_type},
                {"compiler", b.compiler},
                {"onednn", b.onednn},
                {"threads", num_threads()},
                {"command_line", options.command_line},
                {"start_time", now_iso()}};
    write_file_atomically((out / "run.json").string(), run.dump(2) + "\n");
    write_task_files(*task, out.string());
    write_file_atomically((out / "metrics.jsonl").string(), "");
  }
  MetricsLog metrics(out / "metrics.jsonl");

  const TrainConfig& tc = config.train;
  const int64_t n_params = module.num_parameters();
  const int64_t avg_tokens =
      tc.batch_size * tc.grad_accum * (config.task.min_len + config.task.max_len + 2) / 2;
  std::fprintf(stderr,
               "heed: %s, %s model, %lld parameters (%.2f M), ~%.2f GFLOP per step (6 x params x "
               "tokens)%s\n",
               config.task.name.c_str(), config.model.type.c_str(),
               static_cast<long long>(n_params), n_params / 1e6, 6.0 * n_params * avg_tokens / 1e9,
               options.resume ? (", resuming at step " + std::to_string(step)).c_str() : "");

  std::vector<Example> eval_set =
      task->eval_examples(config.seed, tc.eval_examples, config.task.min_len, config.task.max_len);
  int64_t saved_step = options.resume ? step : -1;  // the step of the newest checkpoint
  auto save = [&](int64_t at, const std::map<std::string, double>& eval, bool best,
                  bool eval_pending) {
    NamedTensors state;
    for (auto& [name, t] : optimizer->state()) state.emplace_back("optimizer." + name, t);
    state.emplace_back("step", Tensor::from_ints({at}, {1}));
    state.emplace_back("skipped_steps", Tensor::from_ints({skipped_steps}, {1}));
    state.emplace_back("rng", Tensor::from_ints({static_cast<int64_t>(global_rng().seed),
                                                 static_cast<int64_t>(global_rng().offset)},
                                                {2}));
    std::map<std::string, std::string> meta = {{"config", config_yaml},
                                               {"best_metric", std::to_string(best_metric)}};
    for (const auto& [k, v] : eval) meta["eval." + k] = std::to_string(v);
    if (eval_pending) meta["eval_pending"] = "1";
    for (const auto& [k, v] : task->metadata()) meta[k] = v;  // e.g. a file task's vocabulary
    // The best checkpoint first: a crash between the two saves then resumes from the previous
    // step checkpoint, whose best_metric makes the replayed evaluation write `best` again.
    if (best) save_checkpoint((ckpt_root / "best").string(), params, state, meta);
    save_checkpoint((ckpt_root / step_dir_name(at)).string(), params, state, meta);
    // Prune only after the new checkpoint is durable. A pruned checkpoint is first renamed to
    // "<name>.pruned" (ignored by every reader), so a crash while its files are deleted never
    // leaves a visible, half-deleted checkpoint; leftovers of such a crash go next time.
    std::vector<std::string> steps, leftovers;
    for (const auto& e : fs::directory_iterator(ckpt_root)) {
      std::string n = e.path().filename().string();
      if (n.rfind("step_", 0) != 0) continue;
      if (n.ends_with(".pruned"))
        leftovers.push_back(n);
      else if (n.find('.') == std::string::npos)
        steps.push_back(n);
    }
    for (const std::string& n : leftovers) fs::remove_all(ckpt_root / n);
    std::sort(steps.begin(), steps.end());
    for (std::size_t i = 0; i + tc.keep_checkpoints < steps.size(); ++i) {
      const fs::path doomed = ckpt_root / (steps[i] + ".pruned");
      fs::rename(ckpt_root / steps[i], doomed);
      fs::remove_all(doomed);
    }
    saved_step = at;
  };

  Progress progress(tc.steps, options.terminal);
  TrainSummary summary;
  summary.out_dir = config.out_dir;
  summary.stop_reason = "steps";
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  double window_tokens = 0, window_start = 0;
  auto report = [&](const std::string& status) {  // plots, attention maps, report.html
    std::string e = refresh_report(config.out_dir, config, *model, eval_set, status);
    if (!e.empty()) progress.message("heed: report not updated: " + e);
  };
  // One optimizer step over grad_accum micro-batches; returns the mean loss.
  auto train_step = [&]() {
    optimizer->set_lr(schedule->lr_at(step));
    double loss_value = 0;
    int64_t step_tokens = 0;
    for (int64_t micro = 0; micro < tc.grad_accum; ++micro) {
      std::vector<Example> batch =
          task->train_batch(config.seed, step * tc.grad_accum + micro, tc.batch_size,
                            config.task.min_len, config.task.max_len);
      int64_t tokens = 0;
      Tensor loss = model->loss(batch, static_cast<float>(tc.label_smoothing), &tokens);
      loss_value += loss.item() / tc.grad_accum;
      step_tokens += tokens;
      (tc.grad_accum > 1 ? mul(loss, 1.0f / static_cast<float>(tc.grad_accum)) : loss).backward();
    }
    const float grad_norm =
        tc.clip > 0 ? clip_grad_norm_(params, tc.clip) : clip_grad_norm_(params, INFINITY);
    const bool finite = std::isfinite(loss_value) && std::isfinite(grad_norm);
    if (!finite && tc.on_nonfinite == "stop") throw diverged(step + 1, loss_value, params, out);
    if (finite)
      optimizer->step();
    else
      ++skipped_steps;  // on_nonfinite: skip. The batch is consumed: resume stays exact.
    optimizer->zero_grad();
    ++step;
    window_tokens += step_tokens;
    const double now = elapsed();
    const double tok_s = window_tokens / std::max(1e-9, now - window_start);
    if (step % tc.log_every == 0 || step == tc.steps) {
      metrics.write({{"step", step},
                     {"loss", loss_value},
                     {"lr", optimizer->lr()},
                     {"grad_norm", grad_norm},
                     {"tokens_per_s", tok_s},
                     {"elapsed_s", now},
                     {"skipped_steps", skipped_steps}});
      window_tokens = 0;
      window_start = now;
    }
    progress.update(step, loss_value, tok_s, now, tc.log_every);
  };
  // The evaluation at `step`: a metrics line, the best and stop_at, a checkpoint when one is due
  // (or `force_save`), the report. Returns whether stop_at was reached. A stop signal during the
  // evaluation throws Interrupted before anything is written, so the evaluation reruns on resume.
  bool eval_running = false;  // an evaluation of `step` has started and is not written yet
  auto evaluate_now = [&](bool force_save) {
    eval_running = true;
    EvalResult r = evaluate(*model, *task, eval_set, tc.batch_size);
    std::map<std::string, double> result = {
        {"loss", r.loss}, {"token_acc", r.token_acc}, {"exact_seq_acc", r.exact_seq_acc}};
    if (model->classifies()) result["accuracy"] = r.exact_seq_acc;
    json j = {{"step", step}, {"eval", result}};
    for (int64_t len : config.task.eval_lengths) {
      std::vector<Example> ex = generate(*task, config.seed, 2 + len, 0,
                                         std::min<int64_t>(tc.eval_examples, 1000), len, len);
      EvalResult rl = evaluate(*model, *task, ex, tc.batch_size);
      j["eval_length_" + std::to_string(len)] = {
          {"loss", rl.loss}, {"token_acc", rl.token_acc}, {"exact_seq_acc", rl.exact_seq_acc}};
    }
    metrics.write(j);  // from here on the evaluation counts as done
    eval_running = false;
    last_eval = result;
    progress.set_eval(eval_summary(r, model->classifies()));
    progress.message("step " + std::to_string(step) + ": " + eval_summary(r, model->classifies()));
    const bool best = r.exact_seq_acc > best_metric;
    if (best) best_metric = r.exact_seq_acc;
    const bool target_reached = reached(tc.stop_at, last_eval);
    if (force_save || best || target_reached || step % tc.checkpoint_every == 0 || step == tc.steps)
      save(step, last_eval, best, false);
    report("training, at step " + std::to_string(step));
    return target_reached;
  };

  try {
    // A run stopped during an evaluation saved its step with the evaluation still to do.
    if (resumed_eval_pending && evaluate_now(true)) summary.stop_reason = "stop_at";
    while (step < tc.steps && summary.stop_reason == "steps") {
      throw_if_stopping();
      train_step();
      const bool out_of_time = tc.max_minutes > 0 && elapsed() / 60.0 >= tc.max_minutes;
      if (step % tc.eval_every == 0 || step == tc.steps || out_of_time) {
        if (evaluate_now(false)) summary.stop_reason = "stop_at";
      } else if (step % tc.checkpoint_every == 0) {
        save(step, last_eval, false, false);
      }
      if (out_of_time && summary.stop_reason == "steps") summary.stop_reason = "max_minutes";
      if (summary.stop_reason == "steps") fault_point("after_step");  // crash-test hook
    }
  } catch (const Interrupted&) {
    // The step's checkpoint, unless it is written already; an unfinished evaluation is marked
    // in it and reruns on resume.
    if (saved_step != step || eval_running) save(step, last_eval, false, eval_running);
    summary.stop_reason = "interrupted";
  }
  if (summary.stop_reason != "interrupted") {
    try {
      report("stopped (" + summary.stop_reason + ") after step " + std::to_string(step));
    } catch (const Interrupted&) {  // the run is complete and saved: only the report is skipped
    }
  }
  progress.finish();
  summary.steps = step;
  summary.skipped_steps = skipped_steps;
  summary.eval = last_eval;
  summary.train_seconds = elapsed();
  return summary;
}

}  // namespace heed
