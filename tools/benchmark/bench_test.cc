// Exact values of the bench's bookkeeping: statistics, JSON lines, the table's figures, option
// parsing, the metrics text, the strace summary parser and the stream pattern.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tools/benchmark/json_line.h"
#include "tools/benchmark/metrics.h"
#include "tools/benchmark/options.h"
#include "tools/benchmark/stats.h"
#include "tools/benchmark/strace.h"
#include "tools/benchmark/stream_pattern.h"
#include "tools/benchmark/summary.h"
#include "tools/benchmark/table.h"
#include "tools/benchmark/workloads.h"

namespace bench {
namespace {

TEST(StatsTest, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(Median({3, 1, 2}), 2.0);
  EXPECT_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(Median({7}), 7.0);
  EXPECT_EQ(Median({}), std::nullopt);
}

TEST(StatsTest, PercentileIsNearestRank) {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);
  EXPECT_EQ(Percentile(values, 50), 50.0);
  EXPECT_EQ(Percentile(values, 99), 99.0);
  EXPECT_EQ(Percentile(values, 100), 100.0);
  EXPECT_EQ(Percentile({1, 2, 3}, 50), 2.0);
  EXPECT_EQ(Percentile({5}, 99), 5.0);
  EXPECT_EQ(Percentile({}, 50), std::nullopt);
}

TEST(StatsTest, MeanAndRatio) {
  EXPECT_EQ(Mean({1, 2, 6}), 3.0);
  EXPECT_EQ(Ratio(3.0, 4.0), 0.75);
  EXPECT_EQ(Ratio(3.0, 0.0), std::nullopt);
  EXPECT_EQ(Ratio(std::nullopt, 4.0), std::nullopt);
  EXPECT_EQ(Ratio(3.0, std::nullopt), std::nullopt);
}

TEST(JsonLineTest, Numbers) {
  EXPECT_EQ(JsonNumber(0), "0");
  EXPECT_EQ(JsonNumber(2.5), "2.5");
  EXPECT_EQ(JsonNumber(-3), "-3");
  EXPECT_EQ(JsonNumber(0.953421), "0.953421");
  EXPECT_EQ(JsonNumber(12.3456789), "12.3457");
  EXPECT_EQ(JsonNumber(5123456.7), "5123457");
  EXPECT_EQ(JsonNumber(0.00012345), "0.00012345");
  EXPECT_EQ(JsonNumber(1.5e-7), "1.5e-07");
}

TEST(JsonLineTest, ObjectWithEscapesNullAndBool) {
  JsonLine line;
  line.AddString("a\"b", "c\\d\n").AddNumber("n", std::nullopt).AddNumber("x", 1.0 / 0.0);
  line.AddBool("t", true).AddNumber("v", 4);
  EXPECT_EQ(line.str(), R"({"a\"b": "c\\d\u000a", "n": null, "x": null, "t": true, "v": 4})");
}

TEST(SummaryTest, MedianMetricsPerFigure) {
  const Metrics medians =
      MedianMetrics({{{"value", 3}, {"p50_us", 1}}, {{"value", 1}}, {{"value", 2}, {"p50_us", 2}}});
  EXPECT_EQ(medians, (Metrics{{"value", 2}, {"p50_us", 1.5}}));
}

TEST(SummaryTest, PingpongJsonLine) {
  WorkloadSummary summary{FindWorkload("pingpong"),
                          {{"value", 12.5},
                           {"p50_us", 12},
                           {"p99_us", 20},
                           {"allocs_per_msg", 4},
                           {"syscalls_per_rtt", 4.0001}},
                          {{"value", 10}, {"syscalls_per_rtt", 2}},
                          {},
                          {{"value", 11}}};
  EXPECT_EQ(WorkloadJson(summary),
            R"({"workload": "pingpong", "impl": "localsocket", "value": 12.5, "unit": "us", )"
            R"("baseline": "raw", "baseline_value": 10, "ratio": 1.25, )"
            R"("higher_is_better": false, "p50_us": 12, "p99_us": 20, "allocs_per_msg": 4, )"
            R"("syscalls_per_rtt": 4.0001, "client_syscalls_per_rtt": null, )"
            R"("epoll_floor_value": 11, "epoll_floor_ratio": 1.13636})");
}

TEST(SummaryTest, ConnectionsJsonLineEndsWithTheEpollFloor) {
  WorkloadSummary summary{FindWorkload("connections"),
                          {{"value", 0.3}, {"rss_per_conn_kib", 0.5}, {"allocs_per_msg", 6}},
                          {{"value", 0.1}},
                          {},
                          {{"value", 0.2}}};
  EXPECT_EQ(WorkloadJson(summary),
            R"({"workload": "connections", "impl": "localsocket", "value": 0.3, "unit": "s", )"
            R"("baseline": "raw", "baseline_value": 0.1, "ratio": 3, )"
            R"("higher_is_better": false, "rss_per_conn_kib": 0.5, "allocs_per_msg": 6, )"
            R"("epoll_floor_value": 0.2, "epoll_floor_ratio": 1.5})");
  summary.epoll_floor.clear();
  EXPECT_NE(WorkloadJson(summary).find(R"("epoll_floor_value": null, "epoll_floor_ratio": null})"),
            std::string::npos);
}

TEST(SummaryTest, PostJsonLineWithMissingBaseline) {
  WorkloadSummary summary{FindWorkload("post_cross_thread"), {{"value", 2500000}}, {}, {}, {}};
  EXPECT_EQ(WorkloadJson(summary),
            R"({"workload": "post_cross_thread", "impl": "localsocket", "value": 2500000, )"
            R"("unit": "tasks/s", "baseline": "libevent", "baseline_value": null, )"
            R"("ratio": null, "higher_is_better": true})");
}

TEST(SummaryTest, EveryWorkloadOfTheIssueInItsOrder) {
  std::vector<std::string> names;
  for (const WorkloadSpec& spec : AllWorkloads()) names.emplace_back(spec.name);
  EXPECT_EQ(names, (std::vector<std::string>{"throughput_64k", "throughput_64k_zero_copy",
                                             "throughput_4k", "pingpong", "connections", "timers",
                                             "timers_20k", "post_loop", "post_cross_thread"}));
}

TEST(TableTest, Figures) {
  EXPECT_EQ(FormatFigure(0.1234), "0.123");
  EXPECT_EQ(FormatFigure(1.234), "1.23");
  EXPECT_EQ(FormatFigure(12.34), "12.3");
  EXPECT_EQ(FormatFigure(1234.6), "1235");
  EXPECT_EQ(FormatFigure(5123456), "5.12 M");
  EXPECT_EQ(FormatFigure(std::nullopt), "n/a");
}

TEST(TableTest, RowWithRatio) {
  const std::string report = MarkdownReport(
      {{FindWorkload("timers"), {{"value", 300}}, {{"value", 400}}, {"libevent: boom"}, {}}});
  EXPECT_NE(report.find("| timers | ns | 300 | libevent | 400 | 0.75x | lower |\n"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("- timers, libevent: boom\n"), std::string::npos) << report;
}

TEST(TableTest, ConnectionsDetailAgainstTheEpollFloor) {
  const std::string report = MarkdownReport(
      {{FindWorkload("connections"), {{"value", 0.3}}, {{"value", 0.1}}, {}, {{"value", 0.2}}}});
  EXPECT_NE(report.find("| connections | s, against the minimal epoll pair (not a baseline) | "
                        "0.300 | 0.200 | 1.50x |\n"),
            std::string::npos)
      << report;
}

TEST(WorkloadsTest, ImplementationNames) {
  const WorkloadSpec& connections = *FindWorkload("connections");
  EXPECT_EQ(ImplName(connections, Impl::kOurs), "localsocket");
  EXPECT_EQ(ImplName(connections, Impl::kBaseline), "raw");
  EXPECT_EQ(ImplName(connections, Impl::kEpollFloor), "epoll");
  EXPECT_EQ(ImplName(*FindWorkload("timers"), Impl::kBaseline), "libevent");
}

TEST(OptionsTest, SizesWithSuffixes) {
  EXPECT_EQ(ParseSize("64K"), 65536U);
  EXPECT_EQ(ParseSize("1g"), uint64_t{1} << 30);
  EXPECT_EQ(ParseSize("5000"), 5000U);
  EXPECT_EQ(ParseSize("0"), std::nullopt);
  EXPECT_EQ(ParseSize("12x"), std::nullopt);
  EXPECT_EQ(ParseSize("K"), std::nullopt);
  EXPECT_EQ(ParseSize(""), std::nullopt);
}

TEST(OptionsTest, QuickSetsSmallSizesThatFlagsOverride) {
  const ParsedCommandLine parsed =
      ParseCommandLine({"--connections", "200", "--quick", "--json=/tmp/x.json", "--workloads",
                        "pingpong,timers", "--strace-rtts", "0", "--pin-cpu", "0"});
  ASSERT_EQ(parsed.error, "");
  EXPECT_TRUE(parsed.options.quick);
  EXPECT_EQ(parsed.options.reps, 1);
  EXPECT_EQ(parsed.options.stream_bytes, uint64_t{64} << 20);
  EXPECT_EQ(parsed.options.connections, 200U);
  EXPECT_EQ(parsed.options.strace_rtts, 0U);
  EXPECT_EQ(parsed.options.json_path, "/tmp/x.json");
  EXPECT_EQ(parsed.options.workloads, (std::vector<std::string>{"pingpong", "timers"}));
  EXPECT_EQ(parsed.options.pin_cpu, 0);
}

TEST(OptionsTest, FullRunDefaultsAndErrors) {
  const ParsedCommandLine defaults = ParseCommandLine({});
  EXPECT_EQ(defaults.options.reps, 3);
  EXPECT_EQ(defaults.options.stream_bytes, uint64_t{1} << 30);
  EXPECT_EQ(defaults.options.pingpong_rtts, 100000U);
  EXPECT_EQ(defaults.options.connections, 5000U);
  EXPECT_EQ(defaults.options.timers, 1000000U);
  EXPECT_EQ(defaults.options.pin_cpu, -1);
  EXPECT_EQ(ParseCommandLine({"--bogus"}).error, "unknown option --bogus (see --help)");
  EXPECT_EQ(ParseCommandLine({"--reps"}).error, "--reps needs a value");
  EXPECT_EQ(ParseCommandLine({"--reps", "0"}).error, "--reps: bad number '0'");
  EXPECT_TRUE(ParseCommandLine({"--help"}).help);
}

TEST(MetricsTest, TextRoundTrip) {
  const Metrics metrics{{"value", 0.1}, {"p99_us", 123456.789}};
  EXPECT_EQ(FormatMetrics({{"b", 2}, {"a", 1.5}}), "a=1.5 b=2");
  EXPECT_EQ(ParseMetrics(FormatMetrics(metrics)), metrics);
  EXPECT_EQ(ParseMetrics(""), Metrics{});
  EXPECT_EQ(ParseMetrics("value"), std::nullopt);
  EXPECT_EQ(ParseMetrics("value=1x"), std::nullopt);
}

TEST(StraceTest, TotalCallsFromTheSummary) {
  const std::string summary =
      "% time     seconds  usecs/call     calls    errors syscall\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      " 52.00    0.000052           2        20           epoll_wait\n"
      " 48.00    0.000048           1        24         4 recvmsg\n"
      "------ ----------- ----------- --------- --------- ----------------\n"
      "100.00    0.000100           2        44         4 total\n";
  EXPECT_EQ(ParseStraceTotalCalls(summary), 44U);
  EXPECT_EQ(ParseStraceTotalCalls("100.00    0.000100    44 total\n"), std::nullopt);
  EXPECT_EQ(ParseStraceTotalCalls(""), std::nullopt);
}

TEST(StreamPatternTest, SlicesMatchAtAnyPositionAndMismatchesAreCaught) {
  const StreamPattern pattern(4096);
  const uint64_t pos = StreamPattern::kPeriod - 100;  // Across the period's end.
  std::string data(pattern.Slice(pos, 4096));
  data += pattern.Slice(pos + 4096, 4096);
  EXPECT_TRUE(pattern.Matches(pos, data));
  EXPECT_TRUE(pattern.Matches(pos + 1, std::string_view(data).substr(1)));
  EXPECT_FALSE(pattern.Matches(pos + 1, data));
  data[5000] ^= 1;
  EXPECT_FALSE(pattern.Matches(pos, data));
}

}  // namespace
}  // namespace bench
