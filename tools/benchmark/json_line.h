// JsonLine: one JSON object written on one line, its keys in the order they were added. The
// bench's --json output is one such line per workload.
#ifndef LOCALSOCKET_TOOLS_BENCHMARK_JSON_LINE_H_
#define LOCALSOCKET_TOOLS_BENCHMARK_JSON_LINE_H_

#include <optional>
#include <string>
#include <string_view>

namespace bench {

// Builds `{"key": value, ...}`. Keys are not checked for duplicates.
class JsonLine {
 public:
  // A string value, escaped.
  JsonLine& AddString(std::string_view key, std::string_view value);
  // A number (JsonNumber below), or null when missing or not finite.
  JsonLine& AddNumber(std::string_view key, std::optional<double> value);
  JsonLine& AddBool(std::string_view key, bool value);
  // The object, without a trailing newline.
  std::string str() const { return body_ + "}"; }

 private:
  // Appends the separator and the quoted key.
  void AddKey(std::string_view key);

  std::string body_ = "{";
};

// A JSON string literal: quoted, with '"', '\\' and control characters escaped.
std::string JsonString(std::string_view text);

// A JSON number with 6 significant digits and no exponent for magnitudes from 1e-4 to 1e15
// (trailing zeros dropped: 2.5, 0.953421, 5123457); other magnitudes use the exponent form
// (1.5e-07). The value must be finite.
std::string JsonNumber(double value);

}  // namespace bench

#endif  // LOCALSOCKET_TOOLS_BENCHMARK_JSON_LINE_H_
