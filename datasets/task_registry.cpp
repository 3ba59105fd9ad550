#include "datasets/task_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "datasets/tree_tasks.h"
#include "framework/registry.h"
#include "framework/text.h"

namespace heed {
namespace {

using Tasks = Registry<TaskType>;

std::string show_number(double x) {
  std::ostringstream s;
  s << x;
  return s.str();
}

template <class T>
bool parse_whole(const std::string& text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

const TaskOption* find_option(const TaskType& type, const std::string& key) {
  for (const TaskOption& o : type.options)
    if (o.key == key) return &o;
  return nullptr;
}

}  // namespace

bool register_task(TaskType type) {
  if (!type.make || !type.capabilities)
    throw Error("task '" + type.name + "' registered without make or capabilities");
  for (const TaskOption& o : type.options)
    if (!option_problem(o, o.fallback).empty())
      throw Error("task '" + type.name + "': the default of option '" + o.key +
                  "' breaks its own declaration: " + option_problem(o, o.fallback));
  const std::string name = type.name;
  return Tasks::add("task", name, std::move(type));
}

std::vector<const TaskType*> task_types() {
  return Tasks::all();
}

const TaskType& task_type(const std::string& name) {
  if (const TaskType* t = Tasks::find(name)) return *t;
  throw Error("unknown task '" + name + "' (known: " + join(Tasks::names()) + ")");
}

std::string option_problem(const TaskOption& option, const std::string& value) {
  using Kind = TaskOption::Kind;
  double x = 0;
  if (option.kind == Kind::kInteger) {
    int64_t i;
    if (!parse_whole(value, i)) return "must be an integer, got '" + value + "'";
    x = static_cast<double>(i);
  } else if (option.kind == Kind::kNumber) {
    if (!parse_whole(value, x) || !std::isfinite(x)) return "must be a number, got '" + value + "'";
  } else {
    const auto& c = option.choices;
    if (!c.empty() && std::find(c.begin(), c.end(), value) == c.end())
      return "'" + value + "' is not one of: " + join(c);
    return "";
  }
  if (x < option.lo || x > option.hi)
    return "must be in [" + show_number(option.lo) + ", " + show_number(option.hi) + "], got " +
           value;
  return "";
}

int64_t TaskSetup::integer(const std::string& key) const {
  int64_t out = 0;
  parse_whole(text(key), out);  // checked against its declaration by task_setup()
  return out;
}

double TaskSetup::number(const std::string& key) const {
  double out = 0;
  parse_whole(text(key), out);
  return out;
}

const std::string& TaskSetup::text(const std::string& key) const {
  auto it = options.find(key);
  if (it == options.end())
    throw Error("task '" + name + "' reads option '" + key + "' it never declared");
  return it->second;
}

TaskSetup task_setup(const std::string& name, const std::map<std::string, std::string>& given,
                     int64_t min_len, int64_t max_len, bool bucketing) {
  const TaskType& type = task_type(name);
  TaskSetup setup{name, {}, min_len, max_len, bucketing};
  for (const auto& [key, value] : given) {
    const TaskOption* option = find_option(type, key);
    if (!option) {
      std::vector<std::string> keys;
      for (const TaskOption& o : type.options) keys.push_back(o.key);
      throw TaskOptionError(key, "task '" + name + "' has no option '" + key + "' (its options: " +
                                     (keys.empty() ? "none" : join(keys)) + ")");
    }
    if (std::string problem = option_problem(*option, value); !problem.empty())
      throw TaskOptionError(key, "task '" + name + "': option '" + key + "' " + problem);
  }
  for (const TaskOption& o : type.options) {
    auto it = given.find(o.key);
    setup.options[o.key] = it == given.end() ? o.fallback : it->second;
  }
  if (type.check) type.check(setup);
  return setup;
}

TaskCapabilities task_capabilities(const TaskSetup& setup) {
  return task_type(setup.name).capabilities(setup);
}

TaskCapabilities capabilities_of(const Task& task) {
  TaskCapabilities c;
  c.reads_files = task.reads_files();
  c.any_length = !c.reads_files;
  if (const auto* tree = dynamic_cast<const TreeTask*>(&task)) {
    c.tree_source = true;
    c.targets = tree->target_kind();
  }
  return c;
}

std::unique_ptr<Task> make_task(const TaskSetup& setup) {
  return task_type(setup.name).make(setup);
}

std::unique_ptr<Task> restore_task(const TaskSetup& setup, const TaskMetadata& metadata,
                                   const std::string& source) {
  const TaskType& type = task_type(setup.name);
  return type.restore ? type.restore(setup, metadata, source) : type.make(setup);
}

std::unique_ptr<Task> make_task(const std::string& name,
                                const std::map<std::string, std::string>& options) {
  return make_task(task_setup(name, options));
}

}  // namespace heed
