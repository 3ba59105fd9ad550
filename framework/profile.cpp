#include "framework/profile.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unordered_map>

namespace heed {
namespace {

using Clock = std::chrono::steady_clock;

struct Profile {
  bool on = false;
  int in_backward = 0;  // depth of ProfileBackwardScope
  Clock::time_point last;
  double last_flops = 0;  // flops_counted() at `last`
  // Keyed by the name's text: op names are string literals, but one name may appear in
  // several translation units at different addresses.
  std::unordered_map<std::string, OpTime> ops;

  OpTime& row(const char* name) {
    OpTime& r = ops[name];
    if (r.name.empty()) r.name = name;
    return r;
  }
  // Ends the forward stretch that began at `last`: its time goes to `name`'s row.
  OpTime& end_stretch(const char* name) {
    const Clock::time_point now = Clock::now();
    OpTime& r = row(name);
    r.forward_s += std::chrono::duration<double>(now - last).count();
    last = now;
    const double flops = flops_counted();
    r.flops += flops - last_flops;
    last_flops = flops;
    return r;
  }
};

Profile& profile() {
  static Profile p;
  return p;
}

std::atomic<double> g_flops{0.0};

}  // namespace

void count_flops(double flops) {
  g_flops.fetch_add(flops, std::memory_order_relaxed);
}

double flops_counted() {
  return g_flops.load(std::memory_order_relaxed);
}

void profile_start() {
  Profile& p = profile();
  p.ops.clear();
  p.on = true;
  p.last = Clock::now();
  p.last_flops = flops_counted();
}

void profile_stop() {
  profile().on = false;
}

bool profiling() {
  return profile().on;
}

void profile_forward(const char* name) {
  Profile& p = profile();
  if (p.on && p.in_backward == 0) ++p.end_stretch(name).calls;
}

void profile_phase(const char* name) {
  Profile& p = profile();
  if (p.on) p.end_stretch(name);
}

void profile_backward(const char* name, double seconds, double flops) {
  Profile& p = profile();
  if (!p.on) return;
  OpTime& r = p.row(name);
  r.backward_s += seconds;
  r.flops += flops;
}

ProfileBackwardScope::ProfileBackwardScope() {
  ++profile().in_backward;
}

ProfileBackwardScope::~ProfileBackwardScope() {
  Profile& p = profile();
  if (--p.in_backward == 0) {
    p.last = Clock::now();
    p.last_flops = flops_counted();
  }
}

std::vector<OpTime> profile_table() {
  std::vector<OpTime> rows;
  for (const auto& [name, r] : profile().ops) rows.push_back(r);
  std::sort(rows.begin(), rows.end(), [](const OpTime& a, const OpTime& b) {
    const double ta = a.forward_s + a.backward_s, tb = b.forward_s + b.backward_s;
    return ta != tb ? ta > tb : a.name < b.name;
  });
  return rows;
}

}  // namespace heed
