// The markdown report on stdout: one row per workload (our figure, the baseline's, the ratio),
// then one row per extra figure (allocations, percentiles, syscalls, RSS), then the errors.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_TABLE_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_TABLE_H_

#include <optional>
#include <string>
#include <vector>

#include "tools/benchmark/summary.h"

namespace bench {

// The whole report, ending with a newline.
std::string MarkdownReport(const std::vector<WorkloadSummary>& summaries);

// A figure for the table: 3 significant digits or more ("0.123", "1.23", "12.3", "123",
// "12345"), millions as "1.23 M"; "n/a" when missing.
std::string FormatFigure(std::optional<double> value);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_TABLE_H_
