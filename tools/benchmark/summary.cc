// Medians over repetitions and the --json lines (see summary.h).
#include "tools/benchmark/summary.h"

#include <map>
#include <optional>

#include "tools/benchmark/json_line.h"
#include "tools/benchmark/stats.h"

namespace bench {

Metrics MedianMetrics(const std::vector<Metrics>& repetitions) {
  std::map<std::string, std::vector<double>> samples;
  for (const Metrics& metrics : repetitions) {
    for (const auto& [name, value] : metrics) samples[name].push_back(value);
  }
  Metrics medians;
  for (const auto& [name, values] : samples) medians[name] = *Median(values);
  return medians;
}

const std::vector<std::string>& ExtraFigures(Family family) {
  static const auto* const stream = new std::vector<std::string>{"allocs_per_msg"};
  static const auto* const pingpong = new std::vector<std::string>{
      "p50_us", "p99_us", "allocs_per_msg", "syscalls_per_rtt", "client_syscalls_per_rtt"};
  static const auto* const connections =
      new std::vector<std::string>{"rss_per_conn_kib", "allocs_per_msg"};
  static const auto* const none = new std::vector<std::string>();
  switch (family) {
    case Family::kStream:
      return *stream;
    case Family::kPingpong:
      return *pingpong;
    case Family::kConnections:
      return *connections;
    case Family::kTimers:
    case Family::kPostLoop:
    case Family::kPostCrossThread:
      break;
  }
  return *none;
}

std::string WorkloadJson(const WorkloadSummary& summary) {
  const WorkloadSpec& spec = *summary.spec;
  const std::optional<double> value = Find(summary.ours, "value");
  const std::optional<double> baseline_value = Find(summary.baseline, "value");
  JsonLine line;
  line.AddString("workload", spec.name)
      .AddString("impl", ImplName(spec, Impl::kOurs))
      .AddNumber("value", value)
      .AddString("unit", spec.unit)
      .AddString("baseline", spec.baseline)
      .AddNumber("baseline_value", baseline_value)
      .AddNumber("ratio", Ratio(value, baseline_value))
      .AddBool("higher_is_better", spec.higher_is_better);
  for (const std::string& name : ExtraFigures(spec.family)) {
    line.AddNumber(name, Find(summary.ours, name));
  }
  if (HasEpollFloor(spec.family)) {
    const std::optional<double> floor_value = Find(summary.epoll_floor, "value");
    line.AddNumber("epoll_floor_value", floor_value)
        .AddNumber("epoll_floor_ratio", Ratio(value, floor_value));
  }
  return line.str();
}

}  // namespace bench
