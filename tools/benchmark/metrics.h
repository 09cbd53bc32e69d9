// Metrics: the named figures one measurement produced ("value", "p50_us", "allocs_per_msg"...),
// and their text form, which child processes send to the bench's main process.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_METRICS_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_METRICS_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bench {

// Figure name -> value. "value" is the workload's main figure, in the workload's unit.
using Metrics = std::map<std::string, double>;

// "name=value name=value" in name order, each value printed exactly (17 significant digits).
std::string FormatMetrics(const Metrics& metrics);

// The inverse of FormatMetrics; nullopt if a field is not `name=number`.
std::optional<Metrics> ParseMetrics(std::string_view text);

// The value of `name`, or nullopt when absent.
std::optional<double> Find(const Metrics& metrics, const std::string& name);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_METRICS_H_
