// Command-line parsing for the bench (see options.h).
#include "tools/benchmark/options.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <limits>

namespace bench {
namespace {

// The sizes of --quick: every workload runs, small enough for CI to finish within a minute.
void ApplyQuickDefaults(Options& options) {
  options.quick = true;
  options.reps = 1;
  options.stream_bytes = uint64_t{64} << 20;
  options.pingpong_rtts = 10000;
  options.connections = 1000;
  options.timers = 100000;
  options.posts = 100000;
  options.strace_rtts = 1000;
}

// The numeric flags: name -> the Options field it sets.
struct SizeFlag {
  std::string_view name;
  uint64_t Options::*field;
};
constexpr SizeFlag kSizeFlags[] = {
    {"--stream-bytes", &Options::stream_bytes},
    {"--pingpong-rtts", &Options::pingpong_rtts},
    {"--connections", &Options::connections},
    {"--in-flight", &Options::in_flight},
    {"--timers", &Options::timers},
    {"--timers-20k", &Options::timers_20k},
    {"--posts", &Options::posts},
    {"--strace-rtts", &Options::strace_rtts},
};

// Splits "a,b,,c" into {"a", "b", "c"}.
std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const size_t comma = std::min(text.find(','), text.size());
    if (comma > 0) items.emplace_back(text.substr(0, comma));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return items;
}

// Sets the flag `name` to `value`; an error message, or "" on success.
std::string ApplyFlag(std::string_view name, const std::string& value, Options& options) {
  if (name == "--json") {
    options.json_path = value;
    return "";
  }
  if (name == "--workloads") {
    options.workloads = SplitList(value);
    return options.workloads.empty() ? "--workloads needs at least one name" : "";
  }
  if (name == "--reps" || name == "--timeout" || name == "--pin-cpu") {
    const bool zero_allowed = name == "--pin-cpu" && value == "0";
    const std::optional<uint64_t> number = ParseSize(value);
    if ((!number || *number > 100000) && !zero_allowed) {
      return std::string(name) + ": bad number '" + value + "'";
    }
    const int parsed = static_cast<int>(number.value_or(0));
    if (name == "--reps") options.reps = parsed;
    if (name == "--timeout") options.timeout_seconds = parsed;
    if (name == "--pin-cpu") options.pin_cpu = parsed;
    return "";
  }
  for (const SizeFlag& flag : kSizeFlags) {
    if (name != flag.name) continue;
    const std::optional<uint64_t> number = ParseSize(value);
    const bool zero_allowed = name == "--strace-rtts" && value == "0";
    if (!number && !zero_allowed) return std::string(name) + ": bad size '" + value + "'";
    options.*flag.field = number.value_or(0);
    return "";
  }
  return "unknown option " + std::string(name) + " (see --help)";
}

// True for flags that take a value.
bool TakesValue(std::string_view name) {
  if (name == "--json" || name == "--workloads" || name == "--reps" || name == "--timeout" ||
      name == "--pin-cpu") {
    return true;
  }
  return std::any_of(std::begin(kSizeFlags), std::end(kSizeFlags),
                     [name](const SizeFlag& flag) { return name == flag.name; });
}

}  // namespace

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args) {
  ParsedCommandLine parsed;
  for (const std::string& arg : args) {
    if (arg == "--quick") ApplyQuickDefaults(parsed.options);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--quick") continue;
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      return parsed;
    }
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    if (!TakesValue(name)) {
      parsed.error = "unknown option " + arg + " (see --help)";
      return parsed;
    }
    std::string value;
    if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      parsed.error = name + " needs a value";
      return parsed;
    }
    parsed.error = ApplyFlag(name, value, parsed.options);
    if (!parsed.error.empty()) return parsed;
  }
  if (parsed.options.reps < 1) parsed.error = "--reps must be at least 1";
  if (parsed.options.timeout_seconds < 1) parsed.error = "--timeout must be at least 1";
  return parsed;
}

std::string Usage() {
  return R"(usage: bench [--quick] [--json FILE] [--workloads a,b] [--reps N] [sizes]

Measures LocalSocket/LocalServer on LibeventLoop against a baseline in the same run (raw
blocking read/write for socket workloads, raw libevent for timers and posts), interleaving the
implementations within each repetition, and prints a markdown table of the medians. Pingpong
and connections also run a minimal epoll client and server (not a baseline: the least an event
loop can do there), reported beside them as our figure over theirs.

  --quick              small sizes and 1 repetition (every workload still runs)
  --json FILE          also write one JSON object per line, one line per workload
  --workloads a,b      only these workloads (default: all)
  --reps N             repetitions (default 3; --quick: 1)
  --timeout SECONDS    limit for each step of a child process (default 300)
  --pin-cpu N          run every measuring process on CPU N only (default: no pinning). On
                       VMs, waking an idle vCPU can dominate pingpong; pinned, both sides
                       share one CPU and the figure is the software path plus two context
                       switches, stable from run to run
sizes (digits with an optional K, M or G binary suffix; full-run default / --quick):
  --stream-bytes N     bytes per throughput run (1G / 64M)
  --pingpong-rtts N    timed round trips (100000 / 10000)
  --connections N      clients of the connections workload (5000 / 1000)
  --in-flight N        our client's connections in flight at once (1000)
  --timers N           timers of the `timers` workload (1000000 / 100000)
  --timers-20k N       timers of the `timers_20k` workload (20000)
  --posts N            posted tasks per post workload (1000000 / 100000)
  --strace-rtts N      traced round trips for syscalls per round trip (10000 / 1000; 0: skip)

workloads: throughput_64k throughput_64k_zero_copy throughput_4k pingpong connections timers
           timers_20k post_loop post_cross_thread
)";
}

std::optional<uint64_t> ParseSize(std::string_view text) {
  uint64_t multiplier = 1;
  if (!text.empty()) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K':
        multiplier = uint64_t{1} << 10;
        break;
      case 'M':
        multiplier = uint64_t{1} << 20;
        break;
      case 'G':
        multiplier = uint64_t{1} << 30;
        break;
      default:
        break;
    }
    if (multiplier != 1) text.remove_suffix(1);
  }
  if (text.empty() || text.size() > 12) return std::nullopt;
  uint64_t number = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  if (number == 0 || number > std::numeric_limits<uint64_t>::max() / multiplier / 1024) {
    return std::nullopt;
  }
  return number * multiplier;
}

}  // namespace bench
