// The markdown report (see table.h).
#include "tools/benchmark/table.h"

#include <cmath>
#include <cstdio>
#include <string_view>

#include "tools/benchmark/stats.h"

namespace bench {
namespace {

// The table label of an extra figure.
std::string_view ExtraLabel(const std::string& name) {
  if (name == "allocs_per_msg") return "server heap allocations per message";
  if (name == "p50_us") return "p50 round trip (us)";
  if (name == "p99_us") return "p99 round trip (us)";
  if (name == "syscalls_per_rtt") return "server syscalls per round trip (strace -c)";
  if (name == "client_syscalls_per_rtt") return "client syscalls per round trip (strace -c)";
  if (name == "rss_per_conn_kib") return "server RSS growth per connection (KiB)";
  return name;
}

// "0.95x", or "n/a".
std::string FormatRatio(std::optional<double> ratio) {
  if (!ratio) return "n/a";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2fx", *ratio);
  return text;
}

}  // namespace

std::string FormatFigure(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return "n/a";
  const double magnitude = std::fabs(*value);
  char text[32];
  if (magnitude >= 1e6) {
    std::snprintf(text, sizeof(text), "%.2f M", *value / 1e6);
  } else {
    const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
    std::snprintf(text, sizeof(text), "%.*f", decimals, *value);
  }
  return text;
}

std::string MarkdownReport(const std::vector<WorkloadSummary>& summaries) {
  std::string out =
      "| workload | unit | localsocket | baseline | baseline value | ratio | better |\n"
      "|---|---|---|---|---|---|---|\n";
  for (const WorkloadSummary& summary : summaries) {
    const WorkloadSpec& spec = *summary.spec;
    const std::optional<double> value = Find(summary.ours, "value");
    const std::optional<double> baseline = Find(summary.baseline, "value");
    out += "| " + std::string(spec.name) + " | " + std::string(spec.unit) + " | " +
           FormatFigure(value) + " | " + std::string(spec.baseline) + " | " +
           FormatFigure(baseline) + " | " + FormatRatio(Ratio(value, baseline)) + " | " +
           (spec.higher_is_better ? "higher" : "lower") + " |\n";
  }
  std::string details;
  for (const WorkloadSummary& summary : summaries) {
    for (const std::string& name : ExtraFigures(summary.spec->family)) {
      const std::optional<double> value = Find(summary.ours, name);
      const std::optional<double> baseline = Find(summary.baseline, name);
      details += "| " + std::string(summary.spec->name) + " | " + std::string(ExtraLabel(name)) +
                 " | " + FormatFigure(value) + " | " + FormatFigure(baseline) + " | " +
                 FormatRatio(Ratio(value, baseline)) + " |\n";
    }
    if (HasEpollFloor(summary.spec->family)) {
      const std::optional<double> value = Find(summary.ours, "value");
      const std::optional<double> floor_value = Find(summary.epoll_floor, "value");
      details += "| " + std::string(summary.spec->name) + " | " + std::string(summary.spec->unit) +
                 ", against the minimal epoll pair (not a baseline) | " + FormatFigure(value) +
                 " | " + FormatFigure(floor_value) + " | " +
                 FormatRatio(Ratio(value, floor_value)) + " |\n";
    }
  }
  if (!details.empty()) {
    out += "\n| workload | figure | localsocket | baseline | ratio |\n|---|---|---|---|---|\n" +
           details;
  }
  std::string errors;
  for (const WorkloadSummary& summary : summaries) {
    for (const std::string& error : summary.errors) {
      errors += "- " + std::string(summary.spec->name) + ", " + error + "\n";
    }
  }
  if (!errors.empty()) out += "\nErrors:\n" + errors;
  return out;
}

}  // namespace bench
