#include "train/experiment/run_plan.h"

#include <filesystem>
#include <regex>

#include "train/experiment/run_names.h"

namespace heed {
namespace {
namespace fs = std::filesystem;

// The grid's cells: the cartesian product of its values, the first key slowest. No grid: one
// empty cell.
std::vector<std::vector<const ExperimentOverride*>> grid_cells(const std::vector<GridAxis>& grid) {
  std::vector<std::vector<const ExperimentOverride*>> cells = {{}};
  for (const GridAxis& axis : grid) {
    std::vector<std::vector<const ExperimentOverride*>> next;
    for (const auto& cell : cells)
      for (const ExperimentOverride& v : axis.values) {
        next.push_back(cell);
        next.back().push_back(&v);
      }
    cells = std::move(next);
  }
  return cells;
}

// `message` of a ConfigError from load_config, located at the experiment line to blame: an
// override's own message ("--set KEY=VALUE: ...") at that override, anything else (the base
// config's own lines, a missing file) after the line that names the base.
std::string located(const std::string& message, const std::vector<ExperimentOverride>& overrides,
                    const std::string& base_where, const std::string& run_name) {
  static const std::regex keyed("[A-Za-z0-9_.]+: .*");
  for (auto o = overrides.rbegin(); o != overrides.rend(); ++o) {
    const std::string prefix = "--set " + o->text() + ": ";
    if (message.rfind(prefix, 0) != 0) continue;
    const std::string rest = message.substr(prefix.size());
    return o->where + ": " + (std::regex_match(rest, keyed) ? rest : o->key + ": " + rest);
  }
  return base_where + ": base: in " + run_name + ": " + message;
}

Config resolve(const ExperimentFile& f, const ExperimentVariant& v,
               const std::vector<ExperimentOverride>& overrides, const std::string& run_name) {
  const std::string& base = v.base.empty() ? f.base : v.base;
  const std::string& base_where = v.base.empty() ? f.base_where : v.base_where;
  std::error_code ec;
  if (!fs::is_regular_file(base, ec))
    throw ConfigError(base_where + ": base: " + base + " is not a config file" +
                      (fs::exists(base, ec) ? ""
                                            : " (no such file; a relative path is read "
                                              "from the current directory)"));
  std::vector<std::string> texts;
  for (const ExperimentOverride& o : overrides) texts.push_back(o.text());
  try {
    return load_config(base, texts);
  } catch (const ConfigError& e) {
    throw ConfigError(located(e.what(), overrides, base_where, run_name));
  }
}

}  // namespace

std::string run_dir(const ExperimentPlan& plan, const PlannedRun& run) {
  return (fs::path(plan.out_dir) / "runs" / run.name).string();
}

std::string run_file(const ExperimentPlan& plan, const PlannedRun& run, const std::string& suffix) {
  return run_dir(plan, run) + "." + suffix;
}

ExperimentPlan plan_experiment(const ExperimentFile& file, const std::string& out_dir) {
  ExperimentPlan plan{file, out_dir, {}};
  const auto cells = grid_cells(file.grid);
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;
  for (const GridAxis& a : file.grid) keys.push_back(a.key);
  for (const auto& cell : cells) {
    values.emplace_back();
    for (const ExperimentOverride* o : cell) values.back().push_back(o->value);
  }
  const std::vector<std::string> names = cell_names(keys, values);
  // No `seeds`: one run with the config's own seed (-1 marks it here).
  const std::vector<int64_t> seeds = file.seeds.empty() ? std::vector<int64_t>{-1} : file.seeds;
  for (const ExperimentVariant& v : file.variants)
    for (std::size_t c = 0; c < cells.size(); ++c)
      for (int64_t seed : seeds) {
        PlannedRun run;
        run.number = static_cast<int64_t>(plan.runs.size()) + 1;
        run.variant = v.name;
        run.cell = values[c];
        std::vector<ExperimentOverride> overrides = file.set;
        overrides.insert(overrides.end(), v.set.begin(), v.set.end());
        for (const ExperimentOverride* o : cells[c]) overrides.push_back(*o);
        if (seed >= 0) overrides.push_back({"seed", std::to_string(seed), file.seeds_where});
        std::string name = file.named_variants ? v.name : "";
        if (!keys.empty()) name += (name.empty() ? "" : "-") + names[c];
        run.name = name + (name.empty() ? "s" : "-s");  // the seed is known once resolved
        const std::string known = "run " + std::to_string(run.number);
        run.config =
            resolve(file, v, overrides,
                    seed < 0 ? known : known + " (" + run.name + std::to_string(seed) + ")");
        run.seed = run.config.seed;
        run.name += std::to_string(run.seed);
        run.config.out_dir = run_dir(plan, run);
        plan.runs.push_back(std::move(run));
      }
  return plan;
}

}  // namespace heed
