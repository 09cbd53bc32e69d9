// Order statistics and ratios: the median of a workload's repetitions, the percentiles of
// per-round-trip times, and a figure's ratio to its baseline.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_STATS_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_STATS_H_

#include <optional>
#include <vector>

namespace bench {

// The median: the middle value, or the mean of the two middle values for an even count.
// nullopt when `values` is empty.
std::optional<double> Median(std::vector<double> values);

// The p-th percentile (0 < p <= 100) by the nearest-rank method: the smallest sample with at
// least p% of the samples at or below it. nullopt when `values` is empty.
std::optional<double> Percentile(std::vector<double> values, double p);

// The arithmetic mean; nullopt when `values` is empty.
std::optional<double> Mean(const std::vector<double>& values);

// value / baseline; nullopt when either is missing or the baseline is 0.
std::optional<double> Ratio(std::optional<double> value, std::optional<double> baseline);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_STATS_H_
