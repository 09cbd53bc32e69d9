// The text form of Metrics (see metrics.h).
#include "tools/benchmark/metrics.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace bench {

std::string FormatMetrics(const Metrics& metrics) {
  std::string out;
  for (const auto& [name, value] : metrics) {
    char number[40];
    std::snprintf(number, sizeof(number), "%.17g", value);
    if (!out.empty()) out += ' ';
    out += name + "=" + number;
  }
  return out;
}

std::optional<Metrics> ParseMetrics(std::string_view text) {
  Metrics metrics;
  while (!text.empty()) {
    const size_t end = std::min(text.find(' '), text.size());
    const std::string_view field = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (field.empty()) continue;
    const size_t equals = field.find('=');
    if (equals == std::string_view::npos || equals == 0) return std::nullopt;
    const std::string number(field.substr(equals + 1));
    char* parsed_end = nullptr;
    const double value = std::strtod(number.c_str(), &parsed_end);
    if (number.empty() || *parsed_end != '\0') return std::nullopt;
    metrics[std::string(field.substr(0, equals))] = value;
  }
  return metrics;
}

std::optional<double> Find(const Metrics& metrics, const std::string& name) {
  const auto it = metrics.find(name);
  if (it == metrics.end()) return std::nullopt;
  return it->second;
}

}  // namespace bench
