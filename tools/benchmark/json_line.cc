// JsonLine and the JSON literal formatting (see json_line.h).
#include "tools/benchmark/json_line.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace bench {

JsonLine& JsonLine::AddString(std::string_view key, std::string_view value) {
  AddKey(key);
  body_ += JsonString(value);
  return *this;
}

JsonLine& JsonLine::AddNumber(std::string_view key, std::optional<double> value) {
  AddKey(key);
  body_ += value && std::isfinite(*value) ? JsonNumber(*value) : "null";
  return *this;
}

JsonLine& JsonLine::AddBool(std::string_view key, bool value) {
  AddKey(key);
  body_ += value ? "true" : "false";
  return *this;
}

void JsonLine::AddKey(std::string_view key) {
  if (body_.size() > 1) body_ += ", ";
  body_ += JsonString(key);
  body_ += ": ";
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonNumber(double value) {
  char text[64];
  const double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-4 || magnitude >= 1e15)) {
    std::snprintf(text, sizeof(text), "%.6g", value);
    return text;
  }
  // 6 significant digits: the decimals left after the digits before the point.
  const int decimals =
      magnitude == 0 ? 0 : std::max(0, 5 - static_cast<int>(std::floor(std::log10(magnitude))));
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  std::string out = text;
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out == "-0" ? "0" : out;
}

}  // namespace bench
